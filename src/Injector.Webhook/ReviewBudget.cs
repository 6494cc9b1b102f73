namespace Injector.Webhook;

/// <summary>A budget of bytes (see <see cref="ReviewMemory"/>): each review reserves its share, all at once,
/// and returns it when done. Reviews that do not fit wait in arrival order (a large review is not starved by
/// a stream of small ones) until their deadline; so memory stays bounded by design whatever clients send at
/// once, instead of by the container's limit and the OOM killer.</summary>
/// <remarks>Every review takes from two budgets and returns to both: while nobody waits, that is a compare-and-swap
/// each, without the lock (the lock's enter and exit, four per review, were ~0.5 µs of CPU per review under HTTP/2
/// load, docs/performance.md). The lock orders the waiters; a return that finds waiters takes it to let them in.</remarks>
public sealed class ReviewBudget
{
    private readonly object _lock = new();
    private readonly LinkedList<Waiter> _waiters = new();
    /// <summary>Bytes not reserved; changed only by interlocked operations, with or without the lock.</summary>
    private long _available;
    /// <summary>How many reviews wait (<c>_waiters.Count</c>), written under the lock and read without it.</summary>
    private int _waiting;

    public ReviewBudget(long capacityBytes)
    {
        Capacity = capacityBytes;
        _available = capacityBytes;
    }

    /// <summary>The bytes reviews in flight may hold together.</summary>
    public long Capacity { get; }

    /// <summary>The bytes reserved right now.</summary>
    public long InUse => Capacity - Volatile.Read(ref _available);

    /// <summary>Reserves <paramref name="bytes"/> when nobody waits and they fit; false, reserving nothing, otherwise.</summary>
    public bool TryAcquire(long bytes) => Volatile.Read(ref _waiting) == 0 && TryTake(bytes);

    /// <summary>Reserves <paramref name="bytes"/>, waiting behind earlier reviews while the budget is spent;
    /// false when <paramref name="cancellationToken"/> (the review's deadline) fires first.</summary>
    public ValueTask<bool> TryAcquireAsync(long bytes, CancellationToken cancellationToken)
    {
        Waiter waiter;
        lock (_lock)
        {
            if (_waiters.Count == 0 && TryTake(bytes)) return ValueTask.FromResult(true);
            if (cancellationToken.IsCancellationRequested) return ValueTask.FromResult(false);
            waiter = new Waiter(bytes);
            waiter.Node = _waiters.AddLast(waiter);
            // Said before what is available is read again: a Release that added its bytes without seeing this
            // waiter is seen here, and one that comes later sees the waiter and takes the lock (both are full fences).
            Interlocked.Exchange(ref _waiting, _waiters.Count);
            GrantWaiting();
        }
        return new ValueTask<bool>(WaitAsync(waiter, cancellationToken));
    }

    private async Task<bool> WaitAsync(Waiter waiter, CancellationToken cancellationToken)
    {
        await using (cancellationToken.Register(() => Cancel(waiter)))
            return await waiter.Granted.Task.ConfigureAwait(false);
    }

    private void Cancel(Waiter waiter)
    {
        lock (_lock)
        {
            if (waiter.Node?.List is null) return; // granted already
            _waiters.Remove(waiter.Node);
            waiter.Node = null;
            Volatile.Write(ref _waiting, _waiters.Count);
            // The head may have been waiting on this one's place in line.
            GrantWaiting();
        }
        waiter.Granted.TrySetResult(false);
    }

    /// <summary>Returns what <see cref="TryAcquireAsync"/> reserved, and lets waiting reviews in.</summary>
    public void Release(long bytes)
    {
        Interlocked.Add(ref _available, bytes);
        if (Volatile.Read(ref _waiting) == 0) return;
        lock (_lock) GrantWaiting();
    }

    private bool TryTake(long bytes)
    {
        var available = Volatile.Read(ref _available);
        while (available >= bytes)
        {
            var seen = Interlocked.CompareExchange(ref _available, available - bytes, available);
            if (seen == available) return true;
            available = seen;
        }
        return false;
    }

    // Under the lock: in arrival order, as long as the first in line fits.
    private void GrantWaiting()
    {
        while (_waiters.First is { } first && TryTake(first.Value.Bytes))
        {
            _waiters.RemoveFirst();
            first.Value.Node = null;
            Volatile.Write(ref _waiting, _waiters.Count);
            first.Value.Granted.TrySetResult(true);
        }
    }

    private sealed class Waiter(long bytes)
    {
        public long Bytes { get; } = bytes;
        public LinkedListNode<Waiter>? Node { get; set; }
        // Completed outside the lock's callers' stacks: continuations run on the thread pool.
        public TaskCompletionSource<bool> Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
