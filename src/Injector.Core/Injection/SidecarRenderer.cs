using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using Injector.Core.Json;
using Injector.Core.Settings;

namespace Injector.Core.Injection;

/// <summary>Writes the containers a plan adds (<c>proxyinit</c>, <c>envoy</c>, <c>xray-daemon</c>) and the
/// status annotation, with a <see cref="Utf8JsonWriter"/> rather than property by property (that cost a quarter
/// of the engine's time and garbage, docs/performance.md). For the webhook, which only writes them into its
/// answer, they are written there when the answer is (<see cref="DeferredJson"/>); for the command-line tool
/// into a reused per-thread buffer and read back as nodes.</summary>
internal static class SidecarRenderer
{
    private static readonly string ProxyUidText = PodInjector.ProxyUid.ToString(CultureInfo.InvariantCulture);
    private static readonly string IngressPortText = PodInjector.IngressPort.ToString(CultureInfo.InvariantCulture);
    private static readonly string EgressPortText = PodInjector.EgressPort.ToString(CultureInfo.InvariantCulture);

    private static readonly JsonEncodedText ProxyInitNameText = JsonEncodedText.Encode(PodInjector.ProxyInitName);
    private static readonly JsonEncodedText EnvoyNameText = JsonEncodedText.Encode(PodInjector.EnvoyName);
    private static readonly JsonEncodedText XrayNameText = JsonEncodedText.Encode(PodInjector.XrayName);

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    public static JsonNode ProxyInit(InjectionPlan plan, bool deferred = false) => Container(plan, WriteProxyInit, deferred);

    private static void WriteProxyInit(Utf8JsonWriter w, InjectionPlan plan)
    {
        var parts = Parts.Of(plan.Settings);
        WriteNameAndImage(w, ProxyInitNameText, parts.InitImage);
        w.WriteStartArray("env"u8);
        Parts.Write(w, parts.InitEnvFixed);
        WriteEnv(w, "APPMESH_APP_PORTS", plan.AppPorts);
        // Unless the pod sets them, the settings' (the same every time).
        if (plan.Overrides.EgressIgnoredIps is null) WriteEnv(w, parts.IgnoredIps(plan.EgressIgnoredIps));
        else WriteEnv(w, "APPMESH_EGRESS_IGNORED_IP", plan.EgressIgnoredIps);
        if (plan.Overrides.EgressIgnoredPorts is null) WriteEnv(w, parts.InitIgnoredPorts);
        else WriteEnv(w, "APPMESH_EGRESS_IGNORED_PORTS", plan.EgressIgnoredPorts);
        WriteEnv(w, plan.Overrides.Ipv6 == false ? parts.InitIpv6Off : parts.InitIpv6On);
        w.WriteEndArray();
        w.WritePropertyName("resources"u8);
        Parts.Write(w, parts.InitResources);
        w.WritePropertyName("securityContext"u8);
        Parts.Write(w, parts.NetAdmin);
        w.WriteEndObject();
    }

    private static void WriteInitEnvFixed(Utf8JsonWriter w)
    {
        WriteEnv(w, "APPMESH_START_ENABLED", "1");
        WriteEnv(w, "APPMESH_IGNORE_UID", ProxyUidText);
        WriteEnv(w, "APPMESH_ENVOY_INGRESS_PORT", IngressPortText);
        WriteEnv(w, "APPMESH_ENVOY_EGRESS_PORT", EgressPortText);
    }

