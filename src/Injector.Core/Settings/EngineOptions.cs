using System.Globalization;

namespace Injector.Core.Settings;

/// <summary>The engine's options (<see cref="InjectorSettings"/>): every host that injects accepts them —
/// the webhook and the command-line tool alike.</summary>
public static class EngineOptions
{
    // Environment variables besides APPMESH_INJECT_<FLAG>: only names users already set on purpose. The
    // archived aws-app-mesh-inject's deployment (deploy/inject.yaml.template) set APPMESH_NAME,
    // APPMESH_REGION and APPMESH_LOG_LEVEL, filled from the MESH_NAME its install steps exported; AWS_REGION
    // is the AWS tools' own region variable.
    // The App Mesh controller's chart (aws/eks-charts stable/appmesh-controller/templates/deployment.yaml,
    // aws/aws-app-mesh-controller-for-k8s config/helm/appmesh-controller/templates/deployment.yaml) passes
    // every injector setting as a flag and sets no environment variable for it, so it adds no alias.
    private static readonly string[] MeshNameAliases = ["APPMESH_NAME", "MESH_NAME"];
    private static readonly string[] RegionAliases = ["APPMESH_REGION", "AWS_REGION"];
    private static readonly string[] EnvoyLogLevelAliases = ["APPMESH_LOG_LEVEL"];

