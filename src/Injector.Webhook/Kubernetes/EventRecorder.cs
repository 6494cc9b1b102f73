using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Injector.Core.Admission;
using Injector.Core.Injection;
using Injector.Core.Json;
using Injector.Webhook.Observability;
using k8s;
using k8s.Models;

namespace Injector.Webhook.Kubernetes;

/// <summary>Records <c>Injected</c>, <c>InjectionSkipped</c> and <c>InjectionFailed</c> Events on the pod's
/// top owner (the Deployment, StatefulSet…), where <c>kubectl describe</c> shows them, and an
/// <c>InjectionWarning</c> Event when an admitted pod carries warnings. Decisions are
/// queued to a bounded channel and sent by a background loop, so an admission never waits for the API;
/// when the queue is full the Event is dropped and counted. Repeats of one Event within
/// <see cref="AggregationWindow"/> raise its <c>count</c> instead of creating another object.</summary>
public sealed class EventRecorder(KubernetesApi api, ObjectReferences references, InjectorMetrics metrics, ILogger<EventRecorder> logger, TimeProvider? time = null)
    : BackgroundService, IDecisionObserver
{
    public const string Component = "appmesh-inject";
    public const int QueueCapacity = 1024;
    public static readonly TimeSpan AggregationWindow = TimeSpan.FromMinutes(10);
    private const int MaxAggregated = 1024;

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Channel<(AdmissionRequest Request, AdmissionDecision Decision, JsonArray? Owners)> _queue =
        Channel.CreateBounded<(AdmissionRequest, AdmissionDecision, JsonArray?)>(new BoundedChannelOptions(QueueCapacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
    private readonly ConcurrentDictionary<string, (string Name, int Count, DateTimeOffset First)> _recent = new(StringComparer.Ordinal);

    /// <summary>Which Event a decision gives, or null for none: dry runs have no side effects, requests
    /// that are not pod creations are not news, and a pod without an owner has nothing to attach it to.</summary>
    public static (string Type, string Reason, string Message)? Describe(AdmissionRequest request, AdmissionDecision decision)
    {
        if (request.DryRun || decision.OwnerKind is null or "Pod" || string.IsNullOrEmpty(decision.OwnerName)) return null;
        if (decision.Reason is Reasons.NotAPod or Reasons.NotCreate) return null;
        return decision.Result switch
        {
            AdmissionDecision.ResultInjected => ("Normal", "Injected", $"injected the App Mesh sidecar into a new pod (mesh {decision.Mesh}, virtual node {decision.VirtualNode})"),
            AdmissionDecision.ResultSkipped => ("Normal", "InjectionSkipped", $"sidecar not injected into a new pod ({decision.Reason}): {decision.Message}"),
            AdmissionDecision.ResultDenied => ("Warning", "InjectionFailed", $"pod creation denied ({decision.Reason}): {decision.Message}"),
            _ => ("Warning", "InjectionFailed", $"sidecar injection failed ({decision.Reason}): {decision.Message}"),
        };
    }

    /// <summary>The <c>InjectionWarning</c> Event of a pod admitted with warnings (each names the annotation,
    /// quotes the value and says the fix), or null: none for denials (their message says it all), dry
    /// runs, or pods without an owner.</summary>
    public static (string Type, string Reason, string Message)? DescribeWarnings(AdmissionRequest request, AdmissionDecision decision)
    {
        if (Describe(request, decision) is null || decision.Response.Warnings.Count == 0) return null;
        if (decision.Result is not (AdmissionDecision.ResultInjected or AdmissionDecision.ResultSkipped)) return null;
        var count = decision.Response.Warnings.Count;
        return ("Warning", "InjectionWarning", $"a new pod was admitted with {count} warning{(count == 1 ? "" : "s")}: {string.Join("; ", decision.Response.Warnings)}");
    }

    public void OnDecision(AdmissionRequest request, AdmissionDecision decision)
    {
        if (Describe(request, decision) is null) return;
        // The request's pod lives only as long as the request; the Event needs just its owner references.
        var owners = JsonElements.Array(JsonElements.Object(request.Pod, "metadata"u8), "ownerReferences"u8) is { } references
            ? JsonElements.ToNode(references) as JsonArray
            : null;
        if (!_queue.Writer.TryWrite((request with { Pod = null }, decision, owners)))
        {
            metrics.RecordEvent("dropped");
            WebhookLog.EventDropped(logger, QueueCapacity, decision.OwnerKind, request.Namespace, decision.OwnerName);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var (request, decision, owners) in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await RecordAsync(request, decision, owners, Describe(request, decision)!.Value, stoppingToken);
                    if (DescribeWarnings(request, decision) is { } warning) await RecordAsync(request, decision, owners, warning, stoppingToken);
                }
                catch (KubernetesApiException ex)
                {
                    metrics.RecordEvent("failed");
                    WebhookLog.EventNotRecorded(logger, decision.OwnerKind, request.Namespace, decision.OwnerName, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RecordAsync(AdmissionRequest request, AdmissionDecision decision, JsonArray? owners, (string Type, string Reason, string Message) @event, CancellationToken stoppingToken)
    {
        var (type, reason, message) = @event;
        var ns = request.Namespace;
        var involved = await InvolvedObjectAsync(request, decision, owners, stoppingToken);
        var now = _time.GetUtcNow();
        var key = string.Join('\0', ns, involved.Kind, involved.Name, involved.Uid, type, reason, message);

        if (_recent.TryGetValue(key, out var seen) && now - seen.First < AggregationWindow)
        {
            var count = seen.Count + 1;
            var patch = new JsonObject { ["count"] = count, ["lastTimestamp"] = Rfc3339(now) };
            try
            {
                await api.CallAsync("patch-event", (c, ct) => c.CoreV1.PatchNamespacedEventAsync(new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), seen.Name, ns, cancellationToken: ct), stoppingToken);
                _recent[key] = seen with { Count = count };
                metrics.RecordEvent("aggregated");
                return;
            }
            catch (KubernetesApiException ex) when (ex.Status == HttpStatusCode.NotFound)
            {
                // The Event expired (the API server keeps them an hour by default): create it again.
            }
        }

        var name = $"{involved.Name}.{(now.ToUnixTimeMilliseconds() * 1_000_000 + Random.Shared.Next(1_000_000)):x}";
        var body = new Corev1Event
        {
            ApiVersion = "v1",
            Kind = "Event",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
            InvolvedObject = involved,
            Type = type,
            Reason = reason,
            Message = message.Length > 1024 ? message[..1021] + "..." : message,
            Source = new V1EventSource { Component = Component },
            ReportingComponent = Component,
            ReportingInstance = Environment.MachineName,
            FirstTimestamp = now.UtcDateTime,
            LastTimestamp = now.UtcDateTime,
            Count = 1,
        };
        await api.CallAsync("create-event", (c, ct) => c.CoreV1.CreateNamespacedEventAsync(body, ns, cancellationToken: ct), stoppingToken);
        if (_recent.Count >= MaxAggregated) _recent.Clear();
        _recent[key] = (name, 1, now);
        metrics.RecordEvent("sent");
    }

    /// <summary>The owner as an object reference with its uid (which <c>kubectl describe</c> matches on):
    /// from the pod's own owner references, else from an earlier API answer, else one GET (cached).</summary>
    private async Task<V1ObjectReference> InvolvedObjectAsync(AdmissionRequest request, AdmissionDecision decision, JsonArray? owners, CancellationToken stoppingToken)
    {
        var (ns, kind, name) = (request.Namespace, decision.OwnerKind!, decision.OwnerName!);
        var reference = new V1ObjectReference { Kind = kind, Name = name, NamespaceProperty = ns, ApiVersion = DefaultApiVersion(kind) };
        if (owners?.OfType<JsonObject>()
                .FirstOrDefault(r => JsonNodes.Str(r["kind"]) == kind && JsonNodes.Str(r["name"]) == name) is { } direct)
        {
            reference.ApiVersion = JsonNodes.Str(direct["apiVersion"]) ?? reference.ApiVersion;
            reference.Uid = JsonNodes.Str(direct["uid"]);
            return reference;
        }
        if (references.TryGet(ns, kind, name, out var known))
        {
            (reference.ApiVersion, reference.Uid) = (known.ApiVersion, known.Uid);
            return reference;
        }
        // The top owner's uid is in the owner references of the pod's direct owner (ReplicaSet or Job),
        // which the webhook may read anyway: no permission on Deployments or CronJobs is needed.
        var child = owners?.OfType<JsonObject>()
            .FirstOrDefault(r => JsonNodes.Str(r["kind"]) is "ReplicaSet" or "Job");
        V1ObjectMeta? ownerMetadata = null;
        try
        {
            if (JsonNodes.Str(child?["name"]) is { } childName)
            {
                ownerMetadata = JsonNodes.Str(child!["kind"]) == "ReplicaSet"
                    ? (await api.CallAsync("get-replicaset", (c, ct) => c.AppsV1.ReadNamespacedReplicaSetAsync(childName, ns, cancellationToken: ct), stoppingToken)).Metadata
                    : (await api.CallAsync("get-job", (c, ct) => c.BatchV1.ReadNamespacedJobAsync(childName, ns, cancellationToken: ct), stoppingToken)).Metadata;
            }
        }
        catch (KubernetesApiException ex)
        {
            // Still worth recording: `kubectl get events` shows it, only `describe` will not match it.
            WebhookLog.EventOwnerUidUnknown(logger, kind, ns, name, ex.Message);
        }
        if (ownerMetadata?.OwnerReferences?.FirstOrDefault(o => o.Kind == kind && o.Name == name) is { } top)
        {
            (reference.ApiVersion, reference.Uid) = (top.ApiVersion, top.Uid);
            references.Remember(ns, kind, name, top.ApiVersion, top.Uid);
        }
        return reference;
    }

    private static string? DefaultApiVersion(string kind) => kind switch
    {
        "Deployment" or "ReplicaSet" or "StatefulSet" or "DaemonSet" => "apps/v1",
        "Job" or "CronJob" => "batch/v1",
        "ReplicationController" => "v1",
        _ => null,
    };

    private static string Rfc3339(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
