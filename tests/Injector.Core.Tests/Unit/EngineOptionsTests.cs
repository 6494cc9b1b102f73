using Injector.Core.Settings;

namespace Injector.Tests.Unit;

/// <summary>SPEC §7: the engine's options — names, environment variables, how values parse and which
/// combinations are refused — checked on the declarations themselves (reading flags, environment and
/// files is Injector.Configuration's, tested there).</summary>
public class EngineOptionsTests
{
    private static readonly Dictionary<string, string> Required = new() { ["mesh-name"] = "demo", ["region"] = "us-west-2" };

    /// <summary>The settings for these values (option name → value) and every problem, in order.</summary>
    private static (InjectorSettings Settings, List<string> Errors) Read(Dictionary<string, string> values)
    {
        var errors = new List<string>();
        var settings = EngineOptions.Table.Parse(values, errors);
        errors.AddRange(EngineOptions.Table.Validate(settings));
        return (settings, errors);
    }

    private static Dictionary<string, string> With(params string[] pairs)
    {
        var values = new Dictionary<string, string>(Required);
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=');
            values[pair[..eq]] = pair[(eq + 1)..];
        }
        return values;
    }

    [Fact]
    public void The_defaults_are_the_App_Mesh_controllers()
    {
        var (settings, errors) = Read(Required);

        Assert.Empty(errors);
        Assert.Equal(new InjectorSettings { MeshName = "demo", Region = "us-west-2" }, settings);
        Assert.Equal(
            (true, SidecarMode.Auto, "public.ecr.aws/appmesh/aws-appmesh-envoy:v1.34.13.3-prod", "840364872350.dkr.ecr.us-west-2.amazonaws.com/aws-appmesh-proxy-route-manager:v7-prod", "10m", "32Mi", (string?)null, "169.254.169.254", 9901, 20, Tracer.None),
            (settings.InjectDefault, settings.SidecarMode, settings.SidecarImage, settings.InitImage, settings.SidecarCpuRequests, settings.SidecarMemoryRequests, settings.SidecarCpuLimits, settings.IgnoredIps, settings.EnvoyAdminPort, settings.PrestopDelay, settings.Tracer));
    }

    [Fact]
    public void Values_are_trimmed_booleans_ignore_case_and_an_empty_limit_means_none()
    {
        var (settings, errors) = Read(With(
            "enable-ecr-secret=true", "inject-default= false ", "enable-iam-for-service-accounts=False", "preview=TRUE",
            "sidecar-mode=Native", "prestop-delay=0", "sidecar-memory-limits=", "envoy-log-level=WARNING"));

        Assert.Empty(errors);
        Assert.Equal(new InjectorSettings
        {
            MeshName = "demo",
            Region = "us-west-2",
            EnableEcrSecret = true,
            InjectDefault = false,
            EnableIamForServiceAccounts = false,
            Preview = true,
            SidecarMode = SidecarMode.Native,
            PrestopDelay = 0,
            EnvoyLogLevel = "warning",
        }, settings);
    }

    /// <summary>The App Mesh controller's chart suggests "warn", which Envoy reads as "warning": the webhook must start.</summary>
    [Fact]
    public void Envoy_log_level_warn_is_taken_as_given()
    {
        var (settings, errors) = Read(With("envoy-log-level=warn"));

        Assert.Empty(errors);
        Assert.Equal("warn", settings.EnvoyLogLevel);
    }

    public static TheoryData<Dictionary<string, string>, string[]> Refused => new()
    {
        { new() { ["region"] = "us-west-2" }, ["mesh name is required: pass --mesh-name or set APPMESH_NAME (or MESH_NAME)"] },
        { new() { ["mesh-name"] = "demo" }, ["region is required: pass --region or set APPMESH_REGION (or AWS_REGION)"] },
        { With("mesh-name=my.mesh"), ["--mesh-name: 'my.mesh' is not a valid App Mesh name (1 to 255 letters, digits, '-' or '_')"] },
        { With("enable-xray-tracing=true", "enable-datadog-tracing=true"), ["at most one tracer may be enabled, but --enable-xray-tracing and --enable-datadog-tracing are set"] },
        { With("enable-xray-tracing=true", "enable-jaeger-tracing=true", "enable-datadog-tracing=true"), ["at most one tracer may be enabled, but --enable-xray-tracing and --enable-jaeger-tracing and --enable-datadog-tracing are set"] },
        { With("sidecar-cpu-requests=lots"), ["--sidecar-cpu-requests: 'lots' is not a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi"] },
        { With("init-memory-limits=64 Mi"), ["--init-memory-limits: '64 Mi' is not a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi"] },
        { With("sidecar-memory-requests=128Mi", "sidecar-memory-limits=64Mi"), ["--sidecar-memory-requests 128Mi is above --sidecar-memory-limits 64Mi"] },
        // proxyinit takes each resource no --init-* flag sets from the sidecar's flag, which the check names.
        { With("init-cpu-limits=5m"), ["--sidecar-cpu-requests 10m is above --init-cpu-limits 5m"] },
        { With("init-cpu-requests=1", "sidecar-cpu-limits=500m"), ["--init-cpu-requests 1 is above --sidecar-cpu-limits 500m"] },
        { With("sidecar-memory-requests=lots", "sidecar-cpu-requests=1", "sidecar-cpu-limits=500m"), ["--sidecar-cpu-requests 1 is above --sidecar-cpu-limits 500m", "--sidecar-memory-requests: 'lots' is not a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi"] },
        { With("envoy-admin-port=0"), ["--envoy-admin-port: 0 is not a port from 1 to 65535"] },
        { With("statsd-port=70000"), ["--statsd-port: 70000 is not a port from 1 to 65535"] },
        { With("jaeger-port=http"), ["--jaeger-port: 'http' is not a whole number"] },
        { With("inject-default=maybe"), ["--inject-default: 'maybe' is not 'true' or 'false'"] },
        { With("enable-xray-tracing=yes"), ["--enable-xray-tracing: 'yes' is not 'true' or 'false'"] },
        { With("prestop-delay=soon"), ["--prestop-delay: 'soon' is not a whole number"] },
        { With("prestop-delay=-5"), ["--prestop-delay: '-5' is not a whole number"] },
        { With("prestop-delay=7200"), ["--prestop-delay: 7200 must be from 0 to 3600 seconds"] },
        { With("sidecar-mode=sometimes"), ["--sidecar-mode: 'sometimes' is not one of classic, native, auto"] },
        { With("envoy-log-level=verbose"), ["--envoy-log-level: 'verbose' is not one of trace, debug, info, warning, warn, error, critical, off"] },
        { With("ignored-ips=169.254.169.254,10.0.0.0/33"), ["--ignored-ips: '169.254.169.254,10.0.0.0/33' is not a comma-separated list of IPv4/IPv6 addresses or CIDR blocks, such as 169.254.169.254,10.0.0.0/8"] },
        { With("sidecar-image=Envoy:latest"), ["--sidecar-image: 'Envoy:latest' is not a container image reference such as registry.example.com/envoy:v1.2.3"] },
        { With("xray-sampling-rate=1.5"), ["--xray-sampling-rate: '1.5' is not a number from 0 to 1"] },
        { With("xray-sampling-rate=-0.1"), ["--xray-sampling-rate: '-0.1' is not a number from 0 to 1"] },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void A_bad_value_or_combination_is_refused_with_an_exact_message(Dictionary<string, string> values, string[] expected)
    {
        Assert.Equal(expected, Read(values).Errors);
    }

    [Fact]
    public void Malformed_values_come_first_then_what_does_not_make_sense()
    {
        var (_, errors) = Read(new() { ["jaeger-port"] = "http", ["sidecar-image"] = "bad image", ["enable-jaeger-tracing"] = "true", ["enable-xray-tracing"] = "true" });

        Assert.Equal(
            [
                "--jaeger-port: 'http' is not a whole number",
                "mesh name is required: pass --mesh-name or set APPMESH_NAME (or MESH_NAME)",
                "region is required: pass --region or set APPMESH_REGION (or AWS_REGION)",
                "at most one tracer may be enabled, but --enable-xray-tracing and --enable-jaeger-tracing are set",
                "--sidecar-image: 'bad image' is not a container image reference such as registry.example.com/envoy:v1.2.3",
            ],
            errors);
    }

    [Fact]
    public void Each_option_reads_its_prefixed_variable_and_only_the_documented_aliases_besides()
    {
        var aliases = EngineOptions.Table.Options
            .Where(o => o.EnvNames.Count > 1)
            .ToDictionary(o => o.Name, o => o.EnvNames.Skip(1).ToArray());

        Assert.All(EngineOptions.Table.Options, o => Assert.Equal("APPMESH_INJECT_" + o.Name.Replace('-', '_').ToUpperInvariant(), o.EnvNames[0]));
        Assert.Equal(new Dictionary<string, string[]>
        {
            ["mesh-name"] = ["APPMESH_NAME", "MESH_NAME"],
            ["region"] = ["APPMESH_REGION", "AWS_REGION"],
            ["envoy-log-level"] = ["APPMESH_LOG_LEVEL"],
        }, aliases);
        Assert.Equal("APPMESH_INJECT_SIDECAR_IMAGE", Option.EnvName("sidecar-image"));
    }

    [Fact]
    public void The_engine_declares_no_option_of_a_host()
    {
        var names = EngineOptions.Table.Options.Select(o => o.Name).ToList();

        Assert.Equal(55, names.Count);
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.DoesNotContain("port", names);
        Assert.DoesNotContain("tls-cert-file", names);
        // The controller's serving options are the webhook's, not the engine's.
        Assert.DoesNotContain("tls-min-version", names);
        Assert.DoesNotContain("tls-cipher-suite", names);
        Assert.DoesNotContain("config", names);
        Assert.Equal(["mesh-name", "region", "inject-default"], names.Take(3));
    }

    // pkg/inject/config.go: the controller's defaults for its flags that this engine now has too.
    [Fact]
    public void The_controllers_further_flags_have_its_defaults()
    {
        var (s, errors) = Read(Required);

        Assert.Empty(errors);
        Assert.Equal((false, 180, 5, false, "/run/spire/sockets/agent.sock", 1, 10, "prod", (string?)null, false, false, false),
            (s.WaitUntilProxyReady, s.PostStartTimeout, s.PostStartInterval, s.EnableSds, s.SdsUdsPath, s.ReadinessProbeInitialDelay, s.ReadinessProbePeriod,
                s.XrayLogLevel, s.StatsDSocketPath, s.DualStackEndpoint, s.FipsEndpoint, s.EnvoyAdminAccessEnableIpv6));
    }

    [Theory]
    [InlineData("xray-log-level=stage", "--xray-log-level: 'stage' is not one of dev, debug, info, prod, warn, error")]
    [InlineData("xray-config-role-arn=xray-cross-account arn", "--xray-config-role-arn: 'xray-cross-account arn' is not an ARN such as arn:aws:iam::123456789012:role/xray-cross-account")]
    [InlineData("readiness-probe-period=0", "--readiness-probe-period: 0 must be from 1 to 3600 seconds")]
    [InlineData("poststart-timeout=0", "--poststart-timeout: 0 must be from 1 to 3600 seconds")]
    [InlineData("sds-uds-path=run/spire.sock", "--sds-uds-path: 'run/spire.sock' is not an absolute path")]
    [InlineData("statsd-socket-path=dsd.socket", "--statsd-socket-path: 'dsd.socket' is not an absolute path")]
    [InlineData("xds-endpoint=xds.example.com", "--xds-endpoint: 'xds.example.com' is not host:port or unix:///absolute/path, such as xds.example.com:18000")]
    [InlineData("signing-name=app mesh", "--signing-name: 'app mesh' is not 1 to 63 letters, digits, '-', '_' or '.', such as appmesh")]
    [InlineData("envoy-admin-port=15001", "--envoy-admin-port: 15001 is Envoy's egress port; choose another port")]
    [InlineData("ignored-ips=010.0.0.1", "--ignored-ips: '010.0.0.1' is read by iptables as 8.0.0.1 (a leading 0 makes a number octal); write 8.0.0.1, or the address you meant")]
    [InlineData("xray-sampling-rate=1.5", "--xray-sampling-rate: '1.5' is not a number from 0 to 1")]
    public void The_controllers_flags_are_checked_at_start_up(string value, string error)
    {
        Assert.Equal([error], Read(With(value)).Errors);
    }
}

