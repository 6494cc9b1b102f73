using System.Text.Json.Nodes;
using Injector.Core;
using Injector.Core.Injection;
using Injector.Core.Json;
using Injector.Core.Settings;

namespace Injector.Cli.Explain;

/// <summary>One effective sidecar setting and where its value came from.</summary>
/// <param name="Name">What the setting is, e.g. "envoy image".</param>
/// <param name="Value">The value the pod gets.</param>
/// <param name="Source">"default", "flag --x", "environment variable X", "config file 'path'", "annotation k",
/// "namespace annotation k", or how the value was derived.</param>
public sealed record ExplainedSetting(string Name, string Value, string Source);

/// <summary>Why a pod template would (not) be injected, and with which settings.</summary>
public sealed record PodExplanation(InjectionResult Result, IReadOnlyList<ExplainedSetting> Settings);

/// <summary>Answers "why was my pod (not) injected?": runs the engine on the pod and lists every effective
/// sidecar setting with its source (default, flag, configuration, namespace annotation, pod annotation).</summary>
/// <param name="injector">The engine, with the settings to explain.</param>
/// <param name="settingSources">Where each non-default setting came from (the settings loader's <c>Sources</c>).</param>
public sealed class PodExplainer(PodInjector injector, IReadOnlyDictionary<string, string>? settingSources = null)
{
    private readonly IReadOnlyDictionary<string, string> _sources = settingSources ?? new Dictionary<string, string>();

