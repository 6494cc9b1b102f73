using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Injector.Core.Json;
using Injector.Core.Settings;

namespace Injector.Core.Injection;

/// <summary>The injection engine: decides whether a pod is meshed and, if so, adds <c>proxyinit</c>,
/// <c>envoy</c> (and <c>xray-daemon</c>) to it or to a copy, recording the patch as it goes. Pure: no I/O,
/// the same answer for the webhook and the command-line tool. See
/// <see href="https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/">admission webhooks</see>.</summary>
public sealed class PodInjector(InjectorSettings settings)
{
    /// <summary>Version stamped into the status annotation.</summary>
    public const string Version = "0.1.0";

    public const string EnvoyName = "envoy";
    public const string ProxyInitName = "proxyinit";
    public const string XrayName = "xray-daemon";
    public const string EcrSecretName = "appmesh-ecr-secret";
    public const int ProxyUid = 1337;
    public const int IngressPort = 15000;
    public const int EgressPort = 15001;
    /// <summary><c>APPMESH_EGRESS_IGNORED_PORTS</c> without the <c>egressIgnoredPorts</c> annotation (SSH).</summary>
    public const string DefaultEgressIgnoredPorts = "22";

    public InjectorSettings Settings { get; } = settings;

    /// <summary>Injects <paramref name="pod"/> in <paramref name="context"/>. The pod is left unchanged
    /// unless <paramref name="inPlace"/>: then it becomes the injected pod and the patch's values are its
    /// nodes (the webhook's choice: the request's pod is used for nothing else, and not copying it halves
    /// the garbage of a review).</summary>
    public InjectionResult Inject(JsonObject pod, PodContext context, bool inPlace = false)
    {
        var metadata = pod["metadata"] as JsonObject;
        var spec = pod["spec"] as JsonObject;
        if (spec is null || spec["containers"] is not JsonArray { Count: > 0 })
            return InjectionResult.Denied(Reasons.InvalidPod, "the pod has no spec.containers");
        if ((NotAnObject(spec["containers"]) ?? NotAnObject(spec["initContainers"])) is { } notAnObject)
            return InjectionResult.Denied(Reasons.InvalidPod, notAnObject);
        if (!TryReadStringMap(metadata?["annotations"], out var podAnnotations))
            return InjectionResult.Denied(Reasons.InvalidPod, "metadata.annotations must map strings to strings");
        var annotations = new EffectiveAnnotations(podAnnotations, context.NamespaceAnnotations);

        // Selection (SPEC §1): switch, idempotency, host network.
        var inject = PodOverrides.ReadInjectSwitch(annotations, out var switchError);
        if (switchError is not null)
        {
            // Report every malformed annotation at once, not one per attempt.
            var rest = PodOverrides.Parse(annotations);
            return InjectionResult.Denied(Reasons.InvalidAnnotation, string.Join("; ", rest.Errors.Prepend(switchError)), rest.Warnings);
        }
        if (inject == false)
            return InjectionResult.Skipped(Reasons.DisabledByAnnotation, $"{AnnotationKeys.SidecarInjectorWebhook} is disabled");
        if (inject is null && !Settings.InjectDefault)
            return InjectionResult.Skipped(Reasons.InjectDefaultOff, $"injection is off by default (--inject-default=false) and {AnnotationKeys.SidecarInjectorWebhook} is not enabled");
        if (podAnnotations.ContainsKey(AnnotationKeys.Status) || HasContainer(spec, EnvoyName) || HasContainer(spec, ProxyInitName))
            return InjectionResult.Skipped(Reasons.AlreadyInjected, "the pod is already injected");
        if (Bool(spec["hostNetwork"]) == true)
            return InjectionResult.Skipped(Reasons.HostNetwork, "the pod uses the host network; redirecting its traffic would capture the node's");

        var overrides = PodOverrides.Parse(annotations);
        var warnings = overrides.Warnings;
        if (overrides.Errors.Count > 0)
            return InjectionResult.Denied(Reasons.InvalidAnnotation, string.Join("; ", overrides.Errors), warnings);

        // Names (SPEC §2).
        var workload = context.WorkloadName ?? Str(metadata?["name"]);
        var mesh = overrides.Mesh ?? Settings.MeshName;
        var virtualNode = overrides.VirtualNode;
        if (virtualNode is null)
        {
            if (string.IsNullOrEmpty(workload))
                return InjectionResult.Skipped(Reasons.NoWorkloadName, "the pod has neither an owner nor a name to derive its virtual node from", warnings);
            virtualNode = $"{workload}-{context.Namespace}";
            if (!Formats.IsMeshName(virtualNode))
                return InjectionResult.Denied(Reasons.InvalidVirtualNodeName,
                    $"the derived virtual node name \"{virtualNode}\" is not a valid App Mesh name ({Formats.MeshNameFormat}); set the {AnnotationKeys.VirtualNode} annotation", warnings, workload);
        }

        var plan = new Plan(Settings, overrides, spec, metadata, context, mesh, virtualNode);
        var planErrors = plan.CheckResources().Concat(plan.CheckMounts()).ToList();
        if (planErrors.Count > 0) return InjectionResult.Denied(Reasons.InvalidAnnotation, string.Join("; ", planErrors), warnings, workload);

        // The webhook edits the request's own copy of the pod; other callers keep their input.
        var injected = inPlace ? pod : pod.DeepClone().AsObject();
        var edit = new JsonEdit(injected);
        plan.Apply(edit, warnings);
        var patch = edit.Operations();
        return new InjectionResult
        {
            Outcome = InjectionOutcome.Injected,
            Reason = Reasons.Injected,
            Message = $"injected into mesh {mesh} as virtual node {virtualNode}",
            Pod = injected,
            // Values are nodes of the injected pod; a caller that keeps the pod gets its own copy of them.
            Patch = inPlace ? patch : patch.ConvertAll(op => op with { Value = op.Value?.DeepClone() }),
            Warnings = warnings,
            Mesh = mesh,
            VirtualNode = virtualNode,
            Workload = workload,
        };
    }

