using Injector.Webhook.Kubernetes;

namespace Injector.Webhook.Tests;

/// <summary>The waits of the background loops (namespace watch, server version, caBundle), checked by
/// recording them instead of sleeping.</summary>
public sealed class RetryLoopTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public void Backoff_starts_at_min_doubles_and_stops_at_max()
    {
        var backoff = new Backoff(Second, TimeSpan.FromSeconds(30));

        var waits = Enumerable.Range(0, 8).Select(_ => backoff.Next().TotalSeconds);

        Assert.Equal([1, 2, 4, 8, 16, 30, 30, 30], waits);
    }

    [Fact]
    public void Backoff_starts_again_at_min_after_a_reset()
    {
        var backoff = new Backoff(Second, TimeSpan.FromMinutes(1));
        backoff.Next();
        backoff.Next();
        backoff.Next();

        backoff.Reset();

        Assert.Equal([1, 2], new[] { backoff.Next().TotalSeconds, backoff.Next().TotalSeconds });
    }

    /// <summary>Runs the loop over a script of attempt outcomes (null: success), stopping after the last one.</summary>
    private static async Task<(List<TimeSpan> Waits, List<(string Error, TimeSpan Wait)> Failures)> RunAsync(TimeSpan afterSuccess, params Exception?[] outcomes)
    {
        using var stop = new CancellationTokenSource();
        var waits = new List<TimeSpan>();
        var failures = new List<(string, TimeSpan)>();
        var attempts = 0;
        await RetryLoop.RunAsync(
            attempt: _ =>
            {
                var outcome = outcomes[attempts++];
                if (attempts == outcomes.Length) stop.Cancel();
                return outcome is null ? Task.FromResult(afterSuccess) : Task.FromException<TimeSpan>(outcome);
            },
            retryable: ex => ex is IOException,
            onFailure: (ex, wait) => failures.Add((ex.Message, wait)),
            new Backoff(Second, TimeSpan.FromSeconds(4)),
            wait: (wait, _) => { waits.Add(wait); return Task.CompletedTask; },
            stop.Token);
        Assert.Equal(outcomes.Length, attempts);
        return (waits, failures);
    }

    [Fact]
    public async Task Failures_wait_the_backoff_and_a_success_waits_its_own_time_and_resets_it()
    {
        var fail = new IOException("down");

        var (waits, failures) = await RunAsync(TimeSpan.FromMinutes(5), fail, fail, fail, fail, null, fail, null);

        Assert.Equal([1, 2, 4, 4, 300, 1, 300], waits.Select(w => w.TotalSeconds));
        Assert.Equal([("down", Second), ("down", 2 * Second), ("down", 4 * Second), ("down", 4 * Second), ("down", Second)], failures);
    }

    [Fact]
    public async Task A_success_that_asks_for_no_wait_starts_the_next_attempt_at_once()
    {
        var (waits, failures) = await RunAsync(TimeSpan.Zero, null, new IOException("cut"), null, null);

        Assert.Equal([Second], waits);
        Assert.Equal([("cut", Second)], failures);
    }

    [Fact]
    public async Task An_exception_that_is_not_retryable_ends_the_loop()
    {
        var loop = RetryLoop.RunAsync(
            attempt: _ => Task.FromException<TimeSpan>(new InvalidOperationException("bug")),
            retryable: ex => ex is IOException,
            onFailure: (_, _) => Assert.Fail("not a retryable failure"),
            new Backoff(Second, Second),
            wait: (_, _) => Task.CompletedTask,
            CancellationToken.None);

        Assert.Equal("bug", (await Assert.ThrowsAsync<InvalidOperationException>(() => loop)).Message);
    }

    [Fact]
    public async Task Stopping_during_an_attempt_or_a_wait_ends_the_loop_quietly()
    {
        using var stopInAttempt = new CancellationTokenSource();
        await RetryLoop.RunAsync(
            attempt: ct => { stopInAttempt.Cancel(); ct.ThrowIfCancellationRequested(); return Task.FromResult(Second); },
            retryable: _ => true,
            onFailure: (_, _) => Assert.Fail("stopping is not a failure"),
            new Backoff(Second, Second),
            wait: (_, _) => { Assert.Fail("no wait after stopping"); return Task.CompletedTask; },
            stopInAttempt.Token);

        using var stopInWait = new CancellationTokenSource();
        var attempts = 0;
        await RetryLoop.RunAsync(
            attempt: _ => { attempts++; return Task.FromResult(Second); },
            retryable: _ => true,
            onFailure: (_, _) => Assert.Fail("no failure"),
            new Backoff(Second, Second),
            wait: (_, ct) => { stopInWait.Cancel(); return Task.FromCanceled(ct); },
            stopInWait.Token);
        Assert.Equal(1, attempts);
    }
}
