namespace Injector.Webhook;

/// <summary>The time a review may take from its arrival (a share of the API server's <c>?timeout=</c>): waiting
/// for memory, receiving its body, deciding. Nothing is set up per review until something waits: the decision and
/// the rest of a body are bounded by a token shared by every review whose deadline falls in the same
/// <see cref="SharedDeadlines.Slot"/>, and only a wait for memory (rare: the budgets are full) makes a timer of
/// its own, which also ends when the client goes. A timer and a linked token source per review were ~0.5 µs of CPU
/// each under load; over HTTP/2 a third of the bodies are not all there when the review starts (docs/performance.md).</summary>
public sealed class ReviewDeadline(HttpContext http, TimeSpan length) : IDisposable
{
    private readonly long _expires = Environment.TickCount64 + (long)Math.Ceiling(length.TotalMilliseconds);
    private CancellationTokenSource? _wait;

    /// <summary>Cancelled at the deadline, or at most <see cref="SharedDeadlines.Slot"/> after it: for the decision, and
    /// for the rest of a body (a client that goes ends the body's read by itself).</summary>
    public CancellationToken Decision => SharedDeadlines.At(_expires);

    /// <summary>Cancelled at the deadline or when the client goes, whichever comes first (for waits for memory).</summary>
    public CancellationToken Wait
    {
        get
        {
            if (_wait is null)
            {
                _wait = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
                _wait.CancelAfter(TimeSpan.FromMilliseconds(Math.Max(0, _expires - Environment.TickCount64)));
            }
            return _wait.Token;
        }
    }

    public void Dispose() => _wait?.Dispose();
}

/// <summary>Cancellation tokens for deadlines, one per <see cref="Slot"/> of time: every deadline in a slot gets
/// the token cancelled at the slot's end. A few timers a second instead of one per review.</summary>
public static class SharedDeadlines
{
    /// <summary>How much later than asked a shared token may be cancelled.</summary>
    public static readonly TimeSpan Slot = TimeSpan.FromMilliseconds(SlotMilliseconds);

    private const long SlotMilliseconds = 50;

    // A ring of slots longer than any deadline (30 s): an entry is replaced only long after its token fired.
    private static readonly Entry?[] s_ring = new Entry?[1024];

    private sealed record Entry(long Number, CancellationTokenSource Source);

    /// <summary>A token cancelled at <paramref name="deadline"/> (an <see cref="Environment.TickCount64"/>), or up to
    /// one <see cref="Slot"/> later.</summary>
    public static CancellationToken At(long deadline)
    {
        var number = (deadline + SlotMilliseconds - 1) / SlotMilliseconds;
        ref var entry = ref s_ring[number % s_ring.Length];
        var current = Volatile.Read(ref entry);
        return current?.Number == number ? current.Source.Token : Create(number, ref entry, current);
    }

    private static CancellationToken Create(long number, ref Entry? entry, Entry? current)
    {
        var delay = Math.Max(0, number * SlotMilliseconds - Environment.TickCount64);
        var created = new Entry(number, new CancellationTokenSource(TimeSpan.FromMilliseconds(delay)));
        while (true)
        {
            var seen = Interlocked.CompareExchange(ref entry, created, current);
            if (ReferenceEquals(seen, current)) return created.Source.Token;
            if (seen?.Number == number)
            {
                // Another thread made this slot's token first: use it, and drop the timer of this one.
                created.Source.Dispose();
                return seen.Source.Token;
            }
            current = seen;
        }
    }
}