    public PodExplanation Explain(JsonObject pod, PodContext context)
    {
        var result = injector.Inject(pod, context);
        var s = injector.Settings;
        var annotations = new EffectiveAnnotations(JsonNodes.StringProperties(JsonNodes.Path(pod, "metadata", "annotations")), context.NamespaceAnnotations);
        var o = PodOverrides.Parse(annotations);
        var list = new List<ExplainedSetting>();

        string FlagSource(string flag) => _sources.TryGetValue(flag, out var where) ? where : "default";

        // A setting an annotation may override: the annotation's (parsed) value, else the flag's.
        void Add(string name, string key, object? parsed, string flag, Func<InjectorSettings, object?> read, Func<object?, string>? show = null)
        {
            show ??= v => v?.ToString() ?? "(none)";
            if (annotations.TryGet(key, out var raw, out var source))
            {
                var where = source == AnnotationSource.Namespace ? $"namespace annotation {key}" : $"annotation {key}";
                list.Add(parsed is null ? new(name, raw, where + " (invalid)") : new(name, show(parsed), where));
            }
            else
            {
                list.Add(new(name, show(read(s)), FlagSource(flag)));
            }
        }
        static string OnOff(object? v) => v is true ? "enabled" : "disabled";

        // Where the engine's switch reads its value (InjectionSwitch): an invalid value leaves --inject-default to decide.
        if (InjectionSwitch.Source(annotations, context.NamespaceLabels) is var (switchValue, switchWhere) && Formats.ParseEnabled(switchValue) is { } switchOn)
        {
            var where = switchWhere == "namespace label" ? $"namespace label {AnnotationKeys.SidecarInjectorWebhook}={switchValue}" : $"{switchWhere} {AnnotationKeys.SidecarInjectorWebhook}";
            list.Add(new("injection", OnOff(switchOn), where));
        }
        else
        {
            list.Add(new("injection", OnOff(s.InjectDefault), FlagSource("inject-default")));
        }
        Add("mesh", AnnotationKeys.Mesh, o.Mesh, "mesh-name", x => x.MeshName);
        if (annotations.TryGet(AnnotationKeys.VirtualNode, out var vnRaw, out var vnSource))
            list.Add(new("virtual node", o.VirtualNode ?? vnRaw, (vnSource == AnnotationSource.Namespace ? "namespace annotation " : "annotation ") + AnnotationKeys.VirtualNode + (o.VirtualNode is null ? " (invalid)" : "")));
        else
        {
            var workload = context.WorkloadName ?? JsonNodes.Str(JsonNodes.Path(pod, "metadata", "name"));
            list.Add(workload is null
                ? new("virtual node", "(none)", "no workload name to derive it from")
                : new("virtual node", $"{workload}-{context.Namespace}", $"derived: workload {workload} + namespace {context.Namespace}"));
        }

        var native = o.NativeSidecar;
        if (annotations.TryGet(AnnotationKeys.NativeSidecar, out _, out _))
            Add("sidecar mode", AnnotationKeys.NativeSidecar, native, "sidecar-mode", x => x.SidecarMode, v => v is true ? "native" : "classic");
        else
        {
            var mode = s.SidecarMode switch
            {
                SidecarMode.Native => "native",
                SidecarMode.Classic => "classic",
                _ => context.NativeSidecarsSupported ? "native (auto: the cluster supports native sidecars)" : "classic (auto: native sidecars not known to be supported)",
            };
            list.Add(new("sidecar mode", mode, FlagSource("sidecar-mode")));
        }

        var fargate = JsonNodes.Path(pod, "metadata", "labels", AnnotationKeys.FargateProfileLabel) is not null;
        if (annotations.TryGet(AnnotationKeys.AppMeshCni, out _, out _))
            Add("CNI mode", AnnotationKeys.AppMeshCni, o.Cni, "", _ => null, OnOff);
        else
            list.Add(new("CNI mode", fargate ? "enabled" : "disabled", fargate ? $"label {AnnotationKeys.FargateProfileLabel} (Fargate)" : "default"));
        var cni = o.Cni ?? fargate;

        Add("envoy image", AnnotationKeys.SidecarImage, o.SidecarImage, "sidecar-image", x => x.SidecarImage);
        if (!cni) list.Add(new("proxyinit image", s.InitImage, FlagSource("init-image")));
        Add("envoy log level", AnnotationKeys.SidecarLogLevel, o.SidecarLogLevel, "envoy-log-level", x => x.EnvoyLogLevel);
        Add("preview", AnnotationKeys.Preview, o.Preview, "preview", x => x.Preview, OnOff);
        Add("cpu request", AnnotationKeys.CpuRequest, o.CpuRequest?.Text, "sidecar-cpu-requests", x => x.SidecarCpuRequests);
        Add("memory request", AnnotationKeys.MemoryRequest, o.MemoryRequest?.Text, "sidecar-memory-requests", x => x.SidecarMemoryRequests);
        Add("cpu limit", AnnotationKeys.CpuLimit, o.CpuLimit?.Text, "sidecar-cpu-limits", x => x.SidecarCpuLimits);
        Add("memory limit", AnnotationKeys.MemoryLimit, o.MemoryLimit?.Text, "sidecar-memory-limits", x => x.SidecarMemoryLimits);

        if (annotations.TryGet(AnnotationKeys.Ports, out _, out _))
            Add("app ports", AnnotationKeys.Ports, o.Ports, "", _ => null);
        else
        {
            using var spec = JsonElements.Parse(pod["spec"] as JsonObject ?? new JsonObject());
            list.Add(new("app ports", InjectionPlan.ContainerPorts(spec.RootElement) is { Length: > 0 } ports ? ports : "(none: egress only)", "containerPorts of the app containers"));
        }
        Add("egress ignored IPs", AnnotationKeys.EgressIgnoredIPs, o.EgressIgnoredIps, "ignored-ips", x => x.IgnoredIps);
        if (annotations.TryGet(AnnotationKeys.EgressIgnoredPorts, out _, out _))
            Add("egress ignored ports", AnnotationKeys.EgressIgnoredPorts, o.EgressIgnoredPorts, "", _ => null);
        else
            list.Add(new("egress ignored ports", PodInjector.DefaultEgressIgnoredPorts, "default"));
        if (annotations.TryGet(AnnotationKeys.Ipv6, out _, out _))
            Add("IPv6", AnnotationKeys.Ipv6, o.Ipv6, "", _ => null, OnOff);
        else
            list.Add(new("IPv6", "enabled", "default"));

        if (annotations.TryGet(AnnotationKeys.SidecarEnv, out _, out _))
            Add("extra envoy env", AnnotationKeys.SidecarEnv, o.Errors.Any(e => e.Contains(AnnotationKeys.SidecarEnv, StringComparison.Ordinal)) ? null : string.Join(",", o.SidecarEnv.Select(p => $"{p.Key}={p.Value}")), "", _ => null);
        if (annotations.TryGet(AnnotationKeys.SecretMounts, out _, out _))
            Add("secret mounts", AnnotationKeys.SecretMounts, o.SecretMounts.Count > 0 ? string.Join(",", o.SecretMounts.Select(m => $"{m.Name}:{m.MountPath}")) : null, "", _ => null);
        if (annotations.TryGet(AnnotationKeys.VolumeMounts, out _, out _))
            Add("volume mounts", AnnotationKeys.VolumeMounts, o.VolumeMounts.Count > 0 ? string.Join(",", o.VolumeMounts.Select(m => $"{m.Name}:{m.MountPath}")) : null, "", _ => null);

        list.Add(new("region", s.Region, FlagSource("region")));
        var tracer = s.Tracer switch
        {
            Tracer.XRay => ("X-Ray", "enable-xray-tracing"),
            Tracer.Jaeger => ("Jaeger", "enable-jaeger-tracing"),
            Tracer.Datadog => ("Datadog", "enable-datadog-tracing"),
            _ => ("none", ""),
        };
        list.Add(new("tracing", tracer.Item1, tracer.Item2.Length == 0 ? "default" : FlagSource(tracer.Item2)));
        return new PodExplanation(result, list);
    }
}