    private static void WriteNetAdmin(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteStartObject("capabilities"u8);
        w.WriteStartArray("add"u8);
        w.WriteStringValue("NET_ADMIN"u8);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>The environment variable of the X-Ray sampling rate, which a pod's <c>sidecarEnv</c> may set.</summary>
    public const string XraySamplingRate = "XRAY_SAMPLING_RATE";

    /// <summary>Envoy's xDS server, signing name and cluster name (SPEC §10): from the flags, the pod's annotations, or
    /// the pod's own <c>sidecarEnv</c>.</summary>
    public const string XdsEndpointVariable = "APPMESH_XDS_ENDPOINT";
    public const string SigningNameVariable = "APPMESH_SIGNING_NAME";
    public const string ResourceClusterVariable = "APPMESH_RESOURCE_CLUSTER";

    /// <summary>The controller's value of <c>APPMESH_PLATFORM_K8S_VERSION</c> when the API server's version is unknown (pkg/k8s/utils.go).</summary>
    public const string UnknownKubernetesVersion = "UNKNOWN_K8S_VERSION";

    /// <summary>Envoy; a <c>sidecarEnv</c> entry that would replace one of the injector's variables is
    /// dropped with a warning in <see cref="InjectionPlan.Warnings"/>.</summary>
    public static JsonNode Envoy(InjectionPlan plan, bool deferred = false)
    {
        // The pod's own variables are chosen now, so that their warnings are the plan's before anything is written.
        var podEnv = PodEnvironment(plan);
        return Container((plan, podEnv), static (w, state) => WriteEnvoy(w, state.plan, state.podEnv), deferred);
    }

    private static void WriteEnvoy(Utf8JsonWriter w, InjectionPlan plan, List<EnvVar>? podEnv)
    {
        var (s, o) = (plan.Settings, plan.Overrides);
        var parts = Parts.Of(s);
        WriteNameAndImage(w, EnvoyNameText, parts.SidecarImage, o.SidecarImage);
        w.WritePropertyName("ports"u8);
        Parts.Write(w, parts.EnvoyPorts);
        w.WriteStartArray("env"u8);
        var written = new WrittenEnv(w);
        EnvoyEnvironment(plan, ref written);
        if (podEnv is not null) foreach (var variable in podEnv) WriteEnv(w, variable);
        w.WriteEndArray();
        WriteSidecarResources(w, plan, parts);
        w.WritePropertyName("securityContext"u8);
        Parts.Write(w, parts.RunAsProxyUser);
        w.WritePropertyName("readinessProbe"u8);
        Parts.Write(w, parts.ReadinessProbe);
        w.WritePropertyName("lifecycle"u8);
        Parts.Write(w, parts.Lifecycle);
        var sdsVolume = plan.SdsVolumeName;
        if (o.SecretMounts.Count + o.VolumeMounts.Count > 0 || sdsVolume is not null)
        {
            w.WriteStartArray("volumeMounts"u8);
            foreach (var mount in o.SecretMounts.Concat(o.VolumeMounts))
            {
                w.WriteStartObject();
                w.WriteString("name"u8, mount.Name);
                w.WriteString("mountPath"u8, mount.MountPath);
                w.WriteBoolean("readOnly"u8, true);
                w.WriteEndObject();
            }
            if (sdsVolume is not null)
            {
                // Envoy talks to the SPIRE agent over the socket: not read-only (utils.go mutateSDSMounts).
                w.WriteStartObject();
                w.WriteString("name"u8, sdsVolume);
                w.WriteString("mountPath"u8, s.SdsUdsPath);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        if (plan.Native)
        {
            // A native sidecar restarts with the pod and gates the next init container on its startup probe.
            w.WriteString("restartPolicy"u8, "Always"u8);
            w.WritePropertyName("startupProbe"u8);
            Parts.Write(w, parts.StartupProbe);
        }
        w.WriteEndObject();
    }

    private static void WriteEnvoyPorts(Utf8JsonWriter w, InjectorSettings s) => WritePort(w, "stats", s.EnvoyAdminPort, "TCP");

    private static void WriteReadinessProbe(Utf8JsonWriter w, InjectorSettings s) =>
        WriteLiveProbe(w, s.EnvoyAdminPort, initialDelay: s.ReadinessProbeInitialDelay, period: s.ReadinessProbePeriod, failureThreshold: 3);

    private static void WriteStartupProbe(Utf8JsonWriter w, InjectorSettings s) =>
        WriteLiveProbe(w, s.EnvoyAdminPort, initialDelay: 1, period: 1, failureThreshold: 120);

    private static void WriteLifecycle(Utf8JsonWriter w, InjectorSettings s)
    {
        w.WriteStartObject();
        if (s.WaitUntilProxyReady)
        {
            // As the controller's (sidecar_builder.go): the App Mesh agent in the Envoy image polls Envoy until
            // it is ready; the kubelet starts the next container only when this hook returns. The controller
            // gates on `envoy --version` >= 1.22.2.1; the agent ships from that version, so this checks for it.
            w.WriteStartObject("postStart"u8);
            Span<byte> hook = stackalloc byte[512];
            var written = Utf8.TryWrite(hook, CultureInfo.InvariantCulture,
                $"if [ -x /usr/bin/agent ]; then APPNET_AGENT_POLL_ENVOY_READINESS_TIMEOUT_S={s.PostStartTimeout} APPNET_AGENT_POLL_ENVOY_READINESS_INTERVAL_S={s.PostStartInterval} /usr/bin/agent -envoyReadiness; else echo 'wait-until-proxy-ready needs an Envoy image with the App Mesh agent (v1.22.2.1 or later)'; fi",
                out var length);
            WriteShell(w, Written(written, hook, length));
            w.WriteEndObject();
        }
        w.WriteStartObject("preStop"u8);
        Span<byte> sleep = stackalloc byte[32];
        WriteShell(w, Written(Utf8.TryWrite(sleep, CultureInfo.InvariantCulture, $"sleep {s.PrestopDelay}", out var sleepLength), sleep, sleepLength));
        w.WriteEndObject();
        w.WriteEndObject();
    }

    // Every container starts with its name and image: the settings' image, written once, unless the pod names another.
    private static void WriteNameAndImage(Utf8JsonWriter w, JsonEncodedText name, byte[] image, string? podImage = null)
    {
        w.WriteStartObject();
        w.WriteString("name"u8, name);
        if (podImage is not null)
        {
            w.WriteString("image"u8, podImage);
            return;
        }
        w.WritePropertyName("image"u8);
        Parts.Write(w, image);
    }

    // Envoy's and the X-Ray daemon's: the settings', written once, unless the pod's annotations change them.
    private static void WriteSidecarResources(Utf8JsonWriter w, InjectionPlan plan, Parts parts)
    {
        w.WritePropertyName("resources"u8);
        if (parts.IsSidecarResources(plan)) Parts.Write(w, parts.SidecarResources);
        else WriteResources(w, plan.CpuRequest, plan.MemoryRequest, plan.CpuLimit, plan.MemoryLimit);
    }

    public static JsonNode Xray(InjectionPlan plan, bool deferred = false) => Container(plan, WriteXray, deferred);

    private static void WriteXray(Utf8JsonWriter w, InjectionPlan plan)
    {
        var parts = Parts.Of(plan.Settings);
        WriteNameAndImage(w, XrayNameText, parts.XrayImage);
        if (plan.XrayConfigMount is { } mount)
        {
            // xray.go: a config file overrides every command-line setting.
            w.WriteStartArray("command"u8);
            w.WriteStringValue("/xray"u8);
            w.WriteStringValue("--config"u8);
            w.WriteStringValue(mount.ConfigFile);
            w.WriteEndArray();
        }
        else
        {
            w.WritePropertyName("args"u8);
            Parts.Write(w, parts.XrayArgs);
        }
        w.WritePropertyName("ports"u8);
        Parts.Write(w, parts.XrayPorts);
        w.WriteStartArray("env"u8);
        WriteEnv(w, parts.Region);
        w.WriteEndArray();
        WriteSidecarResources(w, plan, parts);
        w.WritePropertyName("securityContext"u8);
        Parts.Write(w, parts.RunAsProxyUser);
        if (plan.XrayConfigMount is { } config)
        {
            w.WriteStartArray("volumeMounts"u8);
            w.WriteStartObject();
            w.WriteString("name"u8, config.VolumeName);
            w.WriteString("mountPath"u8, config.MountPath);
            w.WriteBoolean("readOnly"u8, true);
            w.WriteEndObject();
            w.WriteEndArray();
        }
        if (plan.Native) w.WriteString("restartPolicy"u8, "Always"u8);
        w.WriteEndObject();
    }

    private static void WriteXrayArgs(Utf8JsonWriter w, InjectorSettings s)
    {
        w.WriteStartArray();
        w.WriteStringValue("--log-level"u8);
        w.WriteStringValue(s.XrayLogLevel);
        if (s.XrayConfigRoleArn is { } arn)
        {
            w.WriteStringValue("--role-arn"u8);
            w.WriteStringValue(arn);
        }
        w.WriteEndArray();
    }

    private static void WriteXrayPorts(Utf8JsonWriter w, InjectorSettings s) => WritePort(w, PodInjector.XrayPortName, s.XrayDaemonPort, "UDP");

    /// <summary>The status annotation's value: the names of the containers and volumes the injection added
    /// (the sidecars are init containers when native), the pull secret it added, the fields it created
    /// (<c>added</c>, JSON pointers) and the values it replaced (<c>replaced</c>, pointer → old value) — all
    /// that undoing the injection needs (<c>appmesh-inject uninject</c>) — and the injector's version.</summary>
    /// <remarks>With <paramref name="deferred"/> the value is kept as UTF-8 (<see cref="DeferredJson.String"/>), for
    /// a caller that only writes the patch out.</remarks>
    public static JsonNode Status(bool native, List<(string Name, JsonNode Container)> initContainers, List<(string Name, JsonNode Container)> sidecars, List<string> volumes, InjectionRecord record, bool deferred)
    {
        // The usual status straight in the form the patch carries it (see EncodedStatus).
        if (deferred && EncodedStatus.TryWrite(native, initContainers, sidecars, volumes, record) is { } encoded) return DeferredJson.Raw(encoded);
        var w = BeginObject();
        w.WriteStartArray("containers"u8);
        if (!native) foreach (var (name, _) in sidecars) w.WriteStringValue(name);
        w.WriteEndArray();
        w.WriteStartArray("initContainers"u8);
        foreach (var (name, _) in initContainers) w.WriteStringValue(name);
        if (native) foreach (var (name, _) in sidecars) w.WriteStringValue(name);
        w.WriteEndArray();
        w.WriteStartArray("volumes"u8);
        foreach (var volume in volumes) w.WriteStringValue(volume);
        w.WriteEndArray();
        if (record.AddedPullSecret)
        {
            w.WriteStartArray("imagePullSecrets"u8);
            w.WriteStringValue(PodInjector.EcrSecretName);
            w.WriteEndArray();
        }
        w.WriteStartArray("added"u8);
        foreach (var pointer in record.Added) w.WriteStringValue(pointer);
        w.WriteEndArray();
        if (record.Replaced.Count > 0)
        {
            w.WriteStartObject("replaced"u8);
            foreach (var (pointer, old) in record.Replaced)
            {
                w.WritePropertyName(pointer);
                if (old is null) w.WriteNullValue();
                else old.WriteTo(w);
            }
            w.WriteEndObject();
        }
        w.WriteString("version"u8, PodInjector.Version);
        var status = End(w);
        return deferred ? DeferredJson.String(status) : JsonValue.Create(Encoding.UTF8.GetString(status));
    }

    /// <summary>One environment variable: a value, or a field of the pod (the downward API); <see cref="Json"/> is
    /// how it is written, when that is known ahead (a variable of the settings alone, see <see cref="Parts"/>).</summary>
    private sealed record EnvVar(string Name, string? Value, string? FieldPath = null)
    {
        public byte[]? Json { get; init; }
    }

    /// <summary>The controller renders this address flag value as the node's IP (sidecar_builder.go getEnvoyEnv).</summary>
    private const string HostIpReference = "ref:status.hostIP";

    private static EnvVar Address(string name, string value) =>
        value == HostIpReference ? new EnvVar(name, null, "status.hostIP") : new EnvVar(name, value);

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    // Envoy's variables in their fixed order (README), then the user's sidecarEnv and sidecarEnvJson. The
    // controller sets the same variables (sidecar_builder.go updateEnvMapForEnvoy) from a Go map, in no order.
    // Those that depend on the settings alone come written from Parts. Given one by one to a sink: written
    // straight into the answer, or (for a pod that sets its own variables) listed, to find the names it may not set.
    private static void EnvoyEnvironment<TSink>(InjectionPlan plan, ref TSink env) where TSink : struct, IEnvSink
    {
        var (s, o) = (plan.Settings, plan.Overrides);
        var parts = Parts.Of(s);
        var (virtualNode, resourceArn) = parts.Identity(plan.ResourceArn);
        env.Add(virtualNode);
        env.Add(resourceArn);
        env.Add(parts.Region);
        env.Add(o.SidecarLogLevel is { } level && level != s.EnvoyLogLevel ? new("ENVOY_LOG_LEVEL", level) : parts.LogLevel);
        env.Add((o.Preview ?? s.Preview) ? parts.PreviewOn : parts.PreviewOff);
        foreach (var variable in parts.AdminEnv) env.Add(variable);
        if (plan.Sds) env.Add(parts.SdsSocket);
        // A pod's sidecarEnv or sidecarEnvJson may set the X-Ray rate: the controller lets it win over the flag.
        var podRate = s.Tracer == Tracer.XRay && o.XraySamplingRate?.Value is { } rate && rate != s.XraySamplingRate ? rate : null;
        for (var i = 0; i < parts.TracerEnv.Length; i++)
            env.Add(i == 2 && podRate is not null ? new(XraySamplingRate, XraySampling.Format(podRate) ?? podRate) : parts.TracerEnv[i]);
        foreach (var variable in parts.StatsEnv) env.Add(variable);
        // What the controller tells Envoy about its platform (App Mesh reads them for support), and its endpoints.
        env.Add(parts.KubernetesVersion(plan.KubernetesVersion is { Length: > 0 } version && !Formats.HasControlCharacter(version) ? version : UnknownKubernetesVersion));
        foreach (var variable in parts.PlatformEnv) env.Add(variable);
        // After the App Mesh service: another xDS management server (SPEC §10).
        if (plan.XdsEndpoint is { } xds) env.Add(xds == s.XdsEndpoint ? parts.XdsEndpoint! : new(XdsEndpointVariable, xds));
        if (plan.SigningName is { } signing) env.Add(signing == s.SigningName ? parts.SigningName! : new(SigningNameVariable, signing));
        if (plan.ResourceCluster is { } cluster) env.Add(cluster == s.ResourceCluster ? parts.ResourceCluster! : new(ResourceClusterVariable, cluster));
    }

    /// <summary>The pod's <c>sidecarEnv</c> and <c>sidecarEnvJson</c> variables Envoy gets, after the injector's; null
    /// when it sets none. One that would replace an injector's variable is dropped with a warning in the plan's.</summary>
    private static List<EnvVar>? PodEnvironment(InjectionPlan plan)
    {
        var (s, o) = (plan.Settings, plan.Overrides);
        if (o.SidecarEnv.Count == 0) return null;
        var injectors = new ListedEnv(new List<EnvVar>(24));
        EnvoyEnvironment(plan, ref injectors);
        var env = injectors.List;
        var own = new List<EnvVar>();
        foreach (var (key, value) in o.SidecarEnv)
        {
            // With X-Ray on, the pod's rate (o.XraySamplingRate) is written above, in the tracer's place.
            if (s.Tracer == Tracer.XRay && key == XraySamplingRate) continue;
            if (env.Exists(e => e.Name == key))
            {
                plan.Warnings.Add($"{value.Where}: {key} is set by the injector and cannot be overridden; ignored");
                continue;
            }
            var variable = new EnvVar(key, value.Value);
            env.Add(variable);
            own.Add(variable);
        }
        return own;
    }

    private interface IEnvSink
    {
        void Add(EnvVar variable);
    }

    private readonly struct WrittenEnv(Utf8JsonWriter writer) : IEnvSink
    {
        public void Add(EnvVar variable) => WriteEnv(writer, variable);
    }

    private readonly struct ListedEnv(List<EnvVar> list) : IEnvSink
    {
        public List<EnvVar> List => list;
        public void Add(EnvVar variable) => list.Add(variable);
    }

    // The tracer's variables: for X-Ray the sampling rate is the third (a pod may set its own, above).
    private static IEnumerable<EnvVar> TracerEnvironment(InjectorSettings s)
    {
        switch (s.Tracer)
        {
            case Tracer.XRay:
                yield return new("ENABLE_ENVOY_XRAY_TRACING", "1");
                yield return new("XRAY_DAEMON_PORT", Number(s.XrayDaemonPort));
                yield return new(XraySamplingRate, XraySampling.Format(s.XraySamplingRate) ?? s.XraySamplingRate);
                break;
            case Tracer.Jaeger:
                yield return new("ENABLE_ENVOY_JAEGER_TRACING", "1");
                yield return Address("JAEGER_TRACER_ADDRESS", s.JaegerAddress);
                yield return new("JAEGER_TRACER_PORT", Number(s.JaegerPort));
                break;
            case Tracer.Datadog:
                yield return new("ENABLE_ENVOY_DATADOG_TRACING", "1");
                yield return Address("DATADOG_TRACER_ADDRESS", s.DatadogAddress);
                yield return new("DATADOG_TRACER_PORT", Number(s.DatadogPort));
                break;
        }
    }

    private static IEnumerable<EnvVar> StatsEnvironment(InjectorSettings s)
    {
        if (s.EnableStatsTags) yield return new("ENABLE_ENVOY_STATS_TAGS", "1");
        if (s.EnableStatsD)
        {
            yield return new("ENABLE_ENVOY_DOG_STATSD", "1");
            yield return Address("STATSD_ADDRESS", s.StatsDAddress);
            yield return new("STATSD_PORT", Number(s.StatsDPort));
            if (s.StatsDSocketPath is { } socket) yield return new("STATSD_SOCKET_PATH", socket);
        }
        yield return new("APPMESH_PLATFORM_K8S_POD_UID", null, "metadata.uid");
    }

    private static IEnumerable<EnvVar> PlatformEnvironment(InjectorSettings s)
    {
        yield return new("APPMESH_PLATFORM_APP_MESH_CONTROLLER_VERSION", PodInjector.Version);
        yield return new("APPMESH_DUALSTACK_ENDPOINT", s.DualStackEndpoint ? "1" : "0");
        yield return new("APPMESH_FIPS_ENDPOINT", s.FipsEndpoint ? "1" : "0");
        yield return new("ENVOY_ADMIN_ACCESS_ENABLE_IPV6", s.EnvoyAdminAccessEnableIpv6 ? "true" : "false");
        yield return new("APPNET_AGENT_ADMIN_MODE", "uds");
        yield return new("APPNET_AGENT_ADMIN_UDS_PATH", "/tmp/agent.sock");
    }

    private static IEnumerable<EnvVar> AdminEnvironment(InjectorSettings s)
    {
        yield return new("ENVOY_ADMIN_ACCESS_PORT", Number(s.EnvoyAdminPort));
        if (s.EnvoyAdminAccessLogFile.Length > 0) yield return new("ENVOY_ADMIN_ACCESS_LOG_FILE", s.EnvoyAdminAccessLogFile);
    }

    // Envoy is ready once its admin /server_info reports LIVE, as the App Mesh controller checks it.
    private static void WriteLiveProbe(Utf8JsonWriter w, int adminPort, int initialDelay, int period, int failureThreshold)
    {
        w.WriteStartObject();
        Span<byte> probe = stackalloc byte[96];
        WriteShell(w, Written(Utf8.TryWrite(probe, CultureInfo.InvariantCulture, $"curl -s http://localhost:{adminPort}/server_info | grep state | grep -q LIVE", out var length), probe, length));
        w.WriteNumber("initialDelaySeconds"u8, initialDelay);
        w.WriteNumber("timeoutSeconds"u8, 1);
        w.WriteNumber("periodSeconds"u8, period);
        w.WriteNumber("failureThreshold"u8, failureThreshold);
        w.WriteEndObject();
    }

    /// <summary><c>"exec": {"command": ["sh", "-c", command]}</c>: a hook's or a probe's shell command.</summary>
    private static void WriteShell(Utf8JsonWriter w, ReadOnlySpan<byte> command)
    {
        w.WriteStartObject("exec"u8);
        w.WriteStartArray("command"u8);
        w.WriteStringValue("sh"u8);
        w.WriteStringValue("-c"u8);
        w.WriteStringValue(command);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    // Commands are formatted into stack space as UTF-8: no string per review. The spaces fit any int.
    private static ReadOnlySpan<byte> Written(bool written, Span<byte> text, int length) =>
        written ? text[..length] : throw new InvalidOperationException("a sidecar command outgrew its buffer");

    private static void WritePort(Utf8JsonWriter w, string name, int port, string protocol)
    {
        w.WriteStartArray();
        w.WriteStartObject();
        w.WriteString("name"u8, name);
        w.WriteNumber("containerPort"u8, port);
        w.WriteString("protocol"u8, protocol);
        w.WriteEndObject();
        w.WriteEndArray();
    }

    private static void WriteRunAsProxyUser(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteNumber("runAsUser"u8, PodInjector.ProxyUid);
        w.WriteEndObject();
    }

    private static void WriteEnv(Utf8JsonWriter w, EnvVar variable)
    {
        if (variable.Json is { } json) Parts.Write(w, json);
        else WriteEnv(w, variable.Name, variable.Value, variable.FieldPath);
    }

    private static void WriteEnv(Utf8JsonWriter w, string name, string? value, string? fieldPath = null)
    {
        w.WriteStartObject();
        w.WriteString("name"u8, name);
        if (fieldPath is { } field)
        {
            w.WriteStartObject("valueFrom"u8);
            w.WriteStartObject("fieldRef"u8);
            w.WriteString("fieldPath"u8, field);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        else
        {
            w.WriteString("value"u8, value);
        }
        w.WriteEndObject();
    }

    private static void WriteResources(Utf8JsonWriter w, string? cpuRequest, string? memoryRequest, string? cpuLimit, string? memoryLimit)
    {
        w.WriteStartObject();
        if (cpuRequest is not null || memoryRequest is not null)
        {
            w.WriteStartObject("requests"u8);
            if (cpuRequest is not null) w.WriteString("cpu"u8, cpuRequest);
            if (memoryRequest is not null) w.WriteString("memory"u8, memoryRequest);
            w.WriteEndObject();
        }
        if (cpuLimit is not null || memoryLimit is not null)
        {
            w.WriteStartObject("limits"u8);
            if (cpuLimit is not null) w.WriteString("cpu"u8, cpuLimit);
            if (memoryLimit is not null) w.WriteString("memory"u8, memoryLimit);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    /// <summary>The per-thread writer, reset onto its emptied buffer, with one object started. One object
    /// at a time per thread: each ends with <see cref="End"/> before the next begins.</summary>
    private static Utf8JsonWriter BeginObject()
    {
        var writer = BeginWriter();
        writer.WriteStartObject();
        return writer;
    }

    private static Utf8JsonWriter BeginWriter()
    {
        var buffer = t_buffer is { Capacity: <= 64 * 1024 } reused ? reused : t_buffer = new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer);
        writer.Reset(buffer);
        return writer;
    }

    /// <summary>The object begun by <see cref="BeginObject"/>, valid until the next one on this thread.</summary>
    private static ReadOnlySpan<byte> End(Utf8JsonWriter writer)
    {
        writer.WriteEndObject();
        return Flushed(writer);
    }

    private static ReadOnlySpan<byte> Flushed(Utf8JsonWriter writer)
    {
        writer.Flush();
        return t_buffer!.WrittenSpan;
    }

    /// <summary>A container as nodes, or (<paramref name="deferred"/>) as a value that <paramref name="write"/>s it when
    /// the patch is written out, for a caller that only writes it (<see cref="DeferredJson"/>): the webhook's
    /// containers go straight into its answer, never held as nodes or as text of their own.</summary>
    private static JsonNode Container<TState>(TState state, Action<Utf8JsonWriter, TState> write, bool deferred)
    {
        if (deferred) return DeferredJson.Node(state, write);
        var writer = BeginWriter();
        write(writer, state);
        return JsonNode.Parse(Flushed(writer))!.AsObject();
    }

    /// <summary>What the sidecars hold that depends on the settings alone, written once per settings object (the
    /// last one used) and copied into each container as it was written: escaping and transcoding the same strings
    /// for every review was a measurable part of writing the answer (docs/performance.md). Each piece is written by
    /// the function that would otherwise write it, with a writer of the default options, which is the only kind
    /// these containers are written with (<see cref="DeferredJson"/> gives any other kind a default one).</summary>
    private sealed class Parts
    {
        private static Parts? s_last;

        private Parts(InjectorSettings s)
        {
            Settings = s;
            // Strings as the writer writes them (JsonEncodedText refuses what the writer writes escaped, as a lone surrogate).
            InitImage = Render(static (w, text) => w.WriteStringValue(text), s.InitImage);
            SidecarImage = Render(static (w, text) => w.WriteStringValue(text), s.SidecarImage);
            XrayImage = Render(static (w, text) => w.WriteStringValue(text), s.XrayImage);
            InitEnvFixed = Run(static (w, _) => WriteInitEnvFixed(w));
            InitIgnoredPorts = Env(new("APPMESH_EGRESS_IGNORED_PORTS", PodInjector.DefaultEgressIgnoredPorts));
            InitIpv6On = Env(new("APPMESH_ENABLE_IPV6", "1"));
            InitIpv6Off = Env(new("APPMESH_ENABLE_IPV6", "0"));
            InitResources = Piece(static (w, s) =>
            {
                var (cpuRequest, memoryRequest, cpuLimit, memoryLimit) = s.InitResources;
                WriteResources(w, cpuRequest, memoryRequest, cpuLimit, memoryLimit);
            });
            NetAdmin = Piece(static (w, _) => WriteNetAdmin(w));
            SidecarResources = Piece(static (w, s) => WriteResources(w, s.SidecarCpuRequests, s.SidecarMemoryRequests, s.SidecarCpuLimits, s.SidecarMemoryLimits));
            RunAsProxyUser = Piece(static (w, _) => WriteRunAsProxyUser(w));
            EnvoyPorts = Piece(WriteEnvoyPorts);
            ReadinessProbe = Piece(WriteReadinessProbe);
            StartupProbe = Piece(WriteStartupProbe);
            Lifecycle = Piece(WriteLifecycle);
            XrayArgs = Piece(WriteXrayArgs);
            XrayPorts = Piece(WriteXrayPorts);
            Region = Env(new("AWS_REGION", s.Region));
            LogLevel = Env(new("ENVOY_LOG_LEVEL", s.EnvoyLogLevel));
            PreviewOn = Env(new("APPMESH_PREVIEW", "1"));
            PreviewOff = Env(new("APPMESH_PREVIEW", "0"));
            AdminEnv = [.. AdminEnvironment(s).Select(Env)];
            SdsSocket = Env(new("APPMESH_SDS_SOCKET_PATH", s.SdsUdsPath));
            TracerEnv = [.. TracerEnvironment(s).Select(Env)];
            StatsEnv = [.. StatsEnvironment(s).Select(Env)];
            PlatformEnv = [.. PlatformEnvironment(s).Select(Env)];
            XdsEndpoint = s.XdsEndpoint is { } xds ? Env(new(XdsEndpointVariable, xds)) : null;
            SigningName = s.SigningName is { } signing ? Env(new(SigningNameVariable, signing)) : null;
            ResourceCluster = s.ResourceCluster is { } cluster ? Env(new(ResourceClusterVariable, cluster)) : null;
        }

        /// <summary>The parts of <paramref name="settings"/>: kept for the last settings object used (one per process).</summary>
        public static Parts Of(InjectorSettings settings)
        {
            var last = Volatile.Read(ref s_last);
            if (last is not null && ReferenceEquals(last.Settings, settings)) return last;
            last = new Parts(settings);
            Volatile.Write(ref s_last, last);
            return last;
        }

        public InjectorSettings Settings { get; }
        public byte[] InitImage { get; }
        public byte[] SidecarImage { get; }
        public byte[] XrayImage { get; }
        public byte[] InitEnvFixed { get; }
        public EnvVar InitIgnoredPorts { get; }
        public EnvVar InitIpv6On { get; }
        public EnvVar InitIpv6Off { get; }
        public byte[] InitResources { get; }
        public byte[] NetAdmin { get; }
        public byte[] SidecarResources { get; }
        public byte[] RunAsProxyUser { get; }
        public byte[] EnvoyPorts { get; }
        public byte[] ReadinessProbe { get; }
        public byte[] StartupProbe { get; }
        public byte[] Lifecycle { get; }
        public byte[] XrayArgs { get; }
        public byte[] XrayPorts { get; }
        public EnvVar Region { get; }
        public EnvVar LogLevel { get; }
        public EnvVar PreviewOn { get; }
        public EnvVar PreviewOff { get; }
        public EnvVar[] AdminEnv { get; }
        public EnvVar SdsSocket { get; }
        public EnvVar[] TracerEnv { get; }
        public EnvVar[] StatsEnv { get; }
        public EnvVar[] PlatformEnv { get; }
        public EnvVar? XdsEndpoint { get; }
        public EnvVar? SigningName { get; }
        public EnvVar? ResourceCluster { get; }

        // The settings' --ignored-ips as the plan gives it (canonical), and the cluster's version: each the same for
        // every review, kept as last written.
        private EnvVar? _ignoredIps;
        private EnvVar? _kubernetesVersion;

        /// <summary><c>APPMESH_EGRESS_IGNORED_IP</c> when the pod does not set its own.</summary>
        public EnvVar IgnoredIps(string value) => Last(ref _ignoredIps, "APPMESH_EGRESS_IGNORED_IP", value);

        public EnvVar KubernetesVersion(string value) => Last(ref _kubernetesVersion, "APPMESH_PLATFORM_K8S_VERSION", value);

        // APPMESH_VIRTUAL_NODE_NAME and APPMESH_RESOURCE_ARN (the same value) as last written: the same for every
        // pod of a workload.
        private Tuple<EnvVar, EnvVar>? _identity;

        /// <summary>Envoy's <c>APPMESH_VIRTUAL_NODE_NAME</c> and <c>APPMESH_RESOURCE_ARN</c>, both <paramref name="arn"/>.</summary>
        public (EnvVar VirtualNode, EnvVar ResourceArn) Identity(string arn)
        {
            var known = Volatile.Read(ref _identity);
            if (known is null || known.Item1.Value != arn)
            {
                known = Tuple.Create(Env(new EnvVar("APPMESH_VIRTUAL_NODE_NAME", arn)), Env(new EnvVar("APPMESH_RESOURCE_ARN", arn)));
                Volatile.Write(ref _identity, known);
            }
            return (known.Item1, known.Item2);
        }

        /// <summary>Whether the sidecar's resources are the settings' (no annotation changed them).</summary>
        public bool IsSidecarResources(InjectionPlan plan) =>
            plan.CpuRequest == Settings.SidecarCpuRequests && plan.MemoryRequest == Settings.SidecarMemoryRequests &&
            plan.CpuLimit == Settings.SidecarCpuLimits && plan.MemoryLimit == Settings.SidecarMemoryLimits;

        /// <summary>Copies in a piece: what the writer has written, so nothing in it needs checking.</summary>
        public static void Write(Utf8JsonWriter w, byte[] piece) => w.WriteRawValue(piece, skipInputValidation: true);

        private static EnvVar Last(ref EnvVar? last, string name, string value)
        {
            var known = Volatile.Read(ref last);
            if (known is not null && known.Value == value) return known;
            known = Env(new EnvVar(name, value));
            Volatile.Write(ref last, known);
            return known;
        }

        private byte[] Piece(Action<Utf8JsonWriter, InjectorSettings> write) => Render(write, Settings);

        // Consecutive elements of an array, written into the answer as one raw value (the writer adds the comma
        // before it; what is inside is the writer's own output, so nothing needs checking).
        private byte[] Run(Action<Utf8JsonWriter, InjectorSettings> write)
        {
            var array = Render(static (w, state) =>
            {
                w.WriteStartArray();
                state.Write(w, state.Settings);
                w.WriteEndArray();
            }, (Write: write, Settings));
            return array[1..^1];
        }

        private static EnvVar Env(EnvVar variable) => variable with { Json = Render(static (w, v) => WriteEnv(w, v), variable) };

        private static byte[] Render<T>(Action<Utf8JsonWriter, T> write, T state)
        {
            var buffer = new ArrayBufferWriter<byte>(256);
            using (var writer = new Utf8JsonWriter(buffer)) write(writer, state);
            return buffer.WrittenSpan.ToArray();
        }
    }
}
