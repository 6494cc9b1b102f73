namespace Injector.Webhook;

/// <summary>A budget of bytes (see <see cref="ReviewMemory"/>): each review reserves its share, all at once,
/// and returns it when done. Reviews that do not fit wait in arrival order (a large review is not starved by
/// a stream of small ones) until their deadline; so memory stays bounded by design whatever clients send at
/// once, instead of by the container's limit and the OOM killer.</summary>
public sealed class ReviewBudget
{
    private readonly object _lock = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private long _available;

    public ReviewBudget(long capacityBytes)
    {
        Capacity = capacityBytes;
        _available = capacityBytes;
    }

    /// <summary>The bytes reviews in flight may hold together.</summary>
    public long Capacity { get; }

    /// <summary>The bytes reserved right now.</summary>
    public long InUse
    {
        get
        {
            lock (_lock) return Capacity - _available;
        }
    }

    /// <summary>Reserves <paramref name="bytes"/> when nobody waits and they fit; false, reserving nothing, otherwise.</summary>
    public bool TryAcquire(long bytes)
    {
        lock (_lock)
        {
            if (_waiters.Count != 0 || _available < bytes) return false;
            _available -= bytes;
            return true;
        }
    }

    /// <summary>Reserves <paramref name="bytes"/>, waiting behind earlier reviews while the budget is spent;
    /// false when <paramref name="cancellationToken"/> (the review's deadline) fires first.</summary>
    public ValueTask<bool> TryAcquireAsync(long bytes, CancellationToken cancellationToken)
    {
        Waiter waiter;
        lock (_lock)
        {
            if (_waiters.Count == 0 && _available >= bytes)
            {
                _available -= bytes;
                return ValueTask.FromResult(true);
            }
            if (cancellationToken.IsCancellationRequested) return ValueTask.FromResult(false);
            waiter = new Waiter(bytes);
            waiter.Node = _waiters.AddLast(waiter);
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
            // The head may have been waiting on this one's place in line.
            GrantWaiting();
        }
        waiter.Granted.TrySetResult(false);
    }

    /// <summary>Returns what <see cref="TryAcquireAsync"/> reserved, and lets waiting reviews in.</summary>
    public void Release(long bytes)
    {
        lock (_lock)
        {
            _available += bytes;
            GrantWaiting();
        }
    }

    // Under the lock: in arrival order, as long as the first in line fits.
    private void GrantWaiting()
    {
        while (_waiters.First is { } first && _available >= first.Value.Bytes)
        {
            _available -= first.Value.Bytes;
            _waiters.RemoveFirst();
            first.Value.Node = null;
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