    /// <summary>Every containerPort of the app containers, in order, without repeats, comma-joined:
    /// <c>APPMESH_APP_PORTS</c> when the pod has no <c>ports</c> annotation.</summary>
    public static string ContainerPorts(JsonObject spec)
    {
        var ports = new List<int>();
        if (spec["containers"] is not JsonArray containers) return "";
        foreach (var container in containers)
        {
            if (Field(container, "ports") is not JsonArray list) continue;
            foreach (var port in list)
            {
                if (Int(Field(port, "containerPort")) is { } number && !ports.Contains(number)) ports.Add(number);
            }
        }
        return string.Join(',', ports);
    }

    private static bool HasContainer(JsonObject spec, string name) =>
        ContainsNamed(spec["containers"], name) || ContainsNamed(spec["initContainers"], name);

    private static bool ContainsNamed(JsonNode? list, string name) =>
        list is JsonArray array && array.Any(c => Str(Field(c, "name")) == name);

    /// <summary>A property of a node that should be an object, or null when it is not one (input is
    /// untrusted: the indexer of a JsonNode throws on arrays and values).</summary>
    public static JsonNode? Field(JsonNode? node, string name) => node is JsonObject o ? o[name] : null;

    // Containers the engine reads by name must be objects; anything else is a malformed pod.
    private static string? NotAnObject(JsonNode? list)
    {
        if (list is not JsonArray array) return null;
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject)
                return $"spec.{list.GetPropertyName()}[{i}] must be an object";
        }
        return null;
    }

    /// <summary>The string value of a node, or null when it is absent or not a string.</summary>
    public static string? Str(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>The whole-number value of a node, however it was created.</summary>
    public static int? Int(JsonNode? node)
    {
        if (node is not JsonValue v) return null;
        if (v.TryGetValue<int>(out var i)) return i;
        if (v.TryGetValue<long>(out var l) && l is >= int.MinValue and <= int.MaxValue) return (int)l;
        if (v.TryGetValue<System.Text.Json.JsonElement>(out var e) && e.ValueKind == System.Text.Json.JsonValueKind.Number && e.TryGetInt32(out i)) return i;
        return null;
    }

    public static bool? Bool(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;

    private static bool TryReadStringMap(JsonNode? node, out Dictionary<string, string> map)
    {
        map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is null) return true;
        if (node is not JsonObject obj) return false;
        foreach (var (key, value) in obj)
        {
            if (Str(value) is not { } s) return false;
            map[key] = s;
        }
        return true;
    }

    /// <summary>Everything resolved for one pod; <see cref="Apply"/> writes it into the copy.</summary>
    private sealed class Plan(InjectorSettings s, PodOverrides o, JsonObject spec, JsonObject? metadata, PodContext context, string mesh, string virtualNode)
    {
        private readonly bool _cni = o.Cni ?? (Labels(metadata).ContainsKey(AnnotationKeys.FargateProfileLabel));
        private readonly bool _native = o.NativeSidecar ?? s.SidecarMode switch
        {
            SidecarMode.Native => true,
            SidecarMode.Classic => false,
            _ => context.NativeSidecarsSupported,
        };
        private readonly string _cpuRequest = o.CpuRequest?.Text ?? s.SidecarCpuRequests;
        private readonly string _memoryRequest = o.MemoryRequest?.Text ?? s.SidecarMemoryRequests;
        private readonly string? _cpuLimit = o.CpuLimit?.Text ?? s.SidecarCpuLimits;
        private readonly string? _memoryLimit = o.MemoryLimit?.Text ?? s.SidecarMemoryLimits;

        // A field, not a property: read before Apply adds envoy's own port to the pod (the webhook injects in place).
        private readonly string _appPorts = o.Ports ?? ContainerPorts(spec);
        private string EgressIgnoredIps => o.EgressIgnoredIps ?? Formats.NormalizeAddressList(s.IgnoredIps) ?? "";
        private string EgressIgnoredPorts => o.EgressIgnoredPorts ?? DefaultEgressIgnoredPorts;
        private string ResourceArn => $"mesh/{mesh}/virtualNode/{virtualNode}";

        private static Dictionary<string, string> Labels(JsonObject? metadata) =>
            TryReadStringMap(metadata?["labels"], out var labels) ? labels : [];

        /// <summary>An annotation request above a flag limit (or the reverse) is as wrong as two bad annotations.</summary>
        public IEnumerable<string> CheckResources()
        {
            foreach (var (kind, request, limit, requestFromAnnotation) in new[]
                     {
                         ("cpu", _cpuRequest, _cpuLimit, o.CpuRequest is not null),
                         ("memory", _memoryRequest, _memoryLimit, o.MemoryRequest is not null),
                     })
            {
                if (limit is null || !Quantity.TryParse(request, out var r) || !Quantity.TryParse(limit, out var l) || r.Value <= l.Value) continue;
                var requestSource = requestFromAnnotation ? $"annotation {AnnotationKeys.Prefix}{kind}Request" : $"--sidecar-{kind}-requests";
                var limitSource = (kind == "cpu" ? o.CpuLimit : o.MemoryLimit) is not null ? $"annotation {AnnotationKeys.Prefix}{kind}Limit" : $"--sidecar-{kind}-limits";
                yield return $"{requestSource} \"{request}\" is above {limitSource} \"{limit}\"; a request must not exceed its limit";
            }
        }

        /// <summary>Mounts that would make the API server reject the injected pod: unknown or duplicate volumes, shared paths.</summary>
        public IEnumerable<string> CheckMounts()
        {
            if (o.VolumeMounts.Count + o.SecretMounts.Count == 0) yield break; // most pods: no need to read the volumes
            var volumes = VolumeNames();
            foreach (var mount in o.VolumeMounts)
            {
                if (!volumes.Contains(mount.Name))
                    yield return $"annotation {AnnotationKeys.VolumeMounts}: the pod has no volume named \"{mount.Name}\"";
            }
            var secrets = new HashSet<string>();
            foreach (var mount in o.SecretMounts)
            {
                if (volumes.Contains(mount.Name))
                    yield return $"annotation {AnnotationKeys.SecretMounts}: the pod already has a volume named \"{mount.Name}\"; mount it with {AnnotationKeys.VolumeMounts} instead";
                else if (!secrets.Add(mount.Name))
                    yield return $"annotation {AnnotationKeys.SecretMounts}: the secret \"{mount.Name}\" is listed more than once";
            }
            var paths = new HashSet<string>();
            foreach (var (key, mount) in o.SecretMounts.Select(m => (AnnotationKeys.SecretMounts, m)).Concat(o.VolumeMounts.Select(m => (AnnotationKeys.VolumeMounts, m))))
            {
                if (!paths.Add(mount.MountPath.TrimEnd('/')))
                    yield return $"annotation {key}: the mount path \"{mount.MountPath}\" is used more than once";
            }
        }

        private HashSet<string> VolumeNames() =>
            spec["volumes"] is JsonArray volumes ? volumes.Select(v => Str(Field(v, "name"))).OfType<string>().ToHashSet() : [];

        public void Apply(JsonEdit edit, List<string> warnings)
        {
            var podSpec = edit.Object(edit.Root, "spec");
            var meta = edit.Object(edit.Root, "metadata");
            var initContainers = new List<(string Name, JsonObject Container)>();
            var sidecars = new List<(string Name, JsonObject Container)>();

            if (!_cni) initContainers.Add((ProxyInitName, ProxyInit()));
            sidecars.Add((EnvoyName, Envoy(warnings)));
            if (s.EnableXrayTracing) sidecars.Add((XrayName, Xray()));

            if (_native)
            {
                // proxyinit, then the sidecars (ready before anything else starts), then the user's init containers.
                var list = edit.Array(podSpec, "initContainers");
                var index = 0;
                foreach (var (_, container) in initContainers.Concat(sidecars)) edit.Insert(list, index++, container);
            }
            else
            {
                // proxyinit last, so that the user's init containers still have plain networking.
                if (initContainers.Count > 0)
                {
                    var list = edit.Array(podSpec, "initContainers");
                    foreach (var (_, container) in initContainers) edit.Append(list, container);
                }
                var containers = edit.Array(podSpec, "containers");
                foreach (var (_, sidecar) in sidecars) edit.Append(containers, sidecar);
            }

            var addedVolumes = new List<string>();
            if (o.SecretMounts.Count > 0)
            {
                var volumes = edit.Array(podSpec, "volumes");
                foreach (var mount in o.SecretMounts)
                {
                    edit.Append(volumes, new JsonObject { ["name"] = mount.Name, ["secret"] = new JsonObject { ["secretName"] = mount.Name } });
                    addedVolumes.Add(mount.Name);
                }
            }

            if (s.EnableIamForServiceAccounts)
            {
                var securityContext = edit.Object(podSpec, "securityContext");
                if (securityContext.Object["fsGroup"] is null) edit.Set(securityContext, "fsGroup", ProxyUid);
            }
            if (s.EnableEcrSecret)
            {
                var secrets = edit.Array(podSpec, "imagePullSecrets");
                if (!secrets.Array.Any(x => Str(Field(x, "name")) == EcrSecretName)) edit.Append(secrets, new JsonObject { ["name"] = EcrSecretName });
            }

            var annotations = edit.Object(meta, "annotations");
            edit.Set(annotations, AnnotationKeys.Mesh, mesh);
            edit.Set(annotations, AnnotationKeys.VirtualNode, virtualNode);
            if (_cni)
            {
                edit.Set(annotations, AnnotationKeys.Ports, _appPorts);
                edit.Set(annotations, AnnotationKeys.EgressIgnoredIPs, EgressIgnoredIps);
                edit.Set(annotations, AnnotationKeys.EgressIgnoredPorts, EgressIgnoredPorts);
                edit.Set(annotations, AnnotationKeys.ProxyEgressPort, EgressPort.ToString(CultureInfo.InvariantCulture));
                edit.Set(annotations, AnnotationKeys.ProxyIngressPort, IngressPort.ToString(CultureInfo.InvariantCulture));
                edit.Set(annotations, AnnotationKeys.IgnoredUid, ProxyUid.ToString(CultureInfo.InvariantCulture));
                edit.Set(annotations, AnnotationKeys.SidecarInjectorWebhook, "enabled");
            }
            edit.Set(annotations, AnnotationKeys.Status, Encoding.UTF8.GetString(Write(w =>
            {
                w.WriteStartArray("containers");
                if (!_native) foreach (var (name, _) in sidecars) w.WriteStringValue(name);
                w.WriteEndArray();
                w.WriteStartArray("initContainers");
                foreach (var (name, _) in _native ? initContainers.Concat(sidecars) : initContainers) w.WriteStringValue(name);
                w.WriteEndArray();
                w.WriteStartArray("volumes");
                foreach (var volume in addedVolumes) w.WriteStringValue(volume);
                w.WriteEndArray();
                w.WriteString("version", Version);
            })));
        }

        // The sidecars are written as JSON and read back as nodes that stay unparsed until someone looks
        // inside: a review only copies them into its patch, and building them property by property cost
        // a quarter of the engine's time and garbage (docs/performance.md).
        private JsonObject ProxyInit() => Render(w =>
        {
            w.WriteString("name", ProxyInitName);
            w.WriteString("image", s.InitImage);
            WriteEnv(w, [
                ("APPMESH_START_ENABLED", "1"),
                ("APPMESH_IGNORE_UID", ProxyUid.ToString(CultureInfo.InvariantCulture)),
                ("APPMESH_ENVOY_INGRESS_PORT", IngressPort.ToString(CultureInfo.InvariantCulture)),
                ("APPMESH_ENVOY_EGRESS_PORT", EgressPort.ToString(CultureInfo.InvariantCulture)),
                ("APPMESH_APP_PORTS", _appPorts),
                ("APPMESH_EGRESS_IGNORED_IP", EgressIgnoredIps),
                ("APPMESH_EGRESS_IGNORED_PORTS", EgressIgnoredPorts),
                ("APPMESH_ENABLE_IPV6", o.Ipv6 == false ? "0" : "1"),
            ]);
            WriteResources(w, s.InitCpuRequests, s.InitMemoryRequests, s.InitCpuLimits, s.InitMemoryLimits);
            w.WriteStartObject("securityContext");
            w.WriteStartObject("capabilities");
            w.WriteStartArray("add");
            w.WriteStringValue("NET_ADMIN");
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        });

        private JsonObject Envoy(List<string> warnings)
        {
            var env = new List<(string, string)>
            {
                ("APPMESH_VIRTUAL_NODE_NAME", ResourceArn),
                ("APPMESH_RESOURCE_ARN", ResourceArn),
                ("AWS_REGION", s.Region),
                ("ENVOY_LOG_LEVEL", o.SidecarLogLevel ?? s.EnvoyLogLevel),
                ("APPMESH_PREVIEW", (o.Preview ?? s.Preview) ? "1" : "0"),
                ("ENVOY_ADMIN_ACCESS_PORT", s.EnvoyAdminPort.ToString(CultureInfo.InvariantCulture)),
                ("ENVOY_ADMIN_ACCESS_LOG_FILE", s.EnvoyAdminAccessLogFile),
            };
            switch (s.Tracer)
            {
                case Tracer.XRay:
                    env.Add(("ENABLE_ENVOY_XRAY_TRACING", "1"));
                    env.Add(("XRAY_DAEMON_PORT", s.XrayDaemonPort.ToString(CultureInfo.InvariantCulture)));
                    env.Add(("XRAY_SAMPLING_RATE", s.XraySamplingRate));
                    break;
                case Tracer.Jaeger:
                    env.Add(("ENABLE_ENVOY_JAEGER_TRACING", "1"));
                    env.Add(("JAEGER_TRACER_ADDRESS", s.JaegerAddress));
                    env.Add(("JAEGER_TRACER_PORT", s.JaegerPort.ToString(CultureInfo.InvariantCulture)));
                    break;
                case Tracer.Datadog:
                    env.Add(("ENABLE_ENVOY_DATADOG_TRACING", "1"));
                    env.Add(("DATADOG_TRACER_ADDRESS", s.DatadogAddress));
                    env.Add(("DATADOG_TRACER_PORT", s.DatadogPort.ToString(CultureInfo.InvariantCulture)));
                    break;
            }
            if (s.EnableStatsTags) env.Add(("ENABLE_ENVOY_STATS_TAGS", "1"));
            if (s.EnableStatsD)
            {
                env.Add(("ENABLE_ENVOY_DOG_STATSD", "1"));
                env.Add(("STATSD_ADDRESS", s.StatsDAddress));
                env.Add(("STATSD_PORT", s.StatsDPort.ToString(CultureInfo.InvariantCulture)));
            }
            foreach (var (key, value) in o.SidecarEnv)
            {
                if (env.Any(e => e.Item1 == key))
                {
                    warnings.Add($"annotation {AnnotationKeys.SidecarEnv}: {key} is set by the injector and cannot be overridden; ignored");
                    continue;
                }
                env.Add((key, value));
            }

            return Render(w =>
            {
                w.WriteString("name", EnvoyName);
                w.WriteString("image", o.SidecarImage ?? s.SidecarImage);
                WritePort(w, "stats", s.EnvoyAdminPort, "TCP");
                WriteEnv(w, env);
                WriteResources(w, _cpuRequest, _memoryRequest, _cpuLimit, _memoryLimit);
                WriteRunAsProxyUser(w);
                WriteLiveProbe(w, "readinessProbe", initialDelay: 1, period: 10, failureThreshold: 3);
                w.WriteStartObject("lifecycle");
                w.WriteStartObject("preStop");
                w.WriteStartObject("exec");
                w.WriteStartArray("command");
                w.WriteStringValue("sh");
                w.WriteStringValue("-c");
                w.WriteStringValue($"sleep {s.PrestopDelay}");
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndObject();
                if (o.SecretMounts.Count + o.VolumeMounts.Count > 0)
                {
                    w.WriteStartArray("volumeMounts");
                    foreach (var mount in o.SecretMounts.Concat(o.VolumeMounts))
                    {
                        w.WriteStartObject();
                        w.WriteString("name", mount.Name);
                        w.WriteString("mountPath", mount.MountPath);
                        w.WriteBoolean("readOnly", true);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                }
                if (_native)
                {
                    // A native sidecar restarts with the pod and gates the next init container on its startup probe.
                    w.WriteString("restartPolicy", "Always");
                    WriteLiveProbe(w, "startupProbe", initialDelay: 1, period: 1, failureThreshold: 120);
                }
            });
        }

        private JsonObject Xray() => Render(w =>
        {
            w.WriteString("name", XrayName);
            w.WriteString("image", s.XrayImage);
            WritePort(w, "xray", s.XrayDaemonPort, "UDP");
            WriteEnv(w, [("AWS_REGION", s.Region)]);
            WriteResources(w, _cpuRequest, _memoryRequest, _cpuLimit, _memoryLimit);
            WriteRunAsProxyUser(w);
            if (_native) w.WriteString("restartPolicy", "Always");
        });

        // Envoy is ready once its admin /server_info reports LIVE, as the App Mesh controller checks it.
        private void WriteLiveProbe(Utf8JsonWriter w, string name, int initialDelay, int period, int failureThreshold)
        {
            w.WriteStartObject(name);
            w.WriteStartObject("exec");
            w.WriteStartArray("command");
            w.WriteStringValue("sh");
            w.WriteStringValue("-c");
            w.WriteStringValue($"curl -s http://localhost:{s.EnvoyAdminPort}/server_info | grep state | grep -q LIVE");
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteNumber("initialDelaySeconds", initialDelay);
            w.WriteNumber("timeoutSeconds", 1);
            w.WriteNumber("periodSeconds", period);
            w.WriteNumber("failureThreshold", failureThreshold);
            w.WriteEndObject();
        }

        private static void WritePort(Utf8JsonWriter w, string name, int port, string protocol)
        {
            w.WriteStartArray("ports");
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteNumber("containerPort", port);
            w.WriteString("protocol", protocol);
            w.WriteEndObject();
            w.WriteEndArray();
        }

        private static void WriteRunAsProxyUser(Utf8JsonWriter w)
        {
            w.WriteStartObject("securityContext");
            w.WriteNumber("runAsUser", ProxyUid);
            w.WriteEndObject();
        }

        private static void WriteEnv(Utf8JsonWriter w, IEnumerable<(string Name, string Value)> pairs)
        {
            w.WriteStartArray("env");
            foreach (var (name, value) in pairs)
            {
                w.WriteStartObject();
                w.WriteString("name", name);
                w.WriteString("value", value);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }

        private static void WriteResources(Utf8JsonWriter w, string cpuRequest, string memoryRequest, string? cpuLimit, string? memoryLimit)
        {
            w.WriteStartObject("resources");
            w.WriteStartObject("requests");
            w.WriteString("cpu", cpuRequest);
            w.WriteString("memory", memoryRequest);
            w.WriteEndObject();
            if (cpuLimit is not null || memoryLimit is not null)
            {
                w.WriteStartObject("limits");
                if (cpuLimit is not null) w.WriteString("cpu", cpuLimit);
                if (memoryLimit is not null) w.WriteString("memory", memoryLimit);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }

        [ThreadStatic] private static ArrayBufferWriter<byte>? t_renderBuffer;
        [ThreadStatic] private static Utf8JsonWriter? t_renderWriter;

        /// <summary>One JSON object written by <paramref name="writeProperties"/>, as a node.</summary>
        private static JsonObject Render(Action<Utf8JsonWriter> writeProperties) => JsonNode.Parse(Write(writeProperties))!.AsObject();

        /// <summary>One JSON object written by <paramref name="writeProperties"/> into a per-thread buffer,
        /// valid until the next call on this thread.</summary>
        private static ReadOnlySpan<byte> Write(Action<Utf8JsonWriter> writeProperties)
        {
            var buffer = t_renderBuffer is { Capacity: <= 64 * 1024 } reused ? reused : t_renderBuffer = new ArrayBufferWriter<byte>(4096);
            buffer.ResetWrittenCount();
            var writer = t_renderWriter ??= new Utf8JsonWriter(buffer);
            writer.Reset(buffer);
            writer.WriteStartObject();
            writeProperties(writer);
            writer.WriteEndObject();
            writer.Flush();
            return buffer.WrittenSpan;
        }
    }
}
