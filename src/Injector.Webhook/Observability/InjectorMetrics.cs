using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text;
using Injector.Core.Admission;
using Injector.Core.Injection;

namespace Injector.Webhook.Observability;

/// <summary>The webhook's Prometheus metrics, written in the text exposition format (version 0.0.4).
/// Every label takes values from a fixed set, so the number of series is bounded.</summary>
public sealed class InjectorMetrics
{
    /// <summary>Upper bounds of the latency histogram, in seconds: from half a millisecond, since most
    /// admissions finish well under a millisecond, up to the API server's longest webhook timeout.</summary>
    public static readonly double[] LatencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>The reason label's values: the reason codes of <see cref="Reasons"/>; anything else is "other".</summary>
    public static readonly IReadOnlySet<string> KnownReasons = typeof(Reasons)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .Select(f => (string)f.GetRawConstantValue()!)
        .ToHashSet(StringComparer.Ordinal);

    private const string OtherReason = "other";

    private static readonly string[] Results =
        [AdmissionDecision.ResultInjected, AdmissionDecision.ResultSkipped, AdmissionDecision.ResultDenied, AdmissionDecision.ResultError];

    private readonly ConcurrentDictionary<(string Result, string Reason), Counter> _admissions = new();
    private readonly long[] _latencyCounts = new long[LatencyBuckets.Length + 1];
    private long _latencyCount;
    private long _latencySumTicks;
    private readonly ConcurrentDictionary<string, Counter> _apiRequests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Counter> _apiFailures = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Counter> _events = new(StringComparer.Ordinal);
    private Func<DateTimeOffset?> _certificateNotAfter = () => null;
    private readonly TimeProvider _time;

