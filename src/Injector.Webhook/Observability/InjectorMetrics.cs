using System.Reflection;
using Injector.Core.Admission;
using Injector.Core.Injection;
using Prometheus;

namespace Injector.Webhook.Observability;

/// <summary>The webhook's Prometheus metrics, kept by prometheus-net in a registry of their own (one per
/// application, so that tests can run several side by side). Every label takes its values from a fixed
/// set, and every such series exists at 0 from start-up, so that a <c>rate()</c> alert sees the first
/// failure. Besides the injector's own metrics the registry holds the process and .NET runtime metrics.</summary>
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

    public const string OtherReason = "other";

    /// <summary>Under which result each reason is counted: the series that exist from start-up. A reason
    /// the engine gains later is counted all the same (under its result); a test keeps this table complete.</summary>
    public static readonly IReadOnlyDictionary<string, string> ResultOfReason = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [Reasons.Injected] = AdmissionDecision.ResultInjected,
        [Reasons.NotCreate] = AdmissionDecision.ResultSkipped,
        [Reasons.NotAPod] = AdmissionDecision.ResultSkipped,
        [Reasons.DisabledByAnnotation] = AdmissionDecision.ResultSkipped,
        [Reasons.InjectDefaultOff] = AdmissionDecision.ResultSkipped,
        [Reasons.AlreadyInjected] = AdmissionDecision.ResultSkipped,
        [Reasons.HostNetwork] = AdmissionDecision.ResultSkipped,
        [Reasons.NoWorkloadName] = AdmissionDecision.ResultSkipped,
        [Reasons.InvalidAnnotation] = AdmissionDecision.ResultDenied,
        [Reasons.InvalidVirtualNodeName] = AdmissionDecision.ResultDenied,
        [Reasons.InvalidPod] = AdmissionDecision.ResultDenied,
        [Reasons.InternalError] = AdmissionDecision.ResultError,
    };

    public static readonly IReadOnlyList<string> Results =
        [AdmissionDecision.ResultInjected, AdmissionDecision.ResultSkipped, AdmissionDecision.ResultDenied, AdmissionDecision.ResultError];

    /// <summary>Every Kubernetes API operation the webhook performs (a test checks the calls in the code).</summary>
    public static readonly IReadOnlyList<string> ApiOperations =
        ["get-replicaset", "get-job", "get-namespace", "list-namespaces", "watch-namespaces", "get-version", "create-event", "patch-event", "get-webhook-config", "patch-webhook-config"];

    public static readonly IReadOnlyList<string> EventOutcomes = ["sent", "aggregated", "failed", "dropped"];

    /// <summary>HTTP statuses of requests answered before any admission decision.</summary>
    public static readonly IReadOnlyList<int> RefusedStatuses = [400, 405, 408, 413, 415, 429];

    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly Counter _admissions;
    // Children resolved once: looking one up by label values allocates, and this is on every review's path.
    private readonly Dictionary<(string Result, string Reason), Counter.Child> _admissionSeries = [];
    private readonly Histogram _duration;
    private readonly Counter _warnings;
    private readonly Counter _refused;
    private readonly Counter _aborted;
    private readonly Counter _handshakeFailures;
    private readonly Counter _apiRequests;
    private readonly Counter _apiFailures;
    private readonly Counter _events;
    private readonly Gauge _certificateExpiry;
    private readonly Gauge _buildInfo;
    private Func<DateTimeOffset?> _certificateNotAfter = () => null;

    public InjectorMetrics()
    {
        // No exemplars: nothing here carries a trace, and looking for one would cost every sample.
        var factory = Metrics.WithCustomRegistry(_registry);
        factory.ExemplarBehavior = ExemplarBehavior.NoExemplars();

        _admissions = factory.CreateCounter("appmesh_inject_admission_requests_total",
            "Admission reviews answered, by result and reason.", ["result", "reason"]);
        _duration = factory.CreateHistogram("appmesh_inject_admission_duration_seconds",
            "Time from reading an admission review to its decision.", new HistogramConfiguration { Buckets = LatencyBuckets });
        _warnings = factory.CreateCounter("appmesh_inject_admission_warnings_total",
            "Warnings returned to the API server (and shown to kubectl users) in admission answers.");
        _refused = factory.CreateCounter("appmesh_inject_requests_refused_total",
            "Requests refused before any admission decision, by status code: answered with an HTTP error, or inside an AdmissionReview as the failure policy has it (429 busy, 413 too many JSON values).", ["code"]);
        _aborted = factory.CreateCounter("appmesh_inject_requests_aborted_total",
            "Requests whose client closed the connection before the review was read.");
        _handshakeFailures = factory.CreateCounter("appmesh_inject_tls_handshake_failures_total",
            "TLS handshakes on the HTTPS port that failed, by reason.", ["reason"]);
        _apiRequests = factory.CreateCounter("appmesh_inject_kubernetes_api_requests_total",
            "Kubernetes API calls made, by operation.", ["operation"]);
        _apiFailures = factory.CreateCounter("appmesh_inject_kubernetes_api_failures_total",
            "Kubernetes API calls that failed or timed out, by operation.", ["operation"]);
        _events = factory.CreateCounter("appmesh_inject_events_total",
            "Kubernetes Events about injection, by outcome (sent, aggregated, failed, dropped).", ["outcome"]);
        _certificateExpiry = factory.CreateGauge("appmesh_inject_certificate_expiry_timestamp_seconds",
            "When the serving certificate expires (its notAfter), in seconds since the Unix epoch; absent until one is loaded.",
            new GaugeConfiguration { SuppressInitialValue = true });
        _buildInfo = factory.CreateGauge("appmesh_inject_build_info",
            "Always 1: the webhook's version and the settings it injects with, as labels.",
            ["version", "mesh", "region", "sidecar_mode", "sidecar_image"]);

        foreach (var (reason, result) in ResultOfReason) _admissionSeries[(result, reason)] = _admissions.WithLabels(result, reason);
        foreach (var status in RefusedStatuses) _refused.WithLabels(Code(status));
        foreach (var reason in HandshakeFailure.Reasons) _handshakeFailures.WithLabels(reason);
        foreach (var operation in ApiOperations)
        {
            _apiRequests.WithLabels(operation);
            _apiFailures.WithLabels(operation);
        }
        foreach (var outcome in EventOutcomes) _events.WithLabels(outcome);

        // Process (CPU, memory, threads, start time) and .NET (collections, heap) metrics from the library; the
        // thread pool, GC pauses, heap and lock contention read from the runtime at each scrape (nothing listens
        // on the admission path, unlike an event or meter listener).
        DotNetStats.Register(_registry);
        RegisterRuntimeMetrics(factory);
        _registry.AddBeforeCollectCallback(() =>
        {
            if (_certificateNotAfter() is { } notAfter) _certificateExpiry.Set(notAfter.ToUnixTimeSeconds());
            else _certificateExpiry.Unpublish();
        });
    }

    /// <summary>Sets the build-info labels (once, at start-up).</summary>
    public void SetBuildInfo(string version, string mesh, string region, string sidecarMode, string sidecarImage) =>
        _buildInfo.WithLabels(version, mesh, region, sidecarMode, sidecarImage).Set(1);

    /// <summary>Counts one admission under its result and reason, its warnings, and records its duration.</summary>
    public void RecordAdmission(string result, string reason, TimeSpan duration, int warnings = 0)
    {
        var resultLabel = Results.Contains(result) ? result : AdmissionDecision.ResultError;
        var reasonLabel = KnownReasons.Contains(reason) ? reason : OtherReason;
        if (_admissionSeries.TryGetValue((resultLabel, reasonLabel), out var series)) series.Inc();
        else _admissions.WithLabels(resultLabel, reasonLabel).Inc();
        _duration.Observe(duration.TotalSeconds);
        if (warnings > 0) _warnings.Inc(warnings);
    }

    /// <summary>Counts a request refused with <paramref name="status"/> before any admission decision.</summary>
    public void RecordRefused(int status) => _refused.WithLabels(RefusedStatuses.Contains(status) ? Code(status) : "other").Inc();

    /// <summary>Counts a request whose client went away before its review was read.</summary>
    public void RecordAborted() => _aborted.Inc();

    /// <summary>Counts a failed TLS handshake by one of <see cref="HandshakeFailure.Reasons"/>.</summary>
    public void RecordHandshakeFailure(string reason) =>
        _handshakeFailures.WithLabels(HandshakeFailure.Reasons.Contains(reason) ? reason : HandshakeFailure.Other).Inc();

    /// <summary>Counts a Kubernetes API call by operation (one of <see cref="ApiOperations"/>).</summary>
    public void RecordApiCall(string operation, bool failed)
    {
        _apiRequests.WithLabels(operation).Inc();
        if (failed) _apiFailures.WithLabels(operation).Inc();
    }

    /// <summary>Counts a Kubernetes Event by outcome: <c>sent</c>, <c>aggregated</c>, <c>failed</c> or <c>dropped</c>.</summary>
    public void RecordEvent(string outcome) => _events.WithLabels(outcome).Inc();

    /// <summary>Where the certificate expiry gauge reads the serving certificate's end of validity.</summary>
    public void ObserveCertificate(Func<DateTimeOffset?> notAfter) => _certificateNotAfter = notAfter;

    public long ApiCallCount(string operation) => (long)_apiRequests.WithLabels(operation).Value;

    public long ApiFailureCount(string operation) => (long)_apiFailures.WithLabels(operation).Value;

    public long EventCount(string outcome) => (long)_events.WithLabels(outcome).Value;

    public long RefusedCount(int status) => (long)_refused.WithLabels(Code(status)).Value;

    /// <summary>Writes the Prometheus text exposition format (0.0.4) to <paramref name="output"/>.</summary>
    public Task WriteAsync(Stream output, CancellationToken cancellationToken = default) =>
        _registry.CollectAndExportAsTextAsync(output, cancellationToken);

    private static string Code(int status) => status.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private void RegisterRuntimeMetrics(MetricFactory factory)
    {
        var threads = factory.CreateGauge("dotnet_threadpool_threads", "Thread pool threads.");
        var queued = factory.CreateGauge("dotnet_threadpool_queue_length", "Work items queued to the thread pool, not yet started.");
        var completed = factory.CreateCounter("dotnet_threadpool_completed_items_total", "Work items the thread pool has run.");
        var pause = factory.CreateCounter("dotnet_gc_pause_seconds_total", "Time the garbage collector has paused the process.");
        var allocated = factory.CreateCounter("dotnet_gc_allocated_bytes_total", "Bytes allocated on the managed heap.");
        var heap = factory.CreateGauge("dotnet_gc_heap_size_bytes", "Managed heap size after the last garbage collection.");
        var committed = factory.CreateGauge("dotnet_gc_committed_bytes", "Memory committed by the garbage collector after the last collection.");
        var available = factory.CreateGauge("dotnet_gc_available_memory_bytes", "Memory the garbage collector works within: its heap hard limit, else the container's memory limit, else the machine's memory.");
        var contention = factory.CreateCounter("dotnet_monitor_lock_contentions_total", "Times a thread waited for a lock held by another.");
        _registry.AddBeforeCollectCallback(() =>
        {
            threads.Set(ThreadPool.ThreadCount);
            queued.Set(ThreadPool.PendingWorkItemCount);
            completed.IncTo(ThreadPool.CompletedWorkItemCount);
            pause.IncTo(GC.GetTotalPauseDuration().TotalSeconds);
            allocated.IncTo(GC.GetTotalAllocatedBytes());
            var info = GC.GetGCMemoryInfo();
            heap.Set(info.HeapSizeBytes);
            committed.Set(info.TotalCommittedBytes);
            available.Set(info.TotalAvailableMemoryBytes);
            contention.IncTo(Monitor.LockContentionCount);
        });
    }
}
