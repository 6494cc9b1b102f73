using System.Text.Json;
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

    /// <summary>Decides for <paramref name="pod"/> (as parsed, read only) in <paramref name="context"/> and, when it
    /// is injected, gives the patch that injects it; the result holds no pod. The webhook's way: nothing the engine
    /// only reads is materialised as nodes. With <paramref name="writeOnly"/> (a caller that only writes the patch
    /// out) the containers added are written when the patch is, and the status annotation is kept as UTF-8
    /// (<see cref="DeferredJson"/>): the patch's values can then be written but not read into.</summary>
    public InjectionResult Inject(JsonElement pod, PodContext context, bool writeOnly = false) => Inject(PodFields.Read(pod), context, writeOnly);

    /// <inheritdoc cref="Inject(JsonElement, PodContext, bool)"/>
    internal InjectionResult Inject(PodFields pod, PodContext context, bool writeOnly = false)
    {
        if (!SelectionGate.TrySelect(pod, context, Settings.InjectDefault, out var selected, out var refusal)) return refusal;
        if (!InjectionPlan.TryResolve(Settings, selected, context, out var plan, out refusal)) return refusal;

        var edit = new JsonEdit(pod.Pod);
        PodPlacement.Apply(plan, edit, selected, writeOnly);
        if (PodSecurity.Warning(context, plan, pod) is { } podSecurity) plan.Warnings.Add(podSecurity);
        var patch = edit.Operations();
        edit.Recycle();
        return new InjectionResult
        {
            Outcome = InjectionOutcome.Injected,
            Reason = Reasons.Injected,
            Message = InjectedMessages.Of(plan.Mesh, plan.VirtualNode),
            Patch = patch,
            Warnings = plan.Warnings,
            Mesh = plan.Mesh,
            VirtualNode = plan.VirtualNode,
            Workload = plan.Workload,
        };
    }

    // Every pod of a workload gets the same one.
    private static readonly LastMade InjectedMessages = new(static (mesh, virtualNode) => $"injected into mesh {mesh} as virtual node {virtualNode}");

    /// <summary>Injects <paramref name="pod"/> in <paramref name="context"/> and gives the injected pod too (the
    /// command-line tool's way): the patch applied to a copy, or to <paramref name="pod"/> itself when
    /// <paramref name="inPlace"/>. The patch's values are the engine's own, not nodes of the injected pod.</summary>
    public InjectionResult Inject(JsonObject pod, PodContext context, bool inPlace = false)
    {
        InjectionResult result;
        using (var parsed = JsonElements.Parse(pod)) result = Inject(parsed.RootElement, context);
        if (result.Outcome != InjectionOutcome.Injected) return result;
        var injected = inPlace ? pod : pod.DeepClone().AsObject();
        JsonPatch.Apply(injected, result.Patch);
        return result with { Pod = injected };
    }
}
