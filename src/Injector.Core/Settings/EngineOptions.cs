using Injector.Core.Injection;

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
    // every injector setting as a flag and sets no environment variable for it, so it adds no variable;
    // its flag names (pkg/inject/config.go) are accepted as flag aliases where ours differ.
    private static readonly string[] MeshNameAliases = ["APPMESH_NAME", "MESH_NAME"];
    private static readonly string[] RegionAliases = ["APPMESH_REGION", "AWS_REGION"];
    private static readonly string[] EnvoyLogLevelAliases = ["APPMESH_LOG_LEVEL"];

    // The defaults --help names, from the settings themselves.
    private static readonly InjectorSettings Defaults = new();

    /// <summary>Every engine option, in the order <c>--help</c> lists them.</summary>
    public static OptionTable<InjectorSettings> Table { get; } = new(
    [
        Option.String<InjectorSettings>("mesh-name", (s, v) => s with { MeshName = v ?? "" }, "App Mesh name used when a pod has no appmesh.k8s.aws/mesh annotation (required)", MeshNameAliases),
        Option.String<InjectorSettings>("region", (s, v) => s with { Region = v ?? "" }, "AWS region given to Envoy as AWS_REGION (required)", RegionAliases).AlsoAs("aws-region"),
        Option.Bool<InjectorSettings>("inject-default", (s, v) => s with { InjectDefault = v }, "inject pods without the sidecarInjectorWebhook annotation or namespace label (default true)"),
        Option.String<InjectorSettings>("sidecar-mode", (s, v) => s with { SidecarMode = ParseMode(v) }, "classic, native or auto (default auto)"),
        Option.String<InjectorSettings>("sidecar-image", (s, v) => s with { SidecarImage = v ?? "" }, $"Envoy image (default {Defaults.SidecarImage})"),
        // The controller names the image in two parts; each replaces its part of --sidecar-image.
        Option.String<InjectorSettings>("sidecar-image-repository", (s, v) => v is null ? s : s with { SidecarImage = ImageReference.WithRepository(s.SidecarImage, v) }, "Envoy image repository, replacing that part of --sidecar-image (default none)"),
        Option.String<InjectorSettings>("sidecar-image-tag", (s, v) => v is null ? s : s with { SidecarImage = ImageReference.WithTag(s.SidecarImage, v) }, "Envoy image tag, replacing that part of --sidecar-image (default none)"),
        Option.String<InjectorSettings>("init-image", (s, v) => s with { InitImage = v ?? "" }, $"proxyinit (route manager) image (default {Defaults.InitImage})"),
        Option.String<InjectorSettings>("xray-image", (s, v) => s with { XrayImage = v ?? "" }, $"X-Ray daemon image (default {Defaults.XrayImage})"),
        Option.String<InjectorSettings>("sidecar-cpu-requests", (s, v) => s with { SidecarCpuRequests = v ?? "" }, "Envoy CPU request (default 10m)"),
        Option.String<InjectorSettings>("sidecar-memory-requests", (s, v) => s with { SidecarMemoryRequests = v ?? "" }, "Envoy memory request (default 32Mi)"),
        Option.String<InjectorSettings>("sidecar-cpu-limits", (s, v) => s with { SidecarCpuLimits = v }, "Envoy CPU limit (default none)"),
        Option.String<InjectorSettings>("sidecar-memory-limits", (s, v) => s with { SidecarMemoryLimits = v }, "Envoy memory limit (default none)"),
        // The controller gives proxyinit the sidecar flags' resources (inject.go); these replace them part by part.
        Option.String<InjectorSettings>("init-cpu-requests", (s, v) => s with { InitCpuRequests = v ?? "" }, "proxyinit CPU request (default: --sidecar-cpu-requests)"),
        Option.String<InjectorSettings>("init-memory-requests", (s, v) => s with { InitMemoryRequests = v ?? "" }, "proxyinit memory request (default: --sidecar-memory-requests)"),
        Option.String<InjectorSettings>("init-cpu-limits", (s, v) => s with { InitCpuLimits = v }, "proxyinit CPU limit (default: --sidecar-cpu-limits)"),
        Option.String<InjectorSettings>("init-memory-limits", (s, v) => s with { InitMemoryLimits = v }, "proxyinit memory limit (default: --sidecar-memory-limits)"),
        Option.String<InjectorSettings>("ignored-ips", (s, v) => s with { IgnoredIps = v ?? "" }, "egress addresses not redirected to Envoy (default 169.254.169.254)"),
        Option.Int<InjectorSettings>("envoy-admin-port", (s, v) => s with { EnvoyAdminPort = v }, "Envoy admin port (default 9901)").AlsoAs("envoy-admin-access-port"),
        Option.String<InjectorSettings>("envoy-admin-access-log-file", (s, v) => s with { EnvoyAdminAccessLogFile = v ?? "" }, "Envoy admin access log (default /tmp/envoy_admin_access.log; empty: not set)"),
        Option.Bool<InjectorSettings>("envoy-admin-access-enable-ipv6", (s, v) => s with { EnvoyAdminAccessEnableIpv6 = v }, "Envoy's admin listens on IPv6 too: ENVOY_ADMIN_ACCESS_ENABLE_IPV6 (default false)"),
        Option.String<InjectorSettings>("envoy-log-level", (s, v) => s with { EnvoyLogLevel = v?.ToLowerInvariant() ?? "" }, "Envoy log level (default info)", EnvoyLogLevelAliases).AlsoAs("sidecar-log-level"),
        Option.Bool<InjectorSettings>("preview", (s, v) => s with { Preview = v }, "use the App Mesh preview channel (default false)"),
        Option.Int<InjectorSettings>("prestop-delay", (s, v) => s with { PrestopDelay = v }, "seconds Envoy waits before exiting so endpoints drain (default 20)"),
        Option.Int<InjectorSettings>("readiness-probe-initial-delay", (s, v) => s with { ReadinessProbeInitialDelay = v }, "seconds before Envoy's readiness probe starts (default 1)"),
        Option.Int<InjectorSettings>("readiness-probe-period", (s, v) => s with { ReadinessProbePeriod = v }, "seconds between Envoy's readiness probes (default 10)"),
        Option.Bool<InjectorSettings>("wait-until-proxy-ready", (s, v) => s with { WaitUntilProxyReady = v }, "Envoy first, with a postStart hook: app containers start once Envoy is ready (default false)"),
        Option.Int<InjectorSettings>("poststart-timeout", (s, v) => s with { PostStartTimeout = v }, "seconds the postStart hook waits for Envoy (default 180)"),
        Option.Int<InjectorSettings>("poststart-interval", (s, v) => s with { PostStartInterval = v }, "seconds between the postStart hook's checks (default 5)"),
        Option.Bool<InjectorSettings>("enable-sds", (s, v) => s with { EnableSds = v }, "mount the SDS (SPIRE agent) socket into Envoy for mTLS (default false)"),
        Option.String<InjectorSettings>("sds-uds-path", (s, v) => s with { SdsUdsPath = v ?? "" }, "SDS socket path on the node (default /run/spire/sockets/agent.sock)"),
        Option.Bool<InjectorSettings>("dual-stack-endpoint", (s, v) => s with { DualStackEndpoint = v }, "Envoy uses the App Mesh dual-stack endpoint: APPMESH_DUALSTACK_ENDPOINT (default false)"),
        Option.Bool<InjectorSettings>("fips-endpoint", (s, v) => s with { FipsEndpoint = v }, "Envoy uses the App Mesh FIPS endpoint: APPMESH_FIPS_ENDPOINT (default false)"),
        Option.String<InjectorSettings>("xds-endpoint", (s, v) => s with { XdsEndpoint = v }, "xDS management server, host:port or unix:///path: APPMESH_XDS_ENDPOINT (default none: App Mesh)"),
        Option.String<InjectorSettings>("signing-name", (s, v) => s with { SigningName = v }, "SigV4 signing name of xDS requests: APPMESH_SIGNING_NAME (default none)"),
        Option.String<InjectorSettings>("resource-cluster", (s, v) => s with { ResourceCluster = v }, "cluster name Envoy reports to the xDS server: APPMESH_RESOURCE_CLUSTER (default none)"),
        Option.String<InjectorSettings>("cluster-name", (s, v) => s with { ClusterName = v }, "the controller's EKS cluster name; accepted so that its arguments carry over, not used (default none)"),
        Option.Bool<InjectorSettings>("enable-iam-for-service-accounts", (s, v) => s with { EnableIamForServiceAccounts = v }, "set fsGroup 1337 so Envoy can read the IRSA token (default true)"),
        Option.Bool<InjectorSettings>("enable-ecr-secret", (s, v) => s with { EnableEcrSecret = v }, "add the appmesh-ecr-secret image pull secret (default false)"),
        Option.Bool<InjectorSettings>("enable-xray-tracing", (s, v) => s with { EnableXrayTracing = v }, "inject the X-Ray daemon and enable Envoy X-Ray tracing (default false)"),
        Option.Int<InjectorSettings>("xray-daemon-port", (s, v) => s with { XrayDaemonPort = v }, "X-Ray daemon UDP port (default 2000)"),
        Option.String<InjectorSettings>("xray-sampling-rate", (s, v) => s with { XraySamplingRate = v ?? "" }, "X-Ray sampling rate from 0 to 1 (default 0.05)"),
        Option.String<InjectorSettings>("xray-log-level", (s, v) => s with { XrayLogLevel = v ?? "" }, "X-Ray daemon log level: dev, debug, info, prod, warn, error (default prod)"),
        Option.String<InjectorSettings>("xray-config-role-arn", (s, v) => s with { XrayConfigRoleArn = v }, "IAM role the X-Ray daemon assumes to send segments to another account (default none)").AlsoAs("xray-config-roleArn"),
        Option.Bool<InjectorSettings>("enable-jaeger-tracing", (s, v) => s with { EnableJaegerTracing = v }, "enable Envoy Jaeger tracing (default false)"),
        Option.String<InjectorSettings>("jaeger-address", (s, v) => s with { JaegerAddress = v ?? "" }, $"Jaeger collector address (default {Defaults.JaegerAddress}; ref:status.hostIP: the node's IP)"),
        Option.Int<InjectorSettings>("jaeger-port", (s, v) => s with { JaegerPort = v }, "Jaeger collector port (default 9411)"),
        Option.Bool<InjectorSettings>("enable-datadog-tracing", (s, v) => s with { EnableDatadogTracing = v }, "enable Envoy Datadog tracing (default false)"),
        Option.String<InjectorSettings>("datadog-address", (s, v) => s with { DatadogAddress = v ?? "" }, $"Datadog agent address (default {Defaults.DatadogAddress}; ref:status.hostIP: the node's IP)"),
        Option.Int<InjectorSettings>("datadog-port", (s, v) => s with { DatadogPort = v }, "Datadog agent port (default 8126)"),
        Option.Bool<InjectorSettings>("enable-stats-tags", (s, v) => s with { EnableStatsTags = v }, "tag Envoy stats with mesh and virtual node (default false)"),
        Option.Bool<InjectorSettings>("enable-statsd", (s, v) => s with { EnableStatsD = v }, "send Envoy stats to DogStatsD (default false)"),
        Option.String<InjectorSettings>("statsd-address", (s, v) => s with { StatsDAddress = v ?? "" }, "DogStatsD address (default 127.0.0.1; ref:status.hostIP: the node's IP)"),
        Option.Int<InjectorSettings>("statsd-port", (s, v) => s with { StatsDPort = v }, "DogStatsD port (default 8125)"),
        Option.String<InjectorSettings>("statsd-socket-path", (s, v) => s with { StatsDSocketPath = v }, "DogStatsD unix socket, used instead of address and port (default none)"),
    ], Validate);

    /// <summary>The X-Ray daemon's log levels (xray.go buildXrayDaemonArgs).</summary>
    public static readonly IReadOnlyList<string> XrayLogLevels = ["dev", "debug", "info", "prod", "warn", "error"];

    /// <summary>As aws-sdk-go's arn.IsARN: <c>arn:</c> and at least six colon-separated sections.</summary>
    private static bool IsArn(string text) => text.StartsWith("arn:", StringComparison.Ordinal) && text.Count(c => c == ':') >= 5 && !text.Contains(' ');

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

        if (s.EnvoyAdminPort is PodInjector.IngressPort or PodInjector.EgressPort)
            yield return $"--envoy-admin-port: {s.EnvoyAdminPort} is Envoy's {(s.EnvoyAdminPort == PodInjector.IngressPort ? "ingress" : "egress")} port; choose another port";
        foreach (var error in Option.ValidatePorts(("--envoy-admin-port", s.EnvoyAdminPort), ("--xray-daemon-port", s.XrayDaemonPort), ("--jaeger-port", s.JaegerPort), ("--datadog-port", s.DatadogPort), ("--statsd-port", s.StatsDPort)))
            yield return error;
        if (s.PrestopDelay is < 0 or > 3600) yield return $"--prestop-delay: {s.PrestopDelay} must be from 0 to 3600 seconds";
        if (s.ReadinessProbeInitialDelay > 3600) yield return $"--readiness-probe-initial-delay: {s.ReadinessProbeInitialDelay} must be from 0 to 3600 seconds";
        if (s.ReadinessProbePeriod is < 1 or > 3600) yield return $"--readiness-probe-period: {s.ReadinessProbePeriod} must be from 1 to 3600 seconds";
        if (s.PostStartTimeout is < 1 or > 3600) yield return $"--poststart-timeout: {s.PostStartTimeout} must be from 1 to 3600 seconds";
        if (s.PostStartInterval is < 1 or > 3600) yield return $"--poststart-interval: {s.PostStartInterval} must be from 1 to 3600 seconds";

        foreach (var error in ValidateResources(s)) yield return error;

        foreach (var (flag, image) in new[] { ("--sidecar-image", s.SidecarImage), ("--init-image", s.InitImage), ("--xray-image", s.XrayImage) })
        {
            if (!Formats.IsImage(image)) yield return $"{flag}: '{image}' is not {Formats.ImageFormat}";
        }
        var ignored = IptablesLists.ReadAddresses(s.IgnoredIps);
        if (!ignored.IsReadable)
            yield return $"--ignored-ips: '{s.IgnoredIps}' is not {Formats.AddressListFormat}";
        // A flag is the operator's to fix: an address iptables reads differently is an error, not a warning per pod.
        foreach (var entry in ignored.Entries.Where(e => e.Kind == EntryKind.Rewritten))
            yield return $"--ignored-ips: '{entry.Given}' is read by iptables as {entry.Written} ({entry.Why}); write {entry.Written}, or the address you meant";
        if (!Formats.IsEnvoyLogLevel(s.EnvoyLogLevel))
            yield return $"--envoy-log-level: '{s.EnvoyLogLevel}' is not one of {string.Join(", ", Formats.EnvoyLogLevels)}";
        if (XraySampling.Format(s.XraySamplingRate) is null)
            yield return $"--xray-sampling-rate: '{s.XraySamplingRate}' is not a number from 0 to 1";
        if (!XrayLogLevels.Contains(s.XrayLogLevel))
            yield return $"--xray-log-level: '{s.XrayLogLevel}' is not one of {string.Join(", ", XrayLogLevels)}";
        if (s.XrayConfigRoleArn is { } arn && !IsArn(arn))
            yield return $"--xray-config-role-arn: '{arn}' is not an ARN such as arn:aws:iam::123456789012:role/xray-cross-account";
        if (s.SdsUdsPath is not ['/', ..] || s.SdsUdsPath.Contains(':'))
            yield return $"--sds-uds-path: '{s.SdsUdsPath}' is not an absolute path";
        if (s.StatsDSocketPath is { } socket && socket is not ['/', ..])
            yield return $"--statsd-socket-path: '{socket}' is not an absolute path";
        if (s.XdsEndpoint is { } xds && !Formats.IsXdsEndpoint(xds))
            yield return $"--xds-endpoint: '{xds}' is not {Formats.XdsEndpointFormat}";
        if (s.SigningName is { } signing && !Formats.IsSigningName(signing))
            yield return $"--signing-name: '{signing}' is not {Formats.SigningNameFormat}";
        if (s.ResourceCluster is { } cluster && !Formats.IsResourceCluster(cluster))
            yield return $"--resource-cluster: '{cluster}' is not {Formats.ResourceClusterFormat}";
    }

    /// <summary>Every resource flag given is a quantity; each request is within its limit, for Envoy and for proxyinit as
    /// it gets them (an <c>--init-*</c> value, else the sidecar's). A pair proxyinit takes whole from the sidecar is
    /// Envoy's pair, checked once.</summary>
    private static IEnumerable<string> ValidateResources(InjectorSettings s)
    {
        (string Flag, string? Value) cpuRequest = ("--sidecar-cpu-requests", s.SidecarCpuRequests), cpuLimit = ("--sidecar-cpu-limits", s.SidecarCpuLimits),
            memoryRequest = ("--sidecar-memory-requests", s.SidecarMemoryRequests), memoryLimit = ("--sidecar-memory-limits", s.SidecarMemoryLimits);
        (string Flag, string? Value) Init(string flag, string? value, (string Flag, string? Value) sidecar) => value is null ? sidecar : (flag, value);
        var initCpuRequest = Init("--init-cpu-requests", s.InitCpuRequests, cpuRequest);
        var initCpuLimit = Init("--init-cpu-limits", s.InitCpuLimits, cpuLimit);
        var initMemoryRequest = Init("--init-memory-requests", s.InitMemoryRequests, memoryRequest);
        var initMemoryLimit = Init("--init-memory-limits", s.InitMemoryLimits, memoryLimit);

        var checkedFlags = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (request, limit) in new[] { (cpuRequest, cpuLimit), (memoryRequest, memoryLimit), (initCpuRequest, initCpuLimit), (initMemoryRequest, initMemoryLimit) }.Distinct())
        {
            foreach (var (flag, value) in new[] { request, limit })
            {
                if (value is not null && checkedFlags.Add(flag) && !Quantity.TryParse(value, out _))
                    yield return $"{flag}: '{value}' is not {Quantity.ExpectedFormat}";
            }
            if (Quantity.TryParse(request.Value, out var req) && Quantity.TryParse(limit.Value, out var lim) && req.Value > lim.Value)
                yield return $"{request.Flag} {request.Value} is above {limit.Flag} {limit.Value}";
        }
    }
}
