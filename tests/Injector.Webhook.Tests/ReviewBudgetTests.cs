namespace Injector.Webhook.Tests;

public class ReviewBudgetTests
{
    [Fact]
    public async Task Reviews_that_fit_get_in_at_once_and_return_their_share()
    {
        var budget = new ReviewBudget(100);

        Assert.True(await budget.TryAcquireAsync(60, CancellationToken.None));
        Assert.True(await budget.TryAcquireAsync(40, CancellationToken.None));
        Assert.Equal(100, budget.InUse);
        budget.Release(60);
        budget.Release(40);
        Assert.Equal(0, budget.InUse);
    }

    [Fact]
    public async Task Taking_without_waiting_succeeds_only_when_the_bytes_fit_and_nobody_waits()
    {
        var budget = new ReviewBudget(100);

        Assert.True(budget.TryAcquire(60));
        Assert.False(budget.TryAcquire(50));
        Assert.Equal(60, budget.InUse);
        var waiting = budget.TryAcquireAsync(50, CancellationToken.None).AsTask();
        // 40 bytes are free, but a review waits for its 50 first.
        Assert.False(budget.TryAcquire(10));
        budget.Release(60);
        Assert.True(await waiting.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.True(budget.TryAcquire(50));
        Assert.Equal(100, budget.InUse);
    }

    [Fact]
    public async Task A_review_that_does_not_fit_waits_until_memory_is_returned()
    {
        var budget = new ReviewBudget(100);
        Assert.True(await budget.TryAcquireAsync(80, CancellationToken.None));

        var waiting = budget.TryAcquireAsync(50, CancellationToken.None).AsTask();
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);
        budget.Release(80);

        Assert.True(await waiting.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(50, budget.InUse);
    }

    [Fact]
    public async Task Waiting_reviews_get_in_in_arrival_order_so_a_large_one_is_not_starved_by_small_ones()
    {
        var budget = new ReviewBudget(100);
        Assert.True(await budget.TryAcquireAsync(30, CancellationToken.None));
        var large = budget.TryAcquireAsync(100, CancellationToken.None).AsTask();
        // Fits the free 70 bytes, but arrived after the large one: it waits behind it.
        var small = budget.TryAcquireAsync(10, CancellationToken.None).AsTask();
        await Task.Delay(50);
        Assert.False(small.IsCompleted);

        budget.Release(30);
        Assert.True(await large.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.False(small.IsCompleted);
        budget.Release(100);
        Assert.True(await small.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task A_review_whose_deadline_passes_while_waiting_is_refused_and_lets_the_next_one_in()
    {
        var budget = new ReviewBudget(100);
        Assert.True(await budget.TryAcquireAsync(60, CancellationToken.None));
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var refused = budget.TryAcquireAsync(100, deadline.Token).AsTask();
        var behind = budget.TryAcquireAsync(40, CancellationToken.None).AsTask();

        Assert.False(await refused.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.True(await behind.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(100, budget.InUse);
    }

    // Reviews take without the lock while nobody waits; a return must still let in every waiter, whichever of the
    // two comes first. A lost wake-up leaves a review waiting forever: here, past the test's bound.
    // Two reviews that cannot both fit wait for each other at every turn: the other's return is the only one.
    [Theory]
    [InlineData(8, 1, 100)]
    [InlineData(2, 60, 60)]
    public async Task Under_contention_every_review_gets_in_and_every_byte_comes_back(int workerCount, int fewest, int most)
    {
        var budget = new ReviewBudget(100);
        var granted = 0;
        var workers = Enumerable.Range(0, workerCount).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            for (var i = 0; i < 20_000; i++)
            {
                var bytes = random.Next(fewest, most + 1);
                if (!budget.TryAcquire(bytes))
                {
                    Assert.True(await budget.TryAcquireAsync(bytes, CancellationToken.None));
                }
                Interlocked.Increment(ref granted);
                Assert.InRange(budget.InUse, bytes, 100);
                if (i % 64 == 0) await Task.Yield();
                budget.Release(bytes);
            }
        })).ToArray();

        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(workerCount * 20_000, granted);
        Assert.Equal(0, budget.InUse);
        Assert.True(budget.TryAcquire(100));
    }

    [Fact]
    public void A_small_body_is_charged_by_its_size_and_a_large_one_by_its_tokens()
    {
        Assert.Equal(2 * 3000, ReviewMemory.ArrivalCharge(3000));
        Assert.Equal((64 * 1024) + (3000 * 80), ReviewMemory.ProcessingCharge(3000, null));
        Assert.Equal((64 * 1024) + (4L * 4_000_000) + (112L * 1_200_000), ReviewMemory.ProcessingCharge(4_000_000, 1_200_000));
    }

    [Fact]
    public void The_process_budgets_hold_one_body_of_the_largest_size_arriving_and_one_small_body_being_decided()
    {
        var memory = ReviewMemory.ForThisProcess();

        Assert.True(memory.Arrival.Capacity >= ReviewMemory.ArrivalCharge(AdmissionEndpoints.MaxBodyBytes));
        Assert.True(memory.Processing.Capacity >= ReviewMemory.ProcessingCharge(ReviewMemory.SmallBodyBytes, null));
    }
}
