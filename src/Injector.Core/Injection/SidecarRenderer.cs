using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Injector.Core.Settings;

namespace Injector.Core.Injection;

/// <summary>Writes the containers a plan adds (<c>proxyinit</c>, <c>envoy</c>, <c>xray-daemon</c>) and the
/// status annotation. The containers are written as JSON into a reused per-thread buffer and read back as
/// nodes that stay unparsed until someone looks inside: a review only copies them into its patch, and
/// building them property by property cost a quarter of the engine's time and garbage (docs/performance.md).</summary>
internal static class SidecarRenderer
{
    private static readonly string ProxyUidText = PodInjector.ProxyUid.ToString(CultureInfo.InvariantCulture);
    private static readonly string IngressPortText = PodInjector.IngressPort.ToString(CultureInfo.InvariantCulture);
    private static readonly string EgressPortText = PodInjector.EgressPort.ToString(CultureInfo.InvariantCulture);

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    public static JsonObject ProxyInit(InjectionPlan plan)
    {
        var s = plan.Settings;
        var w = BeginObject();
        w.WriteString("name", PodInjector.ProxyInitName);
        w.WriteString("image", s.InitImage);
        w.WriteStartArray("env");
        WriteEnv(w, "APPMESH_START_ENABLED", "1");
        WriteEnv(w, "APPMESH_IGNORE_UID", ProxyUidText);
        WriteEnv(w, "APPMESH_ENVOY_INGRESS_PORT", IngressPortText);
        WriteEnv(w, "APPMESH_ENVOY_EGRESS_PORT", EgressPortText);
        WriteEnv(w, "APPMESH_APP_PORTS", plan.AppPorts);
        WriteEnv(w, "APPMESH_EGRESS_IGNORED_IP", plan.EgressIgnoredIps);
        WriteEnv(w, "APPMESH_EGRESS_IGNORED_PORTS", plan.EgressIgnoredPorts);
        WriteEnv(w, "APPMESH_ENABLE_IPV6", plan.Overrides.Ipv6 == false ? "0" : "1");
        w.WriteEndArray();
        WriteResources(w, s.InitCpuRequests, s.InitMemoryRequests, s.InitCpuLimits, s.InitMemoryLimits);
        w.WriteStartObject("securityContext");
        w.WriteStartObject("capabilities");
        w.WriteStartArray("add");
        w.WriteStringValue("NET_ADMIN");
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
        return EndAsNode(w);
    }

    /// <summary>Envoy; a <c>sidecarEnv</c> entry that would replace one of the injector's variables is
    /// dropped with a warning in <see cref="InjectionPlan.Warnings"/>.</summary>
    public static JsonObject Envoy(InjectionPlan plan)
    {
        var (s, o) = (plan.Settings, plan.Overrides);
        var env = EnvoyEnvironment(plan);
        var w = BeginObject();
        w.WriteString("name", PodInjector.EnvoyName);
        w.WriteString("image", o.SidecarImage ?? s.SidecarImage);
        WritePort(w, "stats", s.EnvoyAdminPort, "TCP");
        w.WriteStartArray("env");
        foreach (var (name, value) in env) WriteEnv(w, name, value);
        w.WriteEndArray();
        WriteResources(w, plan.CpuRequest, plan.MemoryRequest, plan.CpuLimit, plan.MemoryLimit);
        WriteRunAsProxyUser(w);
        WriteLiveProbe(w, s.EnvoyAdminPort, "readinessProbe", initialDelay: 1, period: 10, failureThreshold: 3);
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
        if (plan.Native)
        {
            // A native sidecar restarts with the pod and gates the next init container on its startup probe.
            w.WriteString("restartPolicy", "Always");
            WriteLiveProbe(w, s.EnvoyAdminPort, "startupProbe", initialDelay: 1, period: 1, failureThreshold: 120);
        }
        return EndAsNode(w);
    }

    public static JsonObject Xray(InjectionPlan plan)
    {
        var s = plan.Settings;
        var w = BeginObject();
        w.WriteString("name", PodInjector.XrayName);
        w.WriteString("image", s.XrayImage);
        WritePort(w, "xray", s.XrayDaemonPort, "UDP");
        w.WriteStartArray("env");
        WriteEnv(w, "AWS_REGION", s.Region);
        w.WriteEndArray();
        WriteResources(w, plan.CpuRequest, plan.MemoryRequest, plan.CpuLimit, plan.MemoryLimit);
        WriteRunAsProxyUser(w);
        if (plan.Native) w.WriteString("restartPolicy", "Always");
        return EndAsNode(w);
    }

