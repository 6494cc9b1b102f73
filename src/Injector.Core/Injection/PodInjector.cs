using System.Globalization;
using System.Text.Json.Nodes;
using Injector.Core.Json;
using Injector.Core.Settings;

namespace Injector.Core.Injection;

/// <summary>The injection engine: decides whether a pod is meshed and, if so, adds <c>proxyinit</c>,
/// <c>envoy</c> (and <c>xray-daemon</c>) to a copy of it. Pure: no I/O, the same answer for the webhook
/// and the command-line tool. See
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

    /// <summary>Injects <paramref name="pod"/> (left unchanged) in <paramref name="context"/>.</summary>
    public InjectionResult Inject(JsonObject pod, PodContext context)
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

        var injected = pod.DeepClone().AsObject();
        plan.Apply(injected, warnings);
        return new InjectionResult
        {
            Outcome = InjectionOutcome.Injected,
            Reason = Reasons.Injected,
            Message = $"injected into mesh {mesh} as virtual node {virtualNode}",
            Pod = injected,
            Patch = JsonPatch.Diff(pod, injected),
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

        private string AppPorts => o.Ports ?? ContainerPorts(spec);
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

        public void Apply(JsonObject pod, List<string> warnings)
        {
            var podSpec = pod["spec"]!.AsObject();
            var meta = pod["metadata"] as JsonObject ?? (JsonObject)(pod["metadata"] = new JsonObject());
            var initContainers = new List<JsonObject>();
            var sidecars = new List<JsonObject>();

            if (!_cni) initContainers.Add(ProxyInit());
            sidecars.Add(Envoy(warnings));
            if (s.EnableXrayTracing) sidecars.Add(Xray());

            var existingInit = podSpec["initContainers"] as JsonArray;
            if (_native)
            {
                // proxyinit, then the sidecars (ready before anything else starts), then the user's init containers.
                foreach (var sidecar in sidecars) Native(sidecar);
                var front = initContainers.Concat(sidecars).ToList();
                var list = existingInit ?? new JsonArray();
                for (var i = 0; i < front.Count; i++) list.Insert(i, front[i]);
                podSpec["initContainers"] = list;
            }
            else
            {
                // proxyinit last, so that the user's init containers still have plain networking.
                if (initContainers.Count > 0)
                {
                    var list = existingInit ?? new JsonArray();
                    foreach (var c in initContainers) list.Add((JsonNode)c);
                    podSpec["initContainers"] = list;
                }
                var containers = podSpec["containers"]!.AsArray();
                foreach (var sidecar in sidecars) containers.Add((JsonNode)sidecar);
            }

            var addedVolumes = new List<string>();
            if (o.SecretMounts.Count > 0)
            {
                var volumes = podSpec["volumes"] as JsonArray ?? (JsonArray)(podSpec["volumes"] = new JsonArray());
                foreach (var mount in o.SecretMounts)
                {
                    volumes.Add((JsonNode)new JsonObject { ["name"] = mount.Name, ["secret"] = new JsonObject { ["secretName"] = mount.Name } });
                    addedVolumes.Add(mount.Name);
                }
            }

            if (s.EnableIamForServiceAccounts)
            {
                var securityContext = podSpec["securityContext"] as JsonObject ?? (JsonObject)(podSpec["securityContext"] = new JsonObject());
                if (securityContext["fsGroup"] is null) securityContext["fsGroup"] = ProxyUid;
            }
            if (s.EnableEcrSecret)
            {
                var secrets = podSpec["imagePullSecrets"] as JsonArray ?? (JsonArray)(podSpec["imagePullSecrets"] = new JsonArray());
                if (!secrets.Any(x => Str(Field(x, "name")) == EcrSecretName)) secrets.Add((JsonNode)new JsonObject { ["name"] = EcrSecretName });
            }

            var annotations = meta["annotations"] as JsonObject ?? (JsonObject)(meta["annotations"] = new JsonObject());
            annotations[AnnotationKeys.Mesh] = mesh;
            annotations[AnnotationKeys.VirtualNode] = virtualNode;
            if (_cni)
            {
                annotations[AnnotationKeys.Ports] = AppPorts;
                annotations[AnnotationKeys.EgressIgnoredIPs] = EgressIgnoredIps;
                annotations[AnnotationKeys.EgressIgnoredPorts] = EgressIgnoredPorts;
                annotations[AnnotationKeys.ProxyEgressPort] = EgressPort.ToString(CultureInfo.InvariantCulture);
                annotations[AnnotationKeys.ProxyIngressPort] = IngressPort.ToString(CultureInfo.InvariantCulture);
                annotations[AnnotationKeys.IgnoredUid] = ProxyUid.ToString(CultureInfo.InvariantCulture);
                annotations[AnnotationKeys.SidecarInjectorWebhook] = "enabled";
            }
            annotations[AnnotationKeys.Status] = new JsonObject
            {
                ["containers"] = _native ? new JsonArray() : new JsonArray(sidecars.Select(c => (JsonNode?)Str(c["name"])).ToArray()),
                ["initContainers"] = new JsonArray(initContainers.Concat(_native ? sidecars : []).Select(c => (JsonNode?)Str(c["name"])).ToArray()),
                ["volumes"] = new JsonArray(addedVolumes.Select(v => (JsonNode?)v).ToArray()),
                ["version"] = Version,
            }.ToJsonString();
        }

        private JsonObject ProxyInit() => new()
        {
            ["name"] = ProxyInitName,
            ["image"] = s.InitImage,
            ["env"] = Env(
                ("APPMESH_START_ENABLED", "1"),
                ("APPMESH_IGNORE_UID", ProxyUid.ToString(CultureInfo.InvariantCulture)),
                ("APPMESH_ENVOY_INGRESS_PORT", IngressPort.ToString(CultureInfo.InvariantCulture)),
                ("APPMESH_ENVOY_EGRESS_PORT", EgressPort.ToString(CultureInfo.InvariantCulture)),
                ("APPMESH_APP_PORTS", AppPorts),
                ("APPMESH_EGRESS_IGNORED_IP", EgressIgnoredIps),
                ("APPMESH_EGRESS_IGNORED_PORTS", EgressIgnoredPorts),
                ("APPMESH_ENABLE_IPV6", o.Ipv6 == false ? "0" : "1")),
            ["resources"] = Resources(s.InitCpuRequests, s.InitMemoryRequests, s.InitCpuLimits, s.InitMemoryLimits),
            ["securityContext"] = new JsonObject
            {
                ["capabilities"] = new JsonObject { ["add"] = new JsonArray("NET_ADMIN") },
            },
        };

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

            var envoy = new JsonObject
            {
                ["name"] = EnvoyName,
                ["image"] = o.SidecarImage ?? s.SidecarImage,
                ["ports"] = new JsonArray(new JsonObject { ["name"] = "stats", ["containerPort"] = s.EnvoyAdminPort, ["protocol"] = "TCP" }),
                ["env"] = Env([.. env]),
                ["resources"] = Resources(_cpuRequest, _memoryRequest, _cpuLimit, _memoryLimit),
                ["securityContext"] = new JsonObject { ["runAsUser"] = ProxyUid },
                ["readinessProbe"] = LiveProbe(initialDelay: 1, period: 10, failureThreshold: 3),
                ["lifecycle"] = new JsonObject
                {
                    ["preStop"] = new JsonObject
                    {
                        ["exec"] = new JsonObject { ["command"] = new JsonArray("sh", "-c", $"sleep {s.PrestopDelay}") },
                    },
                },
            };
            var mounts = o.SecretMounts.Concat(o.VolumeMounts).ToList();
            if (mounts.Count > 0)
            {
                envoy["volumeMounts"] = new JsonArray(mounts.Select(m => (JsonNode?)new JsonObject
                {
                    ["name"] = m.Name,
                    ["mountPath"] = m.MountPath,
                    ["readOnly"] = true,
                }).ToArray());
            }
            return envoy;
        }

        private JsonObject Xray() => new()
        {
            ["name"] = XrayName,
            ["image"] = s.XrayImage,
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "xray", ["containerPort"] = s.XrayDaemonPort, ["protocol"] = "UDP" }),
            ["env"] = Env(("AWS_REGION", s.Region)),
            ["resources"] = Resources(_cpuRequest, _memoryRequest, _cpuLimit, _memoryLimit),
            ["securityContext"] = new JsonObject { ["runAsUser"] = ProxyUid },
        };

        // A native sidecar restarts with the pod's init sequence and gates the next init container on its startup probe.
        private void Native(JsonObject sidecar)
        {
            sidecar["restartPolicy"] = "Always";
            if (Str(sidecar["name"]) == EnvoyName)
                sidecar["startupProbe"] = LiveProbe(initialDelay: 1, period: 1, failureThreshold: 120);
        }

        // Envoy is ready once its admin /server_info reports LIVE, as the App Mesh controller checks it.
        private JsonObject LiveProbe(int initialDelay, int period, int failureThreshold) => new()
        {
            ["exec"] = new JsonObject
            {
                ["command"] = new JsonArray("sh", "-c", $"curl -s http://localhost:{s.EnvoyAdminPort}/server_info | grep state | grep -q LIVE"),
            },
            ["initialDelaySeconds"] = initialDelay,
            ["timeoutSeconds"] = 1,
            ["periodSeconds"] = period,
            ["failureThreshold"] = failureThreshold,
        };

        private static JsonArray Env(params (string Name, string Value)[] pairs) =>
            new(pairs.Select(p => (JsonNode?)new JsonObject { ["name"] = p.Name, ["value"] = p.Value }).ToArray());

        private static JsonObject Resources(string cpuRequest, string memoryRequest, string? cpuLimit, string? memoryLimit)
        {
            var resources = new JsonObject
            {
                ["requests"] = new JsonObject { ["cpu"] = cpuRequest, ["memory"] = memoryRequest },
            };
            if (cpuLimit is not null || memoryLimit is not null)
            {
                var limits = new JsonObject();
                if (cpuLimit is not null) limits["cpu"] = cpuLimit;
                if (memoryLimit is not null) limits["memory"] = memoryLimit;
                resources["limits"] = limits;
            }
            return resources;
        }
    }
}
