using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;
using Injector.Core.Json;
using Injector.Core.Settings;

namespace Injector.Core.Injection;

/// <summary>Everything resolved for one selected pod before anything is written: its annotations parsed,
/// its mesh and virtual node named (SPEC §2), each value chosen between annotation and flag, and checked
/// against the pod so that the injected pod is one the API server accepts.</summary>
public sealed class InjectionPlan
{
    private InjectionPlan(InjectorSettings settings, PodOverrides overrides, SelectedPod pod, PodContext context, string mesh, string virtualNode, string? workload)
    {
        Settings = settings;
        Overrides = overrides;
        Pod = pod;
        Mesh = mesh;
        VirtualNode = virtualNode;
        Workload = workload;
        Cni = overrides.Cni ?? (JsonNodes.TryReadStringMap(pod.Metadata?["labels"], out var labels) && labels.ContainsKey(AnnotationKeys.FargateProfileLabel));
        Native = overrides.NativeSidecar ?? settings.SidecarMode switch
        {
            SidecarMode.Native => true,
            SidecarMode.Classic => false,
            _ => context.NativeSidecarsSupported,
        };
        CpuRequest = overrides.CpuRequest?.Text ?? settings.SidecarCpuRequests;
        MemoryRequest = overrides.MemoryRequest?.Text ?? settings.SidecarMemoryRequests;
        CpuLimit = overrides.CpuLimit?.Text ?? settings.SidecarCpuLimits;
        MemoryLimit = overrides.MemoryLimit?.Text ?? settings.SidecarMemoryLimits;
        // Read now, not when written: the webhook injects in place, and envoy's own port joins the pod later.
        AppPorts = overrides.Ports ?? ContainerPorts(pod.Spec);
    }

    public InjectorSettings Settings { get; }
    public PodOverrides Overrides { get; }
    public SelectedPod Pod { get; }
    public string Mesh { get; }
    public string VirtualNode { get; }
    /// <summary>The pod's top controller (or the pod's own name), when known.</summary>
    public string? Workload { get; }
    /// <summary>Admission warnings so far; rendering adds its own.</summary>
    public List<string> Warnings => Overrides.Warnings;

    /// <summary>The App Mesh CNI plugin redirects traffic (annotation, or a Fargate pod): no proxyinit.</summary>
    public bool Cni { get; }
    /// <summary>The sidecars are native sidecars (init containers with <c>restartPolicy: Always</c>).</summary>
    public bool Native { get; }
    public string CpuRequest { get; }
    public string MemoryRequest { get; }
    public string? CpuLimit { get; }
    public string? MemoryLimit { get; }
    /// <summary><c>APPMESH_APP_PORTS</c>: the <c>ports</c> annotation, else <see cref="ContainerPorts"/>.</summary>
    public string AppPorts { get; }
    public string EgressIgnoredIps => Overrides.EgressIgnoredIps ?? Formats.NormalizeAddressList(Settings.IgnoredIps) ?? "";
    public string EgressIgnoredPorts => Overrides.EgressIgnoredPorts ?? PodInjector.DefaultEgressIgnoredPorts;
    /// <summary>Envoy's <c>APPMESH_VIRTUAL_NODE_NAME</c> and <c>APPMESH_RESOURCE_ARN</c>.</summary>
    public string ResourceArn => $"mesh/{Mesh}/virtualNode/{VirtualNode}";

    /// <summary>Resolves the plan of a selected pod; false, with the skip or denial, when its annotations
    /// are malformed, it has no name to derive a virtual node from, or the plan would give an invalid pod.</summary>
    public static bool TryResolve(InjectorSettings settings, SelectedPod pod, PodContext context,
        [NotNullWhen(true)] out InjectionPlan? plan, [NotNullWhen(false)] out InjectionResult? refusal)
    {
        plan = null;
        var overrides = PodOverrides.Parse(pod.Annotations);
        var warnings = overrides.Warnings;
        if (overrides.Errors.Count > 0)
        {
            refusal = InjectionResult.Denied(Reasons.InvalidAnnotation, string.Join("; ", overrides.Errors), warnings);
            return false;
        }

        var workload = context.WorkloadName ?? JsonNodes.Str(pod.Metadata?["name"]);
        var mesh = overrides.Mesh ?? settings.MeshName;
        var virtualNode = overrides.VirtualNode;
        if (virtualNode is null)
        {
            if (string.IsNullOrEmpty(workload))
            {
                refusal = InjectionResult.Skipped(Reasons.NoWorkloadName, "the pod has neither an owner nor a name to derive its virtual node from", warnings);
                return false;
            }
            virtualNode = $"{workload}-{context.Namespace}";
            if (!Formats.IsMeshName(virtualNode))
            {
                refusal = InjectionResult.Denied(Reasons.InvalidVirtualNodeName,
                    $"the derived virtual node name \"{virtualNode}\" is not a valid App Mesh name ({Formats.MeshNameFormat}); set the {AnnotationKeys.VirtualNode} annotation", warnings, workload);
                return false;
            }
        }

        var resolved = new InjectionPlan(settings, overrides, pod, context, mesh, virtualNode, workload);
        if (!resolved.Native && context.WorkloadKind is "Job" or "CronJob") warnings.Add(ClassicJobWarning(context.WorkloadKind));
        if (resolved.Validate() is { Count: > 0 } errors)
        {
            refusal = InjectionResult.Denied(Reasons.InvalidAnnotation, string.Join("; ", errors), warnings, workload);
            return false;
        }
        plan = resolved;
        refusal = null;
        return true;
    }

