using System.Text.Json;
using Injector.Core.Json;

namespace Injector.Core.Injection;

/// <summary>What the injection adds, seen by Pod Security admission: which rules of the level the namespace
/// enforces (label <c>pod-security.kubernetes.io/enforce</c>) the added containers and volumes break, so that a
/// pod the API server will refuse after injection carries a warning that names the cause and the way out.
/// Only what the injector adds is judged; the pod's own containers are not. Nothing injected changes (SPEC §3),
/// and no pod is denied for it. See
/// <see href="https://kubernetes.io/docs/concepts/security/pod-security-standards/">Pod Security Standards</see>.</summary>
public static class PodSecurity
{
    public const string EnforceLabel = "pod-security.kubernetes.io/enforce";
    public const string Privileged = "privileged";
    public const string Baseline = "baseline";
    public const string Restricted = "restricted";

    /// <summary>What the injection adds that Pod Security judges.</summary>
    /// <param name="ProxyInit">proxyinit is added (classic redirection; not in CNI mode).</param>
    /// <param name="XrayDaemon">xray-daemon is added.</param>
    /// <param name="HostPathVolume">The SDS socket's hostPath volume is added.</param>
    /// <param name="PodRunAsNonRoot">The pod's <c>securityContext.runAsNonRoot</c> is true (the added containers inherit it).</param>
    /// <param name="PodSeccomp">The pod's <c>securityContext.seccompProfile.type</c> is RuntimeDefault or Localhost.</param>
    public readonly record struct Added(bool ProxyInit, bool XrayDaemon, bool HostPathVolume, bool PodRunAsNonRoot, bool PodSeccomp);

    /// <summary>The rules of <paramref name="level"/> (<c>baseline</c> or <c>restricted</c>; anything else breaks
    /// none) that what is <paramref name="added"/> breaks, one short reason each, in the order of the standard.</summary>
    public static IReadOnlyList<string> Violations(string level, Added added)
    {
        if (level is not (Baseline or Restricted)) return [];
        var reasons = new List<string>();
        if (added.ProxyInit) reasons.Add($"{PodInjector.ProxyInitName} adds capability NET_ADMIN, which {level} does not allow");
        if (added.HostPathVolume) reasons.Add($"the SDS socket volume {PodInjector.SdsVolumeName} is a hostPath volume, which {level} does not allow");
        if (level == Baseline) return reasons;

        var (containers, @do) = Names(added);
        reasons.Add($"{containers} {@do} not set allowPrivilegeEscalation: false");
        reasons.Add($"{containers} {@do} not drop capability ALL");
        if (!added.PodRunAsNonRoot) reasons.Add($"{containers} {@do} not set runAsNonRoot: true, nor does the pod");
        if (!added.PodSeccomp) reasons.Add($"{containers} {@do} not set seccompProfile RuntimeDefault or Localhost, nor does the pod");
        return reasons;
    }

    /// <summary>The warning for a pod injected with <paramref name="added"/> in a namespace whose
    /// <c>pod-security.kubernetes.io/enforce</c> label is <paramref name="enforce"/>: null when that level allows
    /// all of it. A value that is no level is read as the API server reads it: restricted.</summary>
    public static string? Warning(string @namespace, string enforce, Added added)
    {
        var level = enforce is Privileged or Baseline or Restricted ? enforce : Restricted;
        var reasons = Violations(level, added);
        if (reasons.Count == 0) return null;
        var enforces = level == enforce
            ? $"namespace {@namespace} enforces Pod Security level {level} ({EnforceLabel}={enforce})"
            : $"namespace {@namespace} has {EnforceLabel}={enforce}, which is not privileged, baseline or restricted, so the API server enforces restricted";
        return $"{enforces} and will refuse this pod after injection: {string.Join("; ", reasons)}; {WayOut(level, added)}";
    }

    /// <summary>The warning for <paramref name="pod"/> injected by <paramref name="plan"/> in <paramref name="context"/>:
    /// one label lookup, and nothing read or allocated, for a namespace without the label.</summary>
    internal static string? Warning(PodContext context, InjectionPlan plan, PodFields pod) =>
        context.NamespaceLabels.Count > 0 && context.NamespaceLabels.TryGetValue(EnforceLabel, out var enforce) && enforce != Privileged
            ? Warning(context.Namespace, enforce, Of(plan, pod))
            : null;

    private static string WayOut(string level, Added added)
    {
        var cni = $"CNI mode (annotation {AnnotationKeys.AppMeshCni}: enabled, with the App Mesh CNI plugin)";
        var sds = $"annotation {AnnotationKeys.Sds}: disabled";
        var privileged = $"label the namespace {EnforceLabel}={Privileged}";
        if (level == Restricted)
        {
            var needs = (added.ProxyInit, added.HostPathVolume) switch
            {
                (true, true) => $" with {cni} and {sds}",
                (true, false) => $" with {cni}",
                (false, true) => $" with {sds}",
                _ => "",
            };
            return $"no injection mode meets restricted (the injected containers' security context is fixed): label the namespace {EnforceLabel}={Baseline}{needs}; or {privileged}";
        }
        var ways = new List<string>(3);
        if (added.ProxyInit) ways.Add($"{cni} adds no {PodInjector.ProxyInitName}");
        if (added.HostPathVolume) ways.Add($"{sds} adds no SDS volume");
        ways.Add(privileged);
        return "to mesh it: " + string.Join("; or ", ways);
    }

    // The added containers, in the order they are added, and the verb that agrees with them.
    private static (string, string) Names(Added added) => (added.ProxyInit, added.XrayDaemon) switch
    {
        (true, true) => ($"{PodInjector.ProxyInitName}, {PodInjector.EnvoyName} and {PodInjector.XrayName}", "do"),
        (true, false) => ($"{PodInjector.ProxyInitName} and {PodInjector.EnvoyName}", "do"),
        (false, true) => ($"{PodInjector.EnvoyName} and {PodInjector.XrayName}", "do"),
        _ => (PodInjector.EnvoyName, "does"),
    };

    /// <summary>What <paramref name="plan"/> adds to <paramref name="pod"/>, and the pod-level settings the added containers inherit.</summary>
    internal static Added Of(InjectionPlan plan, PodFields pod)
    {
        var context = pod.SecurityContext;
        var runAsNonRoot = context is { ValueKind: JsonValueKind.Object } c && JsonElements.Field(c, "runAsNonRoot"u8) is { ValueKind: JsonValueKind.True };
        var seccomp = context is { ValueKind: JsonValueKind.Object } s
            && JsonElements.Str(JsonElements.Field(JsonElements.Field(s, "seccompProfile"u8), "type"u8)) is "RuntimeDefault" or "Localhost";
        return new Added(!plan.Cni, plan.AddXrayDaemon, plan.AddSdsVolume, runAsNonRoot, seccomp);
    }
}
