using Injector.Core.Settings;

namespace Injector.Tests.Unit;

/// <summary>SPEC §7: configuration from flags, environment variables and a YAML file, in that precedence.</summary>
public class SettingsLoaderTests
{
    private static readonly string[] Required = ["--mesh-name", "demo", "--region", "us-west-2"];
    private static readonly Dictionary<string, string> NoEnv = [];

    private static SettingsResult Load(string[] args, Dictionary<string, string>? env = null, Dictionary<string, string>? files = null, bool allowUnknownArgs = false) =>
        SettingsLoader.Load(args, env ?? NoEnv, path => files is not null && files.TryGetValue(path, out var text) ? text : throw new FileNotFoundException($"Could not find file '{path}'."), allowUnknownArgs);

    private static InjectorSettings LoadOk(string[] args, Dictionary<string, string>? env = null, Dictionary<string, string>? files = null)
    {
        var result = Load(args, env, files);
        Assert.Empty(result.Errors);
        Assert.True(result.Ok);
        return result.Settings!;
    }

    private static void AssertErrors(SettingsResult result, params string[] expected)
    {
        Assert.False(result.Ok);
        Assert.Null(result.Settings);
        Assert.Equal(expected, result.Errors);
    }

    [Fact]
    public void The_defaults_are_the_App_Mesh_controllers()
    {
        var settings = LoadOk(Required);

        Assert.Equal(new InjectorSettings { MeshName = "demo", Region = "us-west-2" }, settings);
        Assert.Equal(
            (8443, true, SidecarMode.Auto, "public.ecr.aws/appmesh/aws-appmesh-envoy:v1.34.13.3-prod", "840364872350.dkr.ecr.us-west-2.amazonaws.com/aws-appmesh-proxy-route-manager:v7-prod", "10m", "32Mi", (string?)null, "169.254.169.254", 9901, 20, Tracer.None),
            (settings.Port, settings.InjectDefault, settings.SidecarMode, settings.SidecarImage, settings.InitImage, settings.SidecarCpuRequests, settings.SidecarMemoryRequests, settings.SidecarCpuLimits, settings.IgnoredIps, settings.EnvoyAdminPort, settings.PrestopDelay, settings.Tracer));
    }

    [Fact]
    public void Flags_beat_environment_variables_which_beat_the_config_file()
    {
        var files = new Dictionary<string, string>
        {
            ["/etc/injector.yaml"] = "mesh-name: file-mesh\nregion: eu-west-1\nenvoy-log-level: debug\nport: 9443\nsidecar-cpu-limits: 1\n",
        };
        var env = new Dictionary<string, string> { ["APPMESH_NAME"] = "env-mesh", ["ENVOY_LOG_LEVEL"] = "warning", ["PORT"] = "10443" };

        var settings = LoadOk(["--config", "/etc/injector.yaml", "--mesh-name=flag-mesh", "--envoy-log-level", "error"], env, files);

        Assert.Equal(new InjectorSettings
        {
            MeshName = "flag-mesh",
            Region = "eu-west-1",
            EnvoyLogLevel = "error",
            Port = 10443,
            SidecarCpuLimits = "1",
        }, settings);
    }

    [Fact]
    public void The_config_file_may_come_from_the_CONFIG_variable()
    {
        var files = new Dictionary<string, string> { ["/cfg.yaml"] = "mesh-name: demo\nregion: us-east-1\nenable-xray-tracing: true\n" };

        var settings = LoadOk([], new() { ["CONFIG"] = "/cfg.yaml" }, files);

        Assert.Equal(new InjectorSettings { MeshName = "demo", Region = "us-east-1", EnableXrayTracing = true }, settings);
    }

    [Fact]
    public void An_empty_config_file_changes_nothing()
    {
        Assert.Equal(new InjectorSettings { MeshName = "demo", Region = "us-west-2" },
            LoadOk([.. Required, "--config", "/empty.yaml"], files: new() { ["/empty.yaml"] = "" }));
    }

    [Theory]
    [InlineData("APPMESH_NAME", "MESH_NAME", "a", "b", "a")]
    [InlineData("MESH_NAME", null, "b", null, "b")]
    public void APPMESH_NAME_is_preferred_over_MESH_NAME(string first, string? second, string firstValue, string? secondValue, string expected)
    {
        var env = new Dictionary<string, string> { [first] = firstValue, ["AWS_REGION"] = "us-west-2" };
        if (second is not null) env[second] = secondValue!;

        Assert.Equal(expected, LoadOk([], env).MeshName);
    }

