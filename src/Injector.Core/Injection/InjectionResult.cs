using System.Text.Json.Nodes;
using Injector.Core.Json;

namespace Injector.Core.Injection;

public enum InjectionOutcome { Injected, Skipped, Denied }

/// <summary>Bounded reason codes: they label metrics and Events, so the set never grows with input.</summary>
public static class Reasons
{
    public const string Injected = "injected";
    public const string NotCreate = "operation-not-create";
    public const string NotAPod = "not-a-pod";
    public const string DisabledByAnnotation = "disabled-by-annotation";
    public const string InjectDefaultOff = "inject-default-off";
    public const string AlreadyInjected = "already-injected";
    public const string HostNetwork = "host-network";
    public const string NoWorkloadName = "no-workload-name";
    public const string InvalidAnnotation = "invalid-annotation";
    public const string InvalidPod = "invalid-pod";
    /// <summary>Formerly: <c>&lt;workload&gt;-&lt;namespace&gt;</c> was not a valid App Mesh name. No longer given
    /// (such a name is made valid, with a warning); kept because metrics list every reason from start-up.</summary>
    public const string InvalidVirtualNodeName = "invalid-virtual-node-name";
    /// <summary>The injector itself failed; the host admits the pod without a sidecar.</summary>
    public const string InternalError = "internal-error";
}

/// <summary>What the engine decided for one pod.</summary>
public sealed record InjectionResult
{
    public required InjectionOutcome Outcome { get; init; }
    public required string Reason { get; init; }
    /// <summary>Human-readable explanation: the skip reason or the denial message.</summary>
    public string Message { get; init; } = "";
    /// <summary>The injected pod (only when <see cref="Outcome"/> is Injected).</summary>
    public JsonObject? Pod { get; init; }
    /// <summary>The operations that turn the input pod into <see cref="Pod"/>; empty when nothing changed.</summary>
    public IReadOnlyList<PatchOperation> Patch { get; init; } = [];
    public IReadOnlyList<string> Warnings { get; init; } = [];
    public string? Mesh { get; init; }
    public string? VirtualNode { get; init; }
    public string? Workload { get; init; }

    public static InjectionResult Skipped(string reason, string message, IReadOnlyList<string>? warnings = null, string? workload = null) =>
        new() { Outcome = InjectionOutcome.Skipped, Reason = reason, Message = message, Warnings = warnings ?? [], Workload = workload };

    public static InjectionResult Denied(string reason, string message, IReadOnlyList<string>? warnings = null, string? workload = null) =>
        new() { Outcome = InjectionOutcome.Denied, Reason = reason, Message = message, Warnings = warnings ?? [], Workload = workload };
}

/// <summary>What the engine needs to know about the pod's surroundings.</summary>
/// <param name="Namespace">The admission request's namespace.</param>
/// <param name="WorkloadName">The pod's top controller (Deployment, StatefulSet…), resolved by the caller; null: the pod's own name.</param>
/// <param name="NamespaceAnnotations">Annotations of the namespace, used as defaults.</param>
/// <param name="NativeSidecarsSupported">Whether the API server runs Kubernetes ≥ 1.29 (for <c>--sidecar-mode auto</c>).</param>
public sealed record PodContext(
    string Namespace,
    string? WorkloadName = null,
    IReadOnlyDictionary<string, string>? NamespaceAnnotations = null,
    bool NativeSidecarsSupported = false)
{
    /// <summary>No labels known (one shared empty map).</summary>
    public static readonly IReadOnlyDictionary<string, string> NoLabels = new Dictionary<string, string>();

    /// <summary>Labels of the namespace: its <c>appmesh.k8s.aws/sidecarInjectorWebhook</c> label is the
    /// namespace's injection default (<see cref="InjectionSwitch"/>). Empty when unknown.</summary>
    public IReadOnlyDictionary<string, string> NamespaceLabels { get; init; } = NoLabels;

    /// <summary>The API server's <c>gitVersion</c> (Envoy's <c>APPMESH_PLATFORM_K8S_VERSION</c>); null when unknown.</summary>
    public string? KubernetesVersion { get; init; }

    /// <summary>The kind of the pod's top controller (<c>Deployment</c>, <c>Job</c>, <c>CronJob</c>…, or <c>Pod</c>), when known.</summary>
    public string? WorkloadKind { get; init; }
}
