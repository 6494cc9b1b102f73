namespace Injector.Webhook.Observability;

/// <summary>Lets one log line per key through per <see cref="Window"/> and counts the ones it holds back,
/// so that a flood (a misconfigured client retrying, a scan, a bug hit by every review) costs a few lines,
/// each saying how many like it were left out. The metrics still count every occurrence.</summary>
public sealed class LogRateLimiter(TimeSpan window, TimeProvider? time = null, int maxKeys = 256)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Dictionary<string, (DateTimeOffset LoggedAt, int Suppressed)> _keys = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public TimeSpan Window { get; } = window;

    /// <summary>Whether a line for <paramref name="key"/> may be written now; if so, <paramref name="suppressed"/>
    /// is how many were held back since the last one.</summary>
    public bool TryAcquire(string key, out int suppressed)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (_keys.TryGetValue(key, out var seen) && now - seen.LoggedAt < Window)
            {
                _keys[key] = seen with { Suppressed = seen.Suppressed + 1 };
                suppressed = 0;
                return false;
            }
            // Keys are bounded; past the bound the oldest knowledge goes (at worst a line more).
            if (_keys.Count >= maxKeys && !_keys.ContainsKey(key)) _keys.Clear();
            suppressed = seen.Suppressed;
            _keys[key] = (now, 0);
            return true;
        }
    }
}
