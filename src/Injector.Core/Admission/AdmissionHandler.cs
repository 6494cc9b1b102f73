using System.Diagnostics;
using Injector.Core.Injection;
using Injector.Core.Json;
using Injector.Core.Naming;

namespace Injector.Core.Admission;

/// <summary>What is known of one namespace, taken from one version of it: its labels (which decide whether the
/// webhook sees its pods, and hold its injection default) and its annotations (namespace-wide defaults); null
/// where that part is not known. Immutable, so that a reader never sees the labels of one version with the
/// annotations of another.</summary>
public sealed record NamespaceInfo(IReadOnlyDictionary<string, string>? Labels, IReadOnlyDictionary<string, string>? Annotations);

/// <summary>What the cluster looks like, from caches kept by the host.</summary>
public interface IClusterState
{
    /// <summary>The namespace's labels and annotations (at least their <c>appmesh.k8s.aws/*</c> ones) as one
    /// record, or null when unknown. A host with a cache answers from it without I/O, and may ask the API about
    /// a namespace its cache has not seen yet (one created a moment before its first pod).</summary>
    ValueTask<NamespaceInfo?> NamespaceAsync(string @namespace, CancellationToken cancellationToken);

    /// <summary>Whether the API server supports native sidecars (Kubernetes ≥ 1.29).</summary>
    bool NativeSidecarsSupported { get; }

    /// <summary>The API server's <c>gitVersion</c>, or null when unknown.</summary>
    string? KubernetesVersion => null;
}

/// <summary>No cluster configured: no namespace defaults, and <c>--sidecar-mode auto</c> means classic.</summary>
public sealed class NoClusterState : IClusterState
{
    public static readonly NoClusterState Instance = new();
    public ValueTask<NamespaceInfo?> NamespaceAsync(string @namespace, CancellationToken cancellationToken) => ValueTask.FromResult<NamespaceInfo?>(null);
    public bool NativeSidecarsSupported => false;
}

/// <summary>One admission decision: the response plus what logs, metrics and Events need.</summary>
public sealed record AdmissionDecision(AdmissionResponse Response, string Result, string Reason, string Message, TimeSpan Duration)
{
    public string? Workload { get; init; }
    public string? OwnerKind { get; init; }
    public string? OwnerName { get; init; }
    public string? Mesh { get; init; }
    public string? VirtualNode { get; init; }

    public const string ResultInjected = "injected";
    public const string ResultSkipped = "skipped";
    public const string ResultDenied = "denied";
    public const string ResultError = "error";
}

/// <summary>Turns an admission request into a decision: gates on operation and kind, resolves the
/// workload, runs the engine. Never throws for bad input: every path ends in a response.</summary>
public sealed class AdmissionHandler(PodInjector injector, IOwnerLookup? owners = null, IClusterState? cluster = null)
{
    private readonly IClusterState _cluster = cluster ?? NoClusterState.Instance;

    public PodInjector Injector { get; } = injector;

    /// <summary>What the request is instead: another resource, or a pod's subresource (exec, attach, status…).</summary>
    private static string NotAPod(AdmissionRequest request)
    {
        var resource = request.Group.Length > 0 ? $"{request.Group}/{request.Resource}" : request.Resource;
        if (resource.Length == 0) return "the request names no resource, so it is not a pod";
        return string.IsNullOrEmpty(request.SubResource)
            ? $"{resource} is not a pod"
            : $"{resource}/{request.SubResource} is a subresource, not a pod";
    }

    /// <remarks>A <see cref="ValueTask{TResult}"/>: without an owner lookup or a namespace to fetch, nothing waits,
    /// and the decision comes without a task of its own.</remarks>
    public async ValueTask<AdmissionDecision> HandleAsync(AdmissionRequest request, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        AdmissionDecision Done(AdmissionResponse response, string result, string reason, string message) =>
            new(response, result, reason, message, Stopwatch.GetElapsedTime(started));

        if (!request.IsPod)
            return Done(AdmissionResponse.Allow(), AdmissionDecision.ResultSkipped, Reasons.NotAPod, NotAPod(request));
        if (request.Operation != "CREATE")
            return Done(AdmissionResponse.Allow(), AdmissionDecision.ResultSkipped, Reasons.NotCreate, $"operation {request.Operation} is not CREATE");
        if (request.Pod is not { } pod)
            return Done(AdmissionResponse.BadRequest("request.object is missing"), AdmissionDecision.ResultDenied, Reasons.InvalidPod, "request.object is missing");

        // The pod's metadata and spec read once, for the workload's name and the engine: by the parse, or here.
        var fields = request.PodFields ?? PodFields.Read(pod);
        var @namespace = request.Namespace.Length > 0 ? request.Namespace : JsonElements.Str(fields.Namespace) ?? "default";
        var workload = await WorkloadResolver.ResolveAsync(fields, @namespace, owners, cancellationToken);
        // One read: the labels and the annotations come from the same version of the namespace.
        var known = await _cluster.NamespaceAsync(@namespace, cancellationToken);
        var context = new PodContext(@namespace, workload.Name, known?.Annotations, _cluster.NativeSidecarsSupported)
        {
            NamespaceLabels = known?.Labels ?? PodContext.NoLabels,
            KubernetesVersion = _cluster.KubernetesVersion,
            WorkloadKind = workload.Kind,
        };
        // Only the patch is needed: the pod is read as parsed, and the added containers are written when the answer is.
        var result = Injector.Inject(fields, context, writeOnly: true);

        var warnings = workload.Warning is null ? result.Warnings : [workload.Warning, .. result.Warnings];
        var (response, outcome) = result.Outcome switch
        {
            InjectionOutcome.Injected => (AdmissionResponse.Patched(result.Patch, warnings), AdmissionDecision.ResultInjected),
            InjectionOutcome.Skipped => (AdmissionResponse.Allow(warnings), AdmissionDecision.ResultSkipped),
            _ => (AdmissionResponse.Deny(result.Message, warnings), AdmissionDecision.ResultDenied),
        };
        return new AdmissionDecision(response, outcome, result.Reason, result.Message, Stopwatch.GetElapsedTime(started))
        {
            Workload = workload.Name,
            OwnerKind = workload.Kind,
            OwnerName = workload.Name,
            Mesh = result.Mesh,
            VirtualNode = result.VirtualNode,
        };
    }
}