    /// <summary>The status annotation's value: the names of the containers and volumes the injection added
    /// (the sidecars are init containers when native), the pull secret it added, the fields it created
    /// (<c>added</c>, JSON pointers) and the values it replaced (<c>replaced</c>, pointer → old value) — all
    /// that undoing the injection needs (<c>appmesh-inject uninject</c>) — and the injector's version.</summary>
    public static string Status(bool native, List<(string Name, JsonObject Container)> initContainers, List<(string Name, JsonObject Container)> sidecars, List<string> volumes, InjectionRecord record)
    {
        var w = BeginObject();
        w.WriteStartArray("containers");
        if (!native) foreach (var (name, _) in sidecars) w.WriteStringValue(name);
        w.WriteEndArray();
        w.WriteStartArray("initContainers");
        foreach (var (name, _) in initContainers) w.WriteStringValue(name);
        if (native) foreach (var (name, _) in sidecars) w.WriteStringValue(name);
        w.WriteEndArray();
        w.WriteStartArray("volumes");
        foreach (var volume in volumes) w.WriteStringValue(volume);
        w.WriteEndArray();
        if (record.AddedPullSecret)
        {
            w.WriteStartArray("imagePullSecrets");
            w.WriteStringValue(PodInjector.EcrSecretName);
            w.WriteEndArray();
        }
        w.WriteStartArray("added");
        foreach (var pointer in record.Added) w.WriteStringValue(pointer);
        w.WriteEndArray();
        if (record.Replaced.Count > 0)
        {
            w.WriteStartObject("replaced");
            foreach (var (pointer, old) in record.Replaced)
            {
                w.WritePropertyName(pointer);
                if (old is null) w.WriteNullValue();
                else old.WriteTo(w);
            }
            w.WriteEndObject();
        }
        w.WriteString("version", PodInjector.Version);
        return Encoding.UTF8.GetString(End(w));
    }

    // Envoy's variables in their fixed order (README), then the user's sidecarEnv.
    private static List<(string Name, string Value)> EnvoyEnvironment(InjectionPlan plan)
    {
        var (s, o) = (plan.Settings, plan.Overrides);
        var env = new List<(string Name, string Value)>
        {
            ("APPMESH_VIRTUAL_NODE_NAME", plan.ResourceArn),
            ("APPMESH_RESOURCE_ARN", plan.ResourceArn),
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
            if (env.Any(e => e.Name == key))
            {
                plan.Warnings.Add($"annotation {AnnotationKeys.SidecarEnv}: {key} is set by the injector and cannot be overridden; ignored");
                continue;
            }
            env.Add((key, value));
        }
        return env;
    }

    // Envoy is ready once its admin /server_info reports LIVE, as the App Mesh controller checks it.
    private static void WriteLiveProbe(Utf8JsonWriter w, int adminPort, string name, int initialDelay, int period, int failureThreshold)
    {
        w.WriteStartObject(name);
        w.WriteStartObject("exec");
        w.WriteStartArray("command");
        w.WriteStringValue("sh");
        w.WriteStringValue("-c");
        w.WriteStringValue($"curl -s http://localhost:{adminPort}/server_info | grep state | grep -q LIVE");
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
        w.WriteNumber("runAsUser", PodInjector.ProxyUid);
        w.WriteEndObject();
    }

    private static void WriteEnv(Utf8JsonWriter w, string name, string value)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString("value", value);
        w.WriteEndObject();
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

    /// <summary>The per-thread writer, reset onto its emptied buffer, with one object started. One object
    /// at a time per thread: each ends with <see cref="End"/> before the next begins.</summary>
    private static Utf8JsonWriter BeginObject()
    {
        var buffer = t_buffer is { Capacity: <= 64 * 1024 } reused ? reused : t_buffer = new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer);
        writer.Reset(buffer);
        writer.WriteStartObject();
        return writer;
    }

    /// <summary>The object begun by <see cref="BeginObject"/>, valid until the next one on this thread.</summary>
    private static ReadOnlySpan<byte> End(Utf8JsonWriter writer)
    {
        writer.WriteEndObject();
        writer.Flush();
        return t_buffer!.WrittenSpan;
    }

    private static JsonObject EndAsNode(Utf8JsonWriter writer) => JsonNode.Parse(End(writer))!.AsObject();
}
