namespace Injector.TestSupport;

/// <summary>A clock that always reads the same instant, for output that carries the time (log lines).</summary>
public sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    /// <summary>The instant the log tests write: 2026-11-25T20:15:30.123Z.</summary>
    public static FixedTime LogTests { get; } = new(new DateTimeOffset(2026, 11, 25, 20, 15, 30, 123, TimeSpan.Zero));

    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>A clock that moves only when the test moves it (rate limits, windows).</summary>
public sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
