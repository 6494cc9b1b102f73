using System.Text.Json.Nodes;
using Injector.Core.Json;
using Injector.Core.Settings;

namespace Injector.Core.Injection;

/// <summary>The injection engine: decides whether a pod is meshed and, if so, adds <c>proxyinit</c>,
/// <c>envoy</c> (and <c>xray-daemon</c>) to it or to a copy, recording the patch as it goes. Pure: no I/O,
/// the same answer for the webhook and the command-line tool. Its steps: <see cref="SelectionGate"/> (is
/// the pod injected at all), <see cref="InjectionPlan"/> (what exactly, and is it valid), then placement
/// through <see cref="JsonEdit"/> of what the sidecar renderer writes. See
/// <see href="https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/">admission webhooks</see>.</summary>
public sealed class PodInjector(InjectorSettings settings)
{
    /// <summary>Version stamped into the status annotation.</summary>
    public static string Version => InjectorVersion.Current;

    public const string EnvoyName = "envoy";
    public const string ProxyInitName = "proxyinit";
    public const string XrayName = "xray-daemon";
    /// <summary>The name of the X-Ray daemon's UDP port.</summary>
    public const string XrayPortName = "xray";
    public const string EcrSecretName = "appmesh-ecr-secret";
    /// <summary>The hostPath volume of the SDS (SPIRE agent) socket, named as the controller names it (utils.go).</summary>
    public const string SdsVolumeName = "appmesh-sds-socket-volume";
    public const int ProxyUid = 1337;
    public const int IngressPort = 15000;
    public const int EgressPort = 15001;
    /// <summary><c>APPMESH_EGRESS_IGNORED_PORTS</c> without the <c>egressIgnoredPorts</c> annotation (SSH).</summary>
    public const string DefaultEgressIgnoredPorts = "22";

    public InjectorSettings Settings { get; } = settings;

    /// <summary>Injects <paramref name="pod"/> in <paramref name="context"/>. The pod is left unchanged
    /// unless <paramref name="inPlace"/>: then it becomes the injected pod and the patch's values are its
    /// nodes (the webhook's choice: the request's pod is used for nothing else, and not copying it halves
    /// the garbage of a review). <paramref name="patchOnly"/> (implies in place): the caller keeps only the
    /// patch, so the containers added are kept as their JSON text (<see cref="RawJson"/>), not parsed into
    /// nodes; the injected pod then holds them as raw values that can be written but not read into.</summary>
    public InjectionResult Inject(JsonObject pod, PodContext context, bool inPlace = false, bool patchOnly = false)
    {
        inPlace |= patchOnly;
        if (!SelectionGate.TrySelect(pod, context, Settings.InjectDefault, out var selected, out var refusal)) return refusal;
        if (!InjectionPlan.TryResolve(Settings, selected, context, out var plan, out refusal)) return refusal;

        // The webhook edits the request's own copy of the pod; other callers keep their input.
        var injected = inPlace ? pod : pod.DeepClone().AsObject();
        var edit = new JsonEdit(injected);
        PodPlacement.Apply(plan, edit, containersAsText: patchOnly);
        var patch = edit.Operations();
        return new InjectionResult
        {
            Outcome = InjectionOutcome.Injected,
            Reason = Reasons.Injected,
            Message = $"injected into mesh {plan.Mesh} as virtual node {plan.VirtualNode}",
            Pod = injected,
            // Values are nodes of the injected pod; a caller that keeps the pod gets its own copy of them.
            Patch = inPlace ? patch : patch.ConvertAll(op => op with { Value = op.Value?.DeepClone() }),
            Warnings = plan.Warnings,
            Mesh = plan.Mesh,
            VirtualNode = plan.VirtualNode,
            Workload = plan.Workload,
        };
    }
}
