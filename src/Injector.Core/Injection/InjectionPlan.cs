using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
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
        _volumes = pod.Fields.Volumes;
        Mesh = mesh;
        VirtualNode = virtualNode;
        Workload = workload;
        KubernetesVersion = context.KubernetesVersion;
        Cni = overrides.Cni ?? HasFargateLabel(pod.Fields.Labels);
        Native = overrides.NativeSidecar ?? settings.SidecarMode switch
        {
            SidecarMode.Native => true,
            SidecarMode.Classic => false,
            _ => context.NativeSidecarsSupported,
        };
        var cleared = overrides.ClearedResources;
        CpuRequest = cleared.Contains(AnnotationKeys.CpuRequest) ? null : overrides.CpuRequest?.Text ?? settings.SidecarCpuRequests;
        MemoryRequest = cleared.Contains(AnnotationKeys.MemoryRequest) ? null : overrides.MemoryRequest?.Text ?? settings.SidecarMemoryRequests;
        CpuLimit = cleared.Contains(AnnotationKeys.CpuLimit) ? null : overrides.CpuLimit?.Text ?? settings.SidecarCpuLimits;
        MemoryLimit = cleared.Contains(AnnotationKeys.MemoryLimit) ? null : overrides.MemoryLimit?.Text ?? settings.SidecarMemoryLimits;
        // Read now, not when written: the webhook injects in place, and envoy's own port joins the pod later.
        AppPorts = overrides.Ports ?? ContainerPorts(pod.Fields.Containers);
        // An existing xray-daemon (the controller's xray.go leaves it alone) is not added again: one name, one container.
        AddXrayDaemon = settings.EnableXrayTracing && !SelectionGate.HasContainer(pod.Fields, PodInjector.XrayName);
        Sds = settings.EnableSds && overrides.Sds != false;
        Warnings = [.. pod.Warnings ?? [], .. overrides.Warnings];
        if (Sds) (SdsVolumeName, AddSdsVolume) = FindSdsVolume();
    }

    /// <summary>The volume Envoy mounts the SDS socket from: a hostPath volume of the pod already at
    /// <c>--sds-uds-path</c> (then none is added, as in the controller's utils.go), else the one placement
    /// adds; none, with a warning, when the pod holds another volume of that name.</summary>
    private (string?, bool) FindSdsVolume()
    {
        foreach (var volume in JsonElements.Items(_volumes))
        {
            if (JsonElements.IsString(JsonElements.Field(JsonElements.Field(volume, "hostPath"u8), "path"u8), Settings.SdsUdsPath) && JsonElements.Str(JsonElements.Field(volume, "name"u8)) is { } name)
                return (name, false);
        }
        if (PodVolumes().Contains(PodInjector.SdsVolumeName))
        {
            Warnings.Add($"the pod has a volume named {PodInjector.SdsVolumeName} that is not the SDS socket {Settings.SdsUdsPath}; the socket is not mounted into Envoy");
            return (null, false);
        }
        return (PodInjector.SdsVolumeName, true);
    }

    public InjectorSettings Settings { get; }
    public PodOverrides Overrides { get; }
    // The pod's volumes: all the plan reads of the pod once made (not the whole selected pod, a dozen members).
    private readonly JsonElement? _volumes;
    public string Mesh { get; }
    public string VirtualNode { get; }
    /// <summary>The pod's top controller (or the pod's own name), when known.</summary>
    public string? Workload { get; }
    /// <summary>The API server's version, for <c>APPMESH_PLATFORM_K8S_VERSION</c>; null when unknown.</summary>
    public string? KubernetesVersion { get; }
    /// <summary>Admission warnings: the gate's, the annotations', the plan's; rendering adds its own.</summary>
    public List<string> Warnings { get; }

    /// <summary>The App Mesh CNI plugin redirects traffic (annotation, or a Fargate pod): no proxyinit.</summary>
    public bool Cni { get; }
    /// <summary>The sidecars are native sidecars (init containers with <c>restartPolicy: Always</c>).</summary>
    public bool Native { get; }
    /// <summary>Envoy's resources; null: not set (an empty annotation, as the controller reads it).</summary>
    public string? CpuRequest { get; }
    public string? MemoryRequest { get; }
    public string? CpuLimit { get; }
    public string? MemoryLimit { get; }
    /// <summary><c>APPMESH_APP_PORTS</c>: the <c>ports</c> annotation, else <see cref="ContainerPorts(JsonElement)"/>.</summary>
    public string AppPorts { get; }
    public string EgressIgnoredIps => Overrides.EgressIgnoredIps ?? CanonicalIgnoredIps(Settings.IgnoredIps);

    // --ignored-ips in canonical form: the same for every pod, so read once per value rather than per review.
    private static Tuple<string, string>? s_ignoredIps;

    private static string CanonicalIgnoredIps(string flag)
    {
        if (Volatile.Read(ref s_ignoredIps) is { } cached && cached.Item1 == flag) return cached.Item2;
        var canonical = IptablesLists.ReadAddresses(flag).Value;
        Volatile.Write(ref s_ignoredIps, Tuple.Create(flag, canonical));
        return canonical;
    }
    public string EgressIgnoredPorts => Overrides.EgressIgnoredPorts ?? PodInjector.DefaultEgressIgnoredPorts;
    /// <summary>Envoy's <c>APPMESH_VIRTUAL_NODE_NAME</c> and <c>APPMESH_RESOURCE_ARN</c>.</summary>
    public string ResourceArn => _resourceArn ??= Arns.Of(Mesh, VirtualNode);
    private string? _resourceArn;

    // Every pod of a workload gets the same one.
    private static readonly LastMade Arns = new(static (mesh, virtualNode) => $"mesh/{mesh}/virtualNode/{virtualNode}");
    /// <summary>X-Ray is on and the pod has no container of the daemon's name yet.</summary>
    public bool AddXrayDaemon { get; }
    /// <summary>SDS is on for the pod (<c>--enable-sds</c>, unless the pod says <c>sds: disabled</c>).</summary>
    public bool Sds { get; }
    /// <summary>The volume Envoy mounts the SDS socket from; null when SDS is off or the socket cannot be mounted.</summary>
    public string? SdsVolumeName { get; }
    /// <summary>Placement adds the SDS socket's hostPath volume.</summary>
    public bool AddSdsVolume { get; }
    // After the App Mesh service (SPEC §10): the pod's annotation, else the flag; a pod whose sidecarEnv or
    // sidecarEnvJson sets the variable keeps it over the flag (the controller has no flag for them: sidecarEnv was its way).
    public string? XdsEndpoint => Overrides.XdsEndpoint ?? FlagUnlessPodEnv(SidecarRenderer.XdsEndpointVariable, Settings.XdsEndpoint);
    public string? SigningName => Overrides.SigningName ?? FlagUnlessPodEnv(SidecarRenderer.SigningNameVariable, Settings.SigningName);
    public string? ResourceCluster => Overrides.ResourceCluster ?? FlagUnlessPodEnv(SidecarRenderer.ResourceClusterVariable, Settings.ResourceCluster);

    private string? FlagUnlessPodEnv(string variable, string? flag) =>
        flag is null || Overrides.SidecarEnv.Count == 0 || !Overrides.SidecarEnv.Any(e => e.Key == variable) ? flag : null;
    /// <summary>The X-Ray daemon's config mount, when the daemon is added and the annotation is well-formed.</summary>
    public XrayConfigMount? XrayConfigMount => AddXrayDaemon && Overrides.XrayConfigMount is { Error: null } mount ? mount : null;

    /// <summary>Resolves the plan of a selected pod; false, with the skip or denial, when its annotations
    /// are malformed in a way the controller refuses too, it has no name to derive a virtual node from, or
    /// the plan would give a pod the API server rejects.</summary>
    public static bool TryResolve(InjectorSettings settings, SelectedPod pod, PodContext context,
        [NotNullWhen(true)] out InjectionPlan? plan, [NotNullWhen(false)] out InjectionResult? refusal)
    {
        plan = null;
        var overrides = PodOverrides.Parse(pod.Annotations);
        // The warnings so far, for a refusal (a resolved plan keeps its own list).
        List<string> WarningsSoFar() => [.. pod.Warnings ?? [], .. overrides.Warnings];
        if (overrides.Errors.Count > 0)
        {
            refusal = InjectionResult.Denied(Reasons.InvalidAnnotation, string.Join("; ", overrides.Errors), WarningsSoFar());
            return false;
        }

        var workload = context.WorkloadName ?? JsonElements.Str(pod.Fields.Name);
        var mesh = overrides.Mesh ?? settings.MeshName;
        var virtualNode = overrides.VirtualNode;
        string? nameWarning = null;
        if (virtualNode is null)
        {
            if (string.IsNullOrEmpty(workload))
            {
                refusal = InjectionResult.Skipped(Reasons.NoWorkloadName, "the pod has neither an owner nor a name to derive its virtual node from", WarningsSoFar());
                return false;
            }
            virtualNode = DerivedNames.Of(workload, context.Namespace);
            if (!Formats.IsMeshName(virtualNode))
            {
                // The controller names virtual nodes after VirtualNode resources and has no derived name to
                // refuse; a name App Mesh accepts keeps such a pod (a dotted StatefulSet's) injected.
                var valid = ValidName(virtualNode);
                nameWarning = $"the derived virtual node name {PodOverrides.Quote(virtualNode)} is not a valid App Mesh name ({Formats.MeshNameFormat}); " +
                    $"injected as \"{valid}\"; set the {AnnotationKeys.VirtualNode} annotation to name it";
                virtualNode = valid;
            }
        }

        var resolved = new InjectionPlan(settings, overrides, pod, context, mesh, virtualNode, workload);
        if (nameWarning is not null) resolved.Warnings.Add(nameWarning);
        if (!resolved.Native && context.WorkloadKind is "Job" or "CronJob") resolved.Warnings.Add(ClassicJobWarning(context.WorkloadKind));
        if (resolved.Validate() is { Count: > 0 } errors)
        {
            refusal = InjectionResult.Denied(Reasons.InvalidAnnotation, string.Join("; ", errors), resolved.Warnings, workload);
            return false;
        }
        resolved.WarnAboutPorts();
        plan = resolved;
        refusal = null;
        return true;
    }

    // <c>workload-namespace</c>: every pod of a workload gets the same one.
    private static readonly LastMade DerivedNames = new(static (workload, @namespace) => $"{workload}-{@namespace}");

    /// <summary>A Job's pod with a classic Envoy sidecar never completes: Envoy keeps running after the job's
    /// containers exit (SPEC §4). The fix is native mode.</summary>
    public static string ClassicJobWarning(string kind) =>
        $"{kind} pods never complete while a classic Envoy sidecar keeps running; use native sidecars on Kubernetes >= 1.29 " +
        $"(--sidecar-mode native, or --sidecar-mode auto against such a cluster, or the annotation {AnnotationKeys.NativeSidecar}: enabled)";

    /// <summary>The name with every character App Mesh refuses replaced by '-', at most 255 characters.</summary>
    private static string ValidName(string name)
    {
        var text = new StringBuilder(name.Length);
        foreach (var c in name) text.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-');
        return text.Length > 255 ? text.ToString(0, 255) : text.ToString();
    }

    /// <summary>What would make the API server reject the injected pod, or what the controller refuses when
    /// it adds the X-Ray daemon: a request above its limit (annotation against flag, or the reverse; two
    /// annotations are checked when parsed), unknown or duplicate volumes, shared mount paths, a malformed
    /// <c>xrayAgentConfigMount</c> or sampling rate. Empty when the plan is sound.</summary>
    public List<string> Validate()
    {
        var errors = new List<string>();
        CheckResource(errors, "cpu", CpuRequest, CpuLimit, Overrides.CpuRequest is not null, Overrides.CpuLimit is not null);
        CheckResource(errors, "memory", MemoryRequest, MemoryLimit, Overrides.MemoryRequest is not null, Overrides.MemoryLimit is not null);
        CheckMounts(errors);
        CheckXray(errors);
        return errors;
    }

    private static void CheckResource(List<string> errors, string kind, string? request, string? limit, bool requestFromAnnotation, bool limitFromAnnotation)
    {
        if (request is null || limit is null || !Quantity.TryParse(request, out var r) || !Quantity.TryParse(limit, out var l) || r.Value <= l.Value) return;
        var requestSource = requestFromAnnotation ? $"annotation {AnnotationKeys.Prefix}{kind}Request" : $"--sidecar-{kind}-requests";
        var limitSource = limitFromAnnotation ? $"annotation {AnnotationKeys.Prefix}{kind}Limit" : $"--sidecar-{kind}-limits";
        errors.Add($"{requestSource} \"{request}\" is above {limitSource} \"{limit}\"; a request must not exceed its limit");
    }

    /// <summary>The pod's volume names, read once.</summary>
    private HashSet<string> PodVolumes()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var volume in JsonElements.Items(_volumes))
        {
            if (JsonElements.Str(JsonElements.Field(volume, "name"u8)) is { } name) names.Add(name);
        }
        return names;
    }

    // A Fargate pod's labels name its profile: the App Mesh CNI plugin redirects its traffic.
    // As reading the labels into a map (every value must be a string) and asking it for the key, without the map.
    private static bool HasFargateLabel(JsonElement? labels)
    {
        if (labels is not { ValueKind: JsonValueKind.Object } map) return false;
        var found = false;
        foreach (var label in map.EnumerateObject())
        {
            if (label.Value.ValueKind != JsonValueKind.String) return false;
            found |= new PropertyName(label).Is(FargateProfileLabel);
        }
        return found;
    }

    // AnnotationKeys.FargateProfileLabel as UTF-8.
    private static ReadOnlySpan<byte> FargateProfileLabel => "eks.amazonaws.com/fargate-profile"u8;

    private void CheckMounts(List<string> errors)
    {
        var o = Overrides;
        if (o.VolumeMounts.Count + o.SecretMounts.Count == 0 && !Sds) return; // most pods: no need to read the volumes
        var volumes = PodVolumes();
        foreach (var mount in o.VolumeMounts)
        {
            if (!volumes.Contains(mount.Name))
                errors.Add($"annotation {AnnotationKeys.VolumeMounts}: the pod has no volume named \"{mount.Name}\"");
        }
        foreach (var mount in o.SecretMounts)
        {
            // The parser keeps one entry per secret (the last, as the controller's map does).
            if (volumes.Contains(mount.Name))
                errors.Add($"annotation {AnnotationKeys.SecretMounts}: the pod already has a volume named \"{mount.Name}\"; mount it with {AnnotationKeys.VolumeMounts} instead");
        }
        var paths = new HashSet<string>();
        foreach (var (key, mount) in o.SecretMounts.Select(m => (AnnotationKeys.SecretMounts, m)).Concat(o.VolumeMounts.Select(m => (AnnotationKeys.VolumeMounts, m))))
        {
            if (!paths.Add(mount.MountPath.TrimEnd('/')))
                errors.Add($"annotation {key}: the mount path \"{mount.MountPath}\" is used more than once");
        }
        if (Sds && paths.Contains(Settings.SdsUdsPath.TrimEnd('/')))
            errors.Add($"the mount path \"{Settings.SdsUdsPath}\" is used by an annotation and by the SDS socket (--sds-uds-path)");
        if (Sds && o.SecretMounts.Any(m => m.Name == PodInjector.SdsVolumeName))
            errors.Add($"annotation {AnnotationKeys.SecretMounts}: \"{PodInjector.SdsVolumeName}\" is the SDS socket's volume; name the secret otherwise");
    }

    // xray.go: the daemon's config mount and the sampling rate are checked when the daemon is added, and
    // a malformed one fails the admission; without the daemon the controller never reads the annotation.
    private void CheckXray(List<string> errors)
    {
        if (Overrides.XrayConfigMount is { } mount)
        {
            if (!AddXrayDaemon)
                Warnings.Add($"annotation {AnnotationKeys.XrayAgentConfigMount} is ignored: " +
                    (Settings.EnableXrayTracing ? $"the pod already has a container named {PodInjector.XrayName}" : "X-Ray tracing is off (--enable-xray-tracing)"));
            else if (mount.Error is not null)
                errors.Add(mount.Error);
            else if (!PodVolumes().Contains(mount.VolumeName))
                errors.Add($"annotation {AnnotationKeys.XrayAgentConfigMount}: the pod has no volume named \"{mount.VolumeName}\"");
        }
        if (Settings.EnableXrayTracing && Overrides.XraySamplingRate is { } rate && XraySampling.Format(rate.Value) is null)
            errors.Add($"{rate.Where}: {SidecarRenderer.XraySamplingRate} {PodOverrides.Quote(rate.Value)} is not a number from 0 to 1");
    }

    /// <summary>SPEC issue 13 B.6: an app port that is one of Envoy's own ports gives a pod whose Envoy or
    /// app cannot bind it; admitted (the API server accepts it) with a warning that says what moves which.</summary>
    private void WarnAboutPorts()
    {
        if (AppPorts.Length == 0) return;
        // One pass over the entries; the warnings in the order of Envoy's ports.
        bool admin = false, ingress = false, egress = false;
        if (!PlainPortsCover(AppPorts, ref admin, ref ingress, ref egress))
        {
            admin = ingress = egress = false;
            foreach (var entry in IptablesLists.ReadPorts(AppPorts).Entries)
            {
                if (entry.Kind is not (EntryKind.Canonical or EntryKind.Rewritten)) continue;
                admin |= Contains(entry.Written!, Settings.EnvoyAdminPort);
                ingress |= Contains(entry.Written!, PodInjector.IngressPort);
                egress |= Contains(entry.Written!, PodInjector.EgressPort);
            }
        }
        if (admin) WarnAboutPort(Settings.EnvoyAdminPort, "Envoy's admin port", "--envoy-admin-port (the controller's --envoy-admin-access-port) moves Envoy's");
        if (ingress) WarnAboutPort(PodInjector.IngressPort, "Envoy's ingress port", "Envoy's is fixed: move the app's port");
        if (egress) WarnAboutPort(PodInjector.EgressPort, "Envoy's egress port", "Envoy's is fixed: move the app's port");
    }

    private void WarnAboutPort(int port, string what, string moves)
    {
        var source = Overrides.Ports is null ? "a containerPort of the app" : $"annotation {AnnotationKeys.Ports}";
        Warnings.Add($"app port {port} ({source}) is {what}: Envoy and the app cannot both listen on it; {moves}");
    }

    // The usual list, decimal ports and first:last ranges as ContainerPorts writes them, read without the
    // general reader's allocations (a list and a string per entry); false, for the general reader, on anything else.
    private bool PlainPortsCover(string list, ref bool admin, ref bool ingress, ref bool egress)
    {
        var text = list.AsSpan();
        foreach (var range in text.Split(','))
        {
            var entry = text[range];
            var colon = entry.IndexOf(':');
            if (!PlainPort(colon < 0 ? entry : entry[..colon], out var first)) return false;
            var last = first;
            if (colon >= 0 && (!PlainPort(entry[(colon + 1)..], out last) || last < first)) return false;
            admin |= first <= Settings.EnvoyAdminPort && Settings.EnvoyAdminPort <= last;
            ingress |= first <= PodInjector.IngressPort && PodInjector.IngressPort <= last;
            egress |= first <= PodInjector.EgressPort && PodInjector.EgressPort <= last;
        }
        return true;
    }

    // 1 to 65535 in decimal, without sign, space or leading zero: what iptables reads as written.
    private static bool PlainPort(ReadOnlySpan<char> text, out int port)
    {
        port = 0;
        if (text.Length is 0 or > 5 || text[0] == '0') return false;
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c)) return false;
            port = port * 10 + (c - '0');
        }
        return port <= 65535;
    }

    private static bool Contains(string entry, int port)
    {
        var colon = entry.IndexOf(':');
        return colon < 0 ? int.Parse(entry) == port : int.Parse(entry[..colon]) <= port && port <= int.Parse(entry[(colon + 1)..]);
    }

    /// <summary>Every containerPort of the app containers, in order, without repeats, comma-joined:
    /// <c>APPMESH_APP_PORTS</c> when the pod has no <c>ports</c> annotation.</summary>
    public static string ContainerPorts(JsonElement spec) => ContainerPorts(JsonElements.Field(spec, "containers"u8));

    /// <inheritdoc cref="ContainerPorts(JsonElement)"/>
    /// <param name="containers">The spec's <c>containers</c>.</param>
    internal static string ContainerPorts(JsonElement? containers)
    {
        // A few ports, kept on the stack (a list past that), written into stack space and given as the same string
        // as last time when they are the same: every pod of a workload has the same ports.
        Span<int> room = stackalloc int[32];
        var count = 0;
        List<int>? more = null;
        foreach (var container in JsonElements.Items(containers))
        {
            foreach (var port in JsonElements.Items(container, "ports"u8))
            {
                if (JsonElements.Int(JsonElements.Field(port, "containerPort"u8)) is not { } number || room[..count].Contains(number) || more?.Contains(number) == true) continue;
                if (count < room.Length) room[count++] = number;
                else (more ??= []).Add(number);
            }
        }
        if (count == 0) return "";
        if (more is not null) return string.Join(',', [.. room.ToArray(), .. more]);
        Span<char> text = stackalloc char[count * 12];
        var length = 0;
        foreach (var number in room[..count])
        {
            if (length > 0) text[length++] = ',';
            // As string.Join writes an int (its ToString()).
            if (!number.TryFormat(text[length..], out var written)) return string.Join(',', room[..count].ToArray());
            length += written;
        }
        var joined = text[..length];
        if (Volatile.Read(ref s_ports) is { } last && joined.SequenceEqual(last)) return last;
        var made = joined.ToString();
        Volatile.Write(ref s_ports, made);
        return made;
    }

    // The last list of container ports made (one slot for the process, as LastMade's).
    private static string? s_ports;
}