    /// <summary>Every engine option, in the order <c>--help</c> lists them.</summary>
    public static OptionTable<InjectorSettings> Table { get; } = new(
    [
        Option.String<InjectorSettings>("mesh-name", (s, v) => s with { MeshName = v ?? "" }, "App Mesh name used when a pod has no appmesh.k8s.aws/mesh annotation (required)", MeshNameAliases),
        Option.String<InjectorSettings>("region", (s, v) => s with { Region = v ?? "" }, "AWS region given to Envoy as AWS_REGION (required)", RegionAliases),
        Option.Bool<InjectorSettings>("inject-default", (s, v) => s with { InjectDefault = v }, "inject pods without the sidecarInjectorWebhook annotation (default true)"),
        Option.String<InjectorSettings>("sidecar-mode", (s, v) => s with { SidecarMode = ParseMode(v) }, "classic, native or auto (default auto)"),
        Option.String<InjectorSettings>("sidecar-image", (s, v) => s with { SidecarImage = v ?? "" }, "Envoy image"),
        Option.String<InjectorSettings>("init-image", (s, v) => s with { InitImage = v ?? "" }, "proxyinit (route manager) image"),
        Option.String<InjectorSettings>("xray-image", (s, v) => s with { XrayImage = v ?? "" }, "X-Ray daemon image"),
        Option.String<InjectorSettings>("sidecar-cpu-requests", (s, v) => s with { SidecarCpuRequests = v ?? "" }, "Envoy CPU request (default 10m)"),
        Option.String<InjectorSettings>("sidecar-memory-requests", (s, v) => s with { SidecarMemoryRequests = v ?? "" }, "Envoy memory request (default 32Mi)"),
        Option.String<InjectorSettings>("sidecar-cpu-limits", (s, v) => s with { SidecarCpuLimits = v }, "Envoy CPU limit (default none)"),
        Option.String<InjectorSettings>("sidecar-memory-limits", (s, v) => s with { SidecarMemoryLimits = v }, "Envoy memory limit (default none)"),
        Option.String<InjectorSettings>("init-cpu-requests", (s, v) => s with { InitCpuRequests = v ?? "" }, "proxyinit CPU request (default 10m)"),
        Option.String<InjectorSettings>("init-memory-requests", (s, v) => s with { InitMemoryRequests = v ?? "" }, "proxyinit memory request (default 32Mi)"),
        Option.String<InjectorSettings>("init-cpu-limits", (s, v) => s with { InitCpuLimits = v }, "proxyinit CPU limit (default none)"),
        Option.String<InjectorSettings>("init-memory-limits", (s, v) => s with { InitMemoryLimits = v }, "proxyinit memory limit (default none)"),
        Option.String<InjectorSettings>("ignored-ips", (s, v) => s with { IgnoredIps = v ?? "" }, "egress addresses not redirected to Envoy (default 169.254.169.254)"),
        Option.Int<InjectorSettings>("envoy-admin-port", (s, v) => s with { EnvoyAdminPort = v }, "Envoy admin port (default 9901)"),
        Option.String<InjectorSettings>("envoy-admin-access-log-file", (s, v) => s with { EnvoyAdminAccessLogFile = v ?? "" }, "Envoy admin access log (default /tmp/envoy_admin_access.log)"),
        Option.String<InjectorSettings>("envoy-log-level", (s, v) => s with { EnvoyLogLevel = v?.ToLowerInvariant() ?? "" }, "Envoy log level (default info)", EnvoyLogLevelAliases),
        Option.Bool<InjectorSettings>("preview", (s, v) => s with { Preview = v }, "use the App Mesh preview channel (default false)"),
        Option.Int<InjectorSettings>("prestop-delay", (s, v) => s with { PrestopDelay = v }, "seconds Envoy waits before exiting so endpoints drain (default 20)"),
        Option.Bool<InjectorSettings>("enable-iam-for-service-accounts", (s, v) => s with { EnableIamForServiceAccounts = v }, "set fsGroup 1337 so Envoy can read the IRSA token (default true)"),
        Option.Bool<InjectorSettings>("enable-ecr-secret", (s, v) => s with { EnableEcrSecret = v }, "add the appmesh-ecr-secret image pull secret (default false)"),
        Option.Bool<InjectorSettings>("enable-xray-tracing", (s, v) => s with { EnableXrayTracing = v }, "inject the X-Ray daemon and enable Envoy X-Ray tracing"),
        Option.Int<InjectorSettings>("xray-daemon-port", (s, v) => s with { XrayDaemonPort = v }, "X-Ray daemon UDP port (default 2000)"),
        Option.String<InjectorSettings>("xray-sampling-rate", (s, v) => s with { XraySamplingRate = v ?? "" }, "X-Ray sampling rate from 0 to 1 (default 0.05)"),
        Option.Bool<InjectorSettings>("enable-jaeger-tracing", (s, v) => s with { EnableJaegerTracing = v }, "enable Envoy Jaeger tracing"),
        Option.String<InjectorSettings>("jaeger-address", (s, v) => s with { JaegerAddress = v ?? "" }, "Jaeger collector address"),
        Option.Int<InjectorSettings>("jaeger-port", (s, v) => s with { JaegerPort = v }, "Jaeger collector port (default 9411)"),
        Option.Bool<InjectorSettings>("enable-datadog-tracing", (s, v) => s with { EnableDatadogTracing = v }, "enable Envoy Datadog tracing"),
        Option.String<InjectorSettings>("datadog-address", (s, v) => s with { DatadogAddress = v ?? "" }, "Datadog agent address"),
        Option.Int<InjectorSettings>("datadog-port", (s, v) => s with { DatadogPort = v }, "Datadog agent port (default 8126)"),
        Option.Bool<InjectorSettings>("enable-stats-tags", (s, v) => s with { EnableStatsTags = v }, "tag Envoy stats with mesh and virtual node"),
        Option.Bool<InjectorSettings>("enable-statsd", (s, v) => s with { EnableStatsD = v }, "send Envoy stats to DogStatsD"),
        Option.String<InjectorSettings>("statsd-address", (s, v) => s with { StatsDAddress = v ?? "" }, "DogStatsD address (default 127.0.0.1)"),
        Option.Int<InjectorSettings>("statsd-port", (s, v) => s with { StatsDPort = v }, "DogStatsD port (default 8125)"),
    ], Validate);

    private static SidecarMode ParseMode(string? value) => value?.ToLowerInvariant() switch
    {
        "classic" => SidecarMode.Classic,
        "native" => SidecarMode.Native,
        "auto" or null => SidecarMode.Auto,
        _ => throw new FormatException($"--sidecar-mode: '{value}' is not one of classic, native, auto"),
    };