    public InjectorMetrics(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    private sealed class Counter
    {
        public long Value;
    }

    /// <summary>Counts one admission under its result and reason and records its duration.</summary>
    public void RecordAdmission(string result, string reason, TimeSpan duration)
    {
        var resultLabel = Array.IndexOf(Results, result) >= 0 ? result : AdmissionDecision.ResultError;
        var reasonLabel = KnownReasons.Contains(reason) ? reason : OtherReason;
        Interlocked.Increment(ref _admissions.GetOrAdd((resultLabel, reasonLabel), _ => new Counter()).Value);

        var seconds = duration.TotalSeconds;
        var bucket = 0;
        while (bucket < LatencyBuckets.Length && seconds > LatencyBuckets[bucket]) bucket++;
        Interlocked.Increment(ref _latencyCounts[bucket]);
        Interlocked.Increment(ref _latencyCount);
        Interlocked.Add(ref _latencySumTicks, duration.Ticks);
    }

    /// <summary>Counts a Kubernetes API call by operation (a fixed name such as <c>get-replicaset</c>).</summary>
    public void RecordApiCall(string operation, bool failed)
    {
        Interlocked.Increment(ref _apiRequests.GetOrAdd(operation, _ => new Counter()).Value);
        if (failed) Interlocked.Increment(ref _apiFailures.GetOrAdd(operation, _ => new Counter()).Value);
        else _apiFailures.GetOrAdd(operation, _ => new Counter());
    }

    /// <summary>Counts a Kubernetes Event by outcome: <c>sent</c>, <c>aggregated</c>, <c>failed</c> or <c>dropped</c>.</summary>
    public void RecordEvent(string outcome) => Interlocked.Increment(ref _events.GetOrAdd(outcome, _ => new Counter()).Value);

    /// <summary>Where the certificate expiry gauge reads the serving certificate's end of validity.</summary>
    public void ObserveCertificate(Func<DateTimeOffset?> notAfter) => _certificateNotAfter = notAfter;

    public long AdmissionCount(string result, string reason) =>
        _admissions.TryGetValue((result, reason), out var counter) ? Interlocked.Read(ref counter.Value) : 0;

    public long ApiCallCount(string operation) =>
        _apiRequests.TryGetValue(operation, out var counter) ? Interlocked.Read(ref counter.Value) : 0;

    public long ApiFailureCount(string operation) =>
        _apiFailures.TryGetValue(operation, out var counter) ? Interlocked.Read(ref counter.Value) : 0;

    public long EventCount(string outcome) =>
        _events.TryGetValue(outcome, out var counter) ? Interlocked.Read(ref counter.Value) : 0;

    /// <summary>The exposition text; series sorted by label values so the output is stable.</summary>
    public string Render()
    {
        var text = new StringBuilder();
        Header(text, "appmesh_inject_admission_requests_total", "counter", "Admission reviews answered, by result and reason.");
        foreach (var ((result, reason), counter) in _admissions.OrderBy(p => p.Key.Result, StringComparer.Ordinal).ThenBy(p => p.Key.Reason, StringComparer.Ordinal))
            Sample(text, "appmesh_inject_admission_requests_total", $"result=\"{result}\",reason=\"{reason}\"", Interlocked.Read(ref counter.Value));

        Header(text, "appmesh_inject_admission_duration_seconds", "histogram", "Time from reading an admission review to its decision.");
        long cumulative = 0;
        for (var i = 0; i < LatencyBuckets.Length; i++)
        {
            cumulative += Interlocked.Read(ref _latencyCounts[i]);
            Sample(text, "appmesh_inject_admission_duration_seconds_bucket", $"le=\"{Number(LatencyBuckets[i])}\"", cumulative);
        }
        cumulative += Interlocked.Read(ref _latencyCounts[^1]);
        Sample(text, "appmesh_inject_admission_duration_seconds_bucket", "le=\"+Inf\"", cumulative);
        text.Append("appmesh_inject_admission_duration_seconds_sum ").Append(Number(TimeSpan.FromTicks(Interlocked.Read(ref _latencySumTicks)).TotalSeconds)).Append('\n');
        text.Append("appmesh_inject_admission_duration_seconds_count ").Append(Interlocked.Read(ref _latencyCount)).Append('\n');

        Header(text, "appmesh_inject_kubernetes_api_requests_total", "counter", "Kubernetes API calls made, by operation.");
        foreach (var (operation, counter) in _apiRequests.OrderBy(p => p.Key, StringComparer.Ordinal))
            Sample(text, "appmesh_inject_kubernetes_api_requests_total", $"operation=\"{operation}\"", Interlocked.Read(ref counter.Value));
        Header(text, "appmesh_inject_kubernetes_api_failures_total", "counter", "Kubernetes API calls that failed or timed out, by operation.");
        foreach (var (operation, counter) in _apiFailures.OrderBy(p => p.Key, StringComparer.Ordinal))
            Sample(text, "appmesh_inject_kubernetes_api_failures_total", $"operation=\"{operation}\"", Interlocked.Read(ref counter.Value));

        Header(text, "appmesh_inject_events_total", "counter", "Kubernetes Events about injection, by outcome (sent, aggregated, failed, dropped).");
        foreach (var (outcome, counter) in _events.OrderBy(p => p.Key, StringComparer.Ordinal))
            Sample(text, "appmesh_inject_events_total", $"outcome=\"{outcome}\"", Interlocked.Read(ref counter.Value));

        if (_certificateNotAfter() is { } notAfter)
        {
            Header(text, "appmesh_inject_certificate_expiry_seconds", "gauge", "Seconds until the serving certificate expires (negative once expired).");
            text.Append("appmesh_inject_certificate_expiry_seconds ").Append(Number(Math.Round((notAfter - _time.GetUtcNow()).TotalSeconds))).Append('\n');
        }
        return text.ToString();
    }

    private static void Header(StringBuilder text, string name, string type, string help) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Sample(StringBuilder text, string name, string labels, long value) =>
        text.Append(name).Append('{').Append(labels).Append("} ").Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
