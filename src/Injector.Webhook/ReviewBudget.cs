namespace Injector.Webhook;

/// <summary>A budget on the memory that reviews in flight may hold: each review reserves its share before
/// its body is read and returns it once answered. Reviews that do not fit wait in arrival order (a large
/// review is not starved by a stream of small ones) until their deadline; so memory stays bounded by
/// design whatever clients send at once, instead of by the container's limit and the OOM killer.</summary>
public sealed class ReviewBudget
{
    /// <summary>What a review holds per byte of body at its peak: the body itself, the parse metadata and the
    /// nodes the engine reads, and the answer. Measured with bench/probe-resources.sh: typical reviews stay
    /// under 4 bytes per byte, a pod made of tiny containers needs ~11, a body of millions of <c>[]</c> ~9.</summary>
    public const int BytesPerBodyByte = 16;

    /// <summary>Reserved per review on top of its body's share: buffers and objects every review needs.</summary>
    public const int FixedBytesPerReview = 64 * 1024;

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

    /// <summary>The share of a review whose body is <paramref name="bodyBytes"/> long, never more than the whole budget.</summary>
    public long ChargeFor(long bodyBytes) => Math.Min(Capacity, FixedBytesPerReview + bodyBytes * BytesPerBodyByte);

    /// <summary>A budget sized for the memory this process may use: a third of what the GC may take (its heap
    /// hard limit, which .NET derives from the container's memory limit: 75% of it), and at least one review of
    /// the largest body at a time.</summary>
    public static ReviewBudget ForThisProcess(long maxBodyBytes)
    {
        var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        var capacity = Math.Max(available / 3, FixedBytesPerReview + maxBodyBytes * BytesPerBodyByte);
        // Without a memory limit the machine's memory is "available": a few hundred MB is plenty anyway.
        return new ReviewBudget(Math.Min(capacity, Math.Max(512L * 1024 * 1024, FixedBytesPerReview + maxBodyBytes * BytesPerBodyByte)));
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
