namespace Injector.Webhook;

/// <summary>The memory reviews in flight may hold, as two budgets so that neither can wait on itself:
/// bodies arriving (a review holds its share of <see cref="Arrival"/> while its body comes in, then waits
/// for <see cref="Processing"/>, which only reviews being parsed and decided hold, and they wait on
/// nothing). Sized from the GC's limit, which .NET derives from the container's memory limit (75% of it).</summary>
public sealed class ReviewMemory(ReviewBudget arrival, ReviewBudget processing)
{
    /// <summary>Reserved per review on top of its body's share: buffers and objects every review needs.</summary>
    public const int FixedBytesPerReview = 64 * 1024;

    /// <summary>A small body is charged this per byte, without counting its tokens: the worst case of a body
    /// made only of tokens the engine reads (<see cref="BytesPerToken"/> at two tokens per three bytes).</summary>
    public const int BytesPerSmallBodyByte = 80;

    /// <summary>A large body's strings, read as .NET strings (UTF-16) where the engine reads them.</summary>
    public const int BytesPerLargeBodyByte = 4;

    /// <summary>Per JSON token of a large body: its parse metadata (12 bytes, doubled while the table grows)
    /// and the object or value it becomes when the engine reads it. Measured at the worst, a pod of 300,000
    /// tiny containers: 128 MiB at the peak for 1.2 million tokens (docs/performance.md).</summary>
    public const int BytesPerToken = 112;

    /// <summary>Bodies up to this size are charged by their size alone; larger ones have their tokens
    /// counted first (a pass that allocates nothing, ~20 ms for 4 MiB of tokens).</summary>
    public const int SmallBodyBytes = 128 * 1024;

    /// <summary>A size as the webhook's messages give it: whole mebibytes, rounded down ("64 MiB").</summary>
    public static string InMebibytes(long bytes) => $"{bytes / (1024 * 1024)} MiB";

    public ReviewBudget Arrival { get; } = arrival;
    public ReviewBudget Processing { get; } = processing;

    /// <summary>A body as it arrives: Kestrel's buffers, then the copy the review is parsed from.</summary>
    public static long ArrivalCharge(long bodyBytes) => 2 * bodyBytes;

    /// <summary>Parsing and deciding a body of <paramref name="bodyBytes"/> with <paramref name="tokens"/>
    /// tokens (null: a small body, not counted).</summary>
    public static long ProcessingCharge(long bodyBytes, long? tokens) => tokens is { } t
        ? FixedBytesPerReview + (BytesPerLargeBodyByte * bodyBytes) + (BytesPerToken * t)
        : FixedBytesPerReview + (BytesPerSmallBodyByte * bodyBytes);

    /// <summary>Budgets for this process: a sixth of what the GC may take for arriving bodies and a third for
    /// processing (with the chart's 256 MiB limit: 32 and 64 MiB), so that reviews in flight leave room for
    /// everything else; at least one largest body arriving and one largest small body processing. Without a
    /// memory limit the machine's memory counts as available: capped at 256 and 512 MiB.</summary>
    public static ReviewMemory ForThisProcess()
    {
        var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        var arrival = Math.Clamp(available / 6, ArrivalCharge(AdmissionEndpoints.MaxBodyBytes), 256L * 1024 * 1024);
        var processing = Math.Clamp(available / 3, ProcessingCharge(SmallBodyBytes, null), 512L * 1024 * 1024);
        return new ReviewMemory(new ReviewBudget(arrival), new ReviewBudget(processing));
    }
}