    [Fact]
    public void APPMESH_REGION_is_preferred_over_AWS_REGION()
    {
        var env = new Dictionary<string, string> { ["APPMESH_NAME"] = "demo", ["AWS_REGION"] = "us-east-1", ["APPMESH_REGION"] = "eu-central-1" };

        Assert.Equal("eu-central-1", LoadOk([], env).Region);
        Assert.Equal("us-east-1", LoadOk([], new() { ["APPMESH_NAME"] = "demo", ["AWS_REGION"] = "us-east-1" }).Region);
    }

    [Fact]
    public void An_empty_environment_variable_counts_as_unset()
    {
        var env = new Dictionary<string, string> { ["APPMESH_NAME"] = "", ["MESH_NAME"] = "fallback", ["AWS_REGION"] = "us-west-2" };

        Assert.Equal("fallback", LoadOk([], env).MeshName);
    }

    [Fact]
    public void Flags_take_values_inline_or_as_the_next_argument_and_booleans_alone_mean_true()
    {
        var settings = LoadOk([
            "--mesh-name=demo", "--region", "us-west-2",
            "--enable-ecr-secret",
            "--inject-default", "false",
            "--enable-iam-for-service-accounts=False",
            "--preview", "TRUE",
            "--sidecar-mode", "Native",
            "--prestop-delay=0",
            "--sidecar-memory-limits=",
        ]);

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
        }, settings);
    }

    [Fact]
    public void A_boolean_flag_followed_by_another_flag_is_true()
    {
        var settings = LoadOk(["--enable-stats-tags", "--mesh-name", "demo", "--enable-statsd", "--region", "us-west-2"]);

        Assert.Equal((true, true), (settings.EnableStatsTags, settings.EnableStatsD));
    }

    public static TheoryData<string[], Dictionary<string, string>, string[]> StartupErrors => new()
    {
        { ["--region", "us-west-2"], new(), ["mesh name is required: pass --mesh-name or set APPMESH_NAME (or MESH_NAME)"] },
        { ["--mesh-name", "demo"], new(), ["region is required: pass --region or set APPMESH_REGION (or AWS_REGION)"] },
        { [], new() { ["APPMESH_NAME"] = "my.mesh", ["AWS_REGION"] = "us-west-2" }, ["--mesh-name: 'my.mesh' is not a valid App Mesh name (1 to 255 letters, digits, '-' or '_') (from environment variable APPMESH_NAME)"] },
        { [.. Required, "--enable-xray-tracing", "--enable-datadog-tracing"], new(), ["at most one tracer may be enabled, but --enable-xray-tracing and --enable-datadog-tracing are set"] },
        { [.. Required, "--enable-xray-tracing", "--enable-jaeger-tracing", "--enable-datadog-tracing"], new(), ["at most one tracer may be enabled, but --enable-xray-tracing and --enable-jaeger-tracing and --enable-datadog-tracing are set"] },
        { [.. Required, "--sidecar-cpu-requests", "lots"], new(), ["--sidecar-cpu-requests: 'lots' is not a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi"] },
        { [.. Required, "--init-memory-limits", "64 Mi"], new(), ["--init-memory-limits: '64 Mi' is not a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi"] },
        { [.. Required, "--sidecar-memory-requests", "128Mi", "--sidecar-memory-limits", "64Mi"], new(), ["--sidecar-memory-requests 128Mi is above --sidecar-memory-limits 64Mi"] },
        { [.. Required, "--init-cpu-limits", "5m"], new(), ["--init-cpu-requests 10m is above --init-cpu-limits 5m"] },
        { [.. Required, "--port", "70000"], new(), ["--port: 70000 is not a port from 1 to 65535"] },
        { [.. Required, "--envoy-admin-port", "0"], new(), ["--envoy-admin-port: 0 is not a port from 1 to 65535"] },
        { [.. Required, "--inject-default=maybe"], new(), ["--inject-default: 'maybe' is not 'true' or 'false'"] },
        { [.. Required], new() { ["ENABLE_XRAY_TRACING"] = "yes" }, ["--enable-xray-tracing: 'yes' is not 'true' or 'false' (from environment variable ENABLE_XRAY_TRACING)"] },
        { [.. Required, "--prestop-delay", "soon"], new(), ["--prestop-delay: 'soon' is not a whole number"] },
        { [.. Required, "--prestop-delay", "-5"], new(), ["--prestop-delay: '-5' is not a whole number"] },
        { [.. Required, "--prestop-delay", "7200"], new(), ["--prestop-delay: 7200 must be from 0 to 3600 seconds"] },
        { [.. Required, "--mesh", "other"], new(), ["unknown flag '--mesh'; did you mean '--mesh-name'?"] },
        { [.. Required, "--enable-xray"], new(), ["unknown flag '--enable-xray'; did you mean '--enable-xray-tracing'?"] },
        { [.. Required, "--colour"], new(), ["unknown flag '--colour'"] },
        { [.. Required, "extra"], new(), ["unexpected argument 'extra'"] },
        { [.. Required, "--shutdown-delay", "61"], new(), ["--shutdown-delay: 61 must be from 0 to 60 seconds"] },
        { ["--mesh-name", "demo", "--region"], new(), ["flag '--region' needs a value", "region is required: pass --region or set APPMESH_REGION (or AWS_REGION)"] },
        { ["--region", "us-west-2", "--mesh-name", "--port", "9443"], new(), ["flag '--mesh-name' needs a value", "mesh name is required: pass --mesh-name or set APPMESH_NAME (or MESH_NAME)"] },
        { [.. Required, "--sidecar-mode", "sometimes"], new(), ["--sidecar-mode: 'sometimes' is not one of classic, native, auto"] },
        { [.. Required, "--envoy-log-level", "verbose"], new(), ["--envoy-log-level: 'verbose' is not one of trace, debug, info, warning, error, critical, off"] },
        { [.. Required, "--ignored-ips", "169.254.169.254,10.0.0.0/33"], new(), ["--ignored-ips: '169.254.169.254,10.0.0.0/33' is not a comma-separated list of IPv4/IPv6 addresses or CIDR blocks, such as 169.254.169.254,10.0.0.0/8"] },
        { [.. Required, "--sidecar-image", "Envoy:latest"], new(), ["--sidecar-image: 'Envoy:latest' is not a container image reference such as registry.example.com/envoy:v1.2.3"] },
        { [.. Required, "--xray-sampling-rate", "1.5"], new(), ["--xray-sampling-rate: '1.5' is not a number from 0 to 1"] },
        { [.. Required, "--xray-sampling-rate", "-0.1"], new(), ["--xray-sampling-rate: '-0.1' is not a number from 0 to 1"] },
        { [.. Required, "--tls-cert-file", "/tls/tls.crt"], new(), ["--tls-cert-file and --tls-key-file must be given together"] },
        { [.. Required, "--tls-key-file", "/tls/tls.key"], new(), ["--tls-cert-file and --tls-key-file must be given together"] },
    };

    [Theory]
    [MemberData(nameof(StartupErrors))]
    public void A_bad_configuration_is_refused_with_an_exact_message(string[] args, Dictionary<string, string> env, string[] expected)
    {
        AssertErrors(Load(args, env), expected);
    }

    [Fact]
    public void An_unreadable_config_file_is_reported()
    {
        AssertErrors(Load([.. Required, "--config", "/missing.yaml"]),
            "cannot read config file '/missing.yaml': Could not find file '/missing.yaml'.");
    }

    [Fact]
    public void A_config_file_that_is_not_a_mapping_is_reported()
    {
        AssertErrors(Load([.. Required, "--config", "/c.yaml"], files: new() { ["/c.yaml"] = "- mesh-name\n- demo\n" }),
            "config file '/c.yaml' must be a YAML mapping of flag names to values");
    }

    [Fact]
    public void Unknown_and_non_scalar_config_keys_are_reported_with_a_suggestion_where_one_is_close()
    {
        var files = new Dictionary<string, string> { ["/c.yaml"] = "mesh: demo\nregoin: us-west-2\nfavourite-colour: blue\nignored-ips: [10.0.0.1]\n" };

        AssertErrors(Load(["--config=/c.yaml"], files: files),
            "config file '/c.yaml': unknown key 'mesh'; did you mean 'mesh-name'?",
            "config file '/c.yaml': unknown key 'regoin'; did you mean 'region'?",
            "config file '/c.yaml': unknown key 'favourite-colour'",
            "config file '/c.yaml': 'ignored-ips' must be a single value",
            "mesh name is required: pass --mesh-name or set APPMESH_NAME (or MESH_NAME)",
            "region is required: pass --region or set APPMESH_REGION (or AWS_REGION)");
    }

    [Fact]
    public void A_config_file_that_is_not_YAML_is_reported_with_the_position()
    {
        AssertErrors(Load([.. Required, "--config", "/c.yaml"], files: new() { ["/c.yaml"] = "mesh-name: demo\nregion: [us-west-2\n" }),
            "config file '/c.yaml' is not valid YAML (line 3, column 1): While parsing a flow sequence, did not find expected ',' or ']'.");
    }

    [Fact]
    public void A_config_file_with_a_duplicate_key_is_reported_with_the_position()
    {
        AssertErrors(Load([.. Required, "--config", "/c.yaml"], files: new() { ["/c.yaml"] = "port: 9443\nport: 10443\n" }),
            "config file '/c.yaml' is not valid YAML (line 2, column 1): Duplicate key port");
    }

    [Fact]
    public void Each_value_records_where_it_came_from_and_the_highest_precedence_wins()
    {
        var files = new Dictionary<string, string> { ["/c.yaml"] = "port: 9443\nenvoy-log-level: debug\n" };
        var env = new Dictionary<string, string> { ["ENVOY_LOG_LEVEL"] = "error", ["AWS_REGION"] = "eu-west-1" };

        var result = Load(["--mesh-name", "demo", "--config", "/c.yaml", "--envoy-log-level", "warning"], env, files);

        Assert.Equal(new Dictionary<string, string>
        {
            ["port"] = "config file '/c.yaml'",
            ["envoy-log-level"] = "flag --envoy-log-level",
            ["region"] = "environment variable AWS_REGION",
            ["mesh-name"] = "flag --mesh-name",
        }, result.Sources);
        Assert.Equal((9443, "warning", "eu-west-1"), (result.Settings!.Port, result.Settings.EnvoyLogLevel, result.Settings.Region));
    }

    [Fact]
    public void A_bad_value_says_whether_it_came_from_the_config_file_the_environment_or_a_flag()
    {
        var files = new Dictionary<string, string> { ["/c.yaml"] = "port: high\nsidecar-cpu-requests: lots\nenvoy-log-level: loud\n" };
        var env = new Dictionary<string, string> { ["ENVOY_LOG_LEVEL"] = "shouty" };

        AssertErrors(Load([.. Required, "--config", "/c.yaml", "--sidecar-cpu-requests", "many"], env, files),
            "--port: 'high' is not a whole number (from config file '/c.yaml')",
            "--sidecar-cpu-requests: 'many' is not a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi",
            "--envoy-log-level: 'shouty' is not one of trace, debug, info, warning, error, critical, off (from environment variable ENVOY_LOG_LEVEL)");
    }

    [Fact]
    public void A_config_file_with_a_key_that_is_not_a_name_is_reported()
    {
        AssertErrors(Load([.. Required, "--config", "/c.yaml"], files: new() { ["/c.yaml"] = "port: 9443\n? [a, b]\n: 1\n" }),
            "config file '/c.yaml': keys must be flag names such as mesh-name (line 2)");
    }

    [Fact]
    public void Every_problem_is_reported_at_once_in_a_stable_order()
    {
        var result = Load(["--port=http", "--sidecar-image", "bad image", "--enable-jaeger-tracing", "--enable-xray-tracing", "--bogus"]);

        AssertErrors(result,
            "unknown flag '--bogus'",
            "--port: 'http' is not a whole number",
            "mesh name is required: pass --mesh-name or set APPMESH_NAME (or MESH_NAME)",
            "region is required: pass --region or set APPMESH_REGION (or AWS_REGION)",
            "at most one tracer may be enabled, but --enable-xray-tracing and --enable-jaeger-tracing are set",
            "--sidecar-image: 'bad image' is not a container image reference such as registry.example.com/envoy:v1.2.3");
    }

    [Fact]
    public void With_allowUnknownArgs_the_other_arguments_are_returned_in_order()
    {
        var result = Load(["inject", "-f", "pod.yaml", "--mesh-name", "demo", "--output=patch", "--region", "us-west-2", "--report", "-"], allowUnknownArgs: true);

        Assert.True(result.Ok);
        Assert.Equal(new InjectorSettings { MeshName = "demo", Region = "us-west-2" }, result.Settings);
        Assert.Equal(["inject", "-f", "pod.yaml", "--output=patch", "--report", "-"], result.RemainingArgs);
    }

    [Fact]
    public void Without_allowUnknownArgs_nothing_remains()
    {
        Assert.Empty(Load(Required).RemainingArgs);
    }

    [Fact]
    public void Describe_lists_config_first_and_every_flag_with_its_environment_variables()
    {
        var lines = SettingsLoader.Describe().ToList();

        Assert.Equal(("--config", "CONFIG"), (lines[0].Flag, lines[0].Env));
        Assert.Equal(("--mesh-name", "APPMESH_NAME, MESH_NAME"), (lines[1].Flag, lines[1].Env));
        Assert.Equal(("--region", "APPMESH_REGION, AWS_REGION"), (lines[2].Flag, lines[2].Env));
        Assert.Equal(("--port", "PORT"), (lines[3].Flag, lines[3].Env));
        Assert.Contains(("--api-timeout", "API_TIMEOUT"), lines.Select(l => (l.Flag, l.Env)));
        Assert.Contains(("--shutdown-delay", "SHUTDOWN_DELAY"), lines.Select(l => (l.Flag, l.Env)));
        Assert.Equal(44, lines.Count);
        Assert.Equal(lines.Count, lines.Select(l => l.Flag).Distinct().Count());
    }
}