    /// <summary>Checks the values that parse but make no sense together or for App Mesh.</summary>
    public static IEnumerable<string> Validate(InjectorSettings s)
    {
        if (s.MeshName.Length == 0)
            yield return "mesh name is required: pass --mesh-name or set APPMESH_NAME (or MESH_NAME)";
        else if (!Formats.IsMeshName(s.MeshName))
            yield return $"--mesh-name: '{s.MeshName}' is not a valid App Mesh name ({Formats.MeshNameFormat})";
        if (s.Region.Length == 0)
            yield return "region is required: pass --region or set APPMESH_REGION (or AWS_REGION)";

        var tracers = new[] { ("--enable-xray-tracing", s.EnableXrayTracing), ("--enable-jaeger-tracing", s.EnableJaegerTracing), ("--enable-datadog-tracing", s.EnableDatadogTracing) }
            .Where(t => t.Item2).Select(t => t.Item1).ToList();
        if (tracers.Count > 1)
            yield return $"at most one tracer may be enabled, but {string.Join(" and ", tracers)} are set";

        foreach (var error in Option.ValidatePorts(("--envoy-admin-port", s.EnvoyAdminPort), ("--xray-daemon-port", s.XrayDaemonPort), ("--jaeger-port", s.JaegerPort), ("--datadog-port", s.DatadogPort), ("--statsd-port", s.StatsDPort)))
            yield return error;
        if (s.PrestopDelay is < 0 or > 3600) yield return $"--prestop-delay: {s.PrestopDelay} must be from 0 to 3600 seconds";

        foreach (var error in ValidateResources("sidecar", s.SidecarCpuRequests, s.SidecarCpuLimits, s.SidecarMemoryRequests, s.SidecarMemoryLimits)) yield return error;
        foreach (var error in ValidateResources("init", s.InitCpuRequests, s.InitCpuLimits, s.InitMemoryRequests, s.InitMemoryLimits)) yield return error;

        foreach (var (flag, image) in new[] { ("--sidecar-image", s.SidecarImage), ("--init-image", s.InitImage), ("--xray-image", s.XrayImage) })
        {
            if (!Formats.IsImage(image)) yield return $"{flag}: '{image}' is not {Formats.ImageFormat}";
        }
        if (Formats.NormalizeAddressList(s.IgnoredIps) is null)
            yield return $"--ignored-ips: '{s.IgnoredIps}' is not {Formats.AddressListFormat}";
        if (!Formats.IsEnvoyLogLevel(s.EnvoyLogLevel))
            yield return $"--envoy-log-level: '{s.EnvoyLogLevel}' is not one of {string.Join(", ", Formats.EnvoyLogLevels)}";
        if (!decimal.TryParse(s.XraySamplingRate, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var rate) || rate > 1)
            yield return $"--xray-sampling-rate: '{s.XraySamplingRate}' is not a number from 0 to 1";
    }

    private static IEnumerable<string> ValidateResources(string prefix, string cpuRequest, string? cpuLimit, string memoryRequest, string? memoryLimit)
    {
        foreach (var (kind, request, limit) in new[] { ("cpu", cpuRequest, cpuLimit), ("memory", memoryRequest, memoryLimit) })
        {
            var requestFlag = $"--{prefix}-{kind}-requests";
            var limitFlag = $"--{prefix}-{kind}-limits";
            var requestOk = Quantity.TryParse(request, out var req);
            if (!requestOk) yield return $"{requestFlag}: '{request}' is not {Quantity.ExpectedFormat}";
            if (limit is null) continue;
            if (!Quantity.TryParse(limit, out var lim)) yield return $"{limitFlag}: '{limit}' is not {Quantity.ExpectedFormat}";
            else if (requestOk && req.Value > lim.Value) yield return $"{requestFlag} {request} is above {limitFlag} {limit}";
        }
    }
}
