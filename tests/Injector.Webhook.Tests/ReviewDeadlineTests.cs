using Microsoft.AspNetCore.Http;

namespace Injector.Webhook.Tests;

public class ReviewDeadlineTests
{
    [Fact]
    public void Deadlines_in_one_slot_share_a_token_and_the_next_slot_has_another()
    {
        // A slot boundary well ahead, so that no token here fires during the test.
        var slot = (long)SharedDeadlines.Slot.TotalMilliseconds;
        var start = (Environment.TickCount64 / slot + 100) * slot;

        var first = SharedDeadlines.At(start + 1);
        var second = SharedDeadlines.At(start + slot);
        var next = SharedDeadlines.At(start + slot + 1);

        Assert.Equal(first, second);
        Assert.NotEqual(first, next);
        Assert.False(first.IsCancellationRequested);
        Assert.False(next.IsCancellationRequested);
    }

    [Fact]
    public async Task A_shared_token_is_cancelled_at_its_deadline_not_before()
    {
        var deadline = Environment.TickCount64 + 300;
        var token = SharedDeadlines.At(deadline);

        Assert.False(token.IsCancellationRequested);
        await Waiting.Until(() => token.IsCancellationRequested, "the shared token is cancelled", 10);
        Assert.True(Environment.TickCount64 >= deadline);
    }

    [Fact]
    public async Task A_deadline_already_past_is_cancelled_at_once()
    {
        var token = SharedDeadlines.At(Environment.TickCount64 - 1000);

        await Waiting.Until(() => token.IsCancellationRequested, "the past deadline's token is cancelled", 5);
    }

    [Fact]
    public async Task A_wait_ends_at_the_deadline_or_when_the_client_goes()
    {
        var late = new DefaultHttpContext();
        using var deadline = new ReviewDeadline(late, TimeSpan.FromMilliseconds(200));
        var wait = deadline.Wait;
        Assert.Equal(wait, deadline.Wait); // one source per review, made on first use
        await Waiting.Until(() => wait.IsCancellationRequested, "the wait ends at the deadline", 10);

        var gone = new DefaultHttpContext();
        using var aborted = new CancellationTokenSource();
        gone.RequestAborted = aborted.Token;
        using var longDeadline = new ReviewDeadline(gone, TimeSpan.FromSeconds(30));
        var clientWait = longDeadline.Wait;
        Assert.False(clientWait.IsCancellationRequested);
        await aborted.CancelAsync();
        Assert.True(clientWait.IsCancellationRequested);
        Assert.False(longDeadline.Decision.IsCancellationRequested);
    }
}