    /// <summary>A Job's pod with a classic Envoy sidecar never completes: Envoy keeps running after the job's
    /// containers exit (SPEC §4). The fix is native mode.</summary>
    public static string ClassicJobWarning(string kind) =>
        $"{kind} pods never complete while a classic Envoy sidecar keeps running; use native sidecars on Kubernetes >= 1.29 " +
        $"(--sidecar-mode native, or --sidecar-mode auto against such a cluster, or the annotation {AnnotationKeys.NativeSidecar}: enabled)";

    /// <summary>What would make the API server reject the injected pod: a request above its limit (annotation
    /// against flag, or the reverse; two annotations are checked when parsed), unknown or duplicate volumes,
    /// shared mount paths. Empty when the plan is sound.</summary>
    public List<string> Validate()
    {
        var errors = new List<string>();
        CheckResource(errors, "cpu", CpuRequest, CpuLimit, Overrides.CpuRequest is not null, Overrides.CpuLimit is not null);
        CheckResource(errors, "memory", MemoryRequest, MemoryLimit, Overrides.MemoryRequest is not null, Overrides.MemoryLimit is not null);
        CheckMounts(errors);
        return errors;
    }

    private static void CheckResource(List<string> errors, string kind, string request, string? limit, bool requestFromAnnotation, bool limitFromAnnotation)
    {
        if (limit is null || !Quantity.TryParse(request, out var r) || !Quantity.TryParse(limit, out var l) || r.Value <= l.Value) return;
        var requestSource = requestFromAnnotation ? $"annotation {AnnotationKeys.Prefix}{kind}Request" : $"--sidecar-{kind}-requests";
        var limitSource = limitFromAnnotation ? $"annotation {AnnotationKeys.Prefix}{kind}Limit" : $"--sidecar-{kind}-limits";
        errors.Add($"{requestSource} \"{request}\" is above {limitSource} \"{limit}\"; a request must not exceed its limit");
    }

    private void CheckMounts(List<string> errors)
    {
        var o = Overrides;
        if (o.VolumeMounts.Count + o.SecretMounts.Count == 0) return; // most pods: no need to read the volumes
        var volumes = Pod.Spec["volumes"] is JsonArray list ? list.Select(v => JsonNodes.Str(JsonNodes.Field(v, "name"))).OfType<string>().ToHashSet() : [];
        foreach (var mount in o.VolumeMounts)
        {
            if (!volumes.Contains(mount.Name))
                errors.Add($"annotation {AnnotationKeys.VolumeMounts}: the pod has no volume named \"{mount.Name}\"");
        }
        var secrets = new HashSet<string>();
        foreach (var mount in o.SecretMounts)
        {
            if (volumes.Contains(mount.Name))
                errors.Add($"annotation {AnnotationKeys.SecretMounts}: the pod already has a volume named \"{mount.Name}\"; mount it with {AnnotationKeys.VolumeMounts} instead");
            else if (!secrets.Add(mount.Name))
                errors.Add($"annotation {AnnotationKeys.SecretMounts}: the secret \"{mount.Name}\" is listed more than once");
        }
        var paths = new HashSet<string>();
        foreach (var (key, mount) in o.SecretMounts.Select(m => (AnnotationKeys.SecretMounts, m)).Concat(o.VolumeMounts.Select(m => (AnnotationKeys.VolumeMounts, m))))
        {
            if (!paths.Add(mount.MountPath.TrimEnd('/')))
                errors.Add($"annotation {key}: the mount path \"{mount.MountPath}\" is used more than once");
        }
    }

    /// <summary>Every containerPort of the app containers, in order, without repeats, comma-joined:
    /// <c>APPMESH_APP_PORTS</c> when the pod has no <c>ports</c> annotation.</summary>
    public static string ContainerPorts(JsonObject spec)
    {
        var ports = new List<int>();
        if (spec["containers"] is not JsonArray containers) return "";
        foreach (var container in containers)
        {
            if (JsonNodes.Field(container, "ports") is not JsonArray list) continue;
            foreach (var port in list)
            {
                if (JsonNodes.Int(JsonNodes.Field(port, "containerPort")) is { } number && !ports.Contains(number)) ports.Add(number);
            }
        }
        return string.Join(',', ports);
    }
}
