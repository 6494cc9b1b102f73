namespace Injector.Webhook.Kubernetes;

/// <summary>The waits between retries of a failing call: <paramref name="min"/> first, doubled after each
/// failure up to <paramref name="max"/>, back to <paramref name="min"/> after a success.</summary>
public sealed class Backoff(TimeSpan min, TimeSpan max)
{
    private TimeSpan? _next;

    /// <summary>The wait before the next retry; the one after it is twice as long (at most max).</summary>
    public TimeSpan Next()
    {
        var wait = _next ?? min;
        _next = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, max.Ticks));
        return wait;
    }

    /// <summary>After a success: the next failure waits min again.</summary>
    public void Reset() => _next = null;
}

/// <summary>The background loops that keep the webhook in step with the API server (namespace watch,
/// server version, caBundle): an attempt, then a wait, until the host stops.</summary>
public static class RetryLoop
{
    /// <summary>Runs <paramref name="attempt"/> until <paramref name="stoppingToken"/> is cancelled. After a
    /// success it waits as long as the attempt returned (zero: not at all) and resets the backoff; after
    /// an exception that <paramref name="retryable"/> accepts it calls <paramref name="onFailure"/> with the
    /// exception and the coming wait, and waits the next backoff. Any other exception ends the loop.</summary>
    /// <param name="attempt"></param>
    /// <param name="retryable"></param>
    /// <param name="onFailure"></param>
    /// <param name="backoff"></param>
    /// <param name="wait">Waits the given time or until cancelled (Task.Delay; a test passes one that records the waits).</param>
    /// <param name="stoppingToken"></param>
    public static async Task RunAsync(
        Func<CancellationToken, Task<TimeSpan>> attempt,
        Func<Exception, bool> retryable,
        Action<Exception, TimeSpan> onFailure,
        Backoff backoff,
        Func<TimeSpan, CancellationToken, Task> wait,
        CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan next;
            try
            {
                next = await attempt(stoppingToken);
                backoff.Reset();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (retryable(ex))
            {
                next = backoff.Next();
                onFailure(ex, next);
            }
            if (next <= TimeSpan.Zero) continue;
            try
            {
                await wait(next, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

}
