using Injector.Core.Settings;

namespace Injector.Configuration.Tests;

/// <summary>SPEC §7: a host's options from flags, environment variables and a YAML file, in that
/// precedence — only the options the host declares, only under the names they declare.</summary>
public class SettingsLoaderTests
{
    /// <summary>A host's own options beside the engine's, as the webhook has (port, shutdown delay).</summary>
    public sealed record ServerOptions
    {
        public int Port { get; init; } = 8443;
        public int ShutdownDelay { get; init; }
    }

    private static readonly OptionTable<ServerOptions> Server = new(
    [
        Option.Int<ServerOptions>("port", (o, v) => o with { Port = v }, "HTTPS port"),
        Option.Int<ServerOptions>("shutdown-delay", (o, v) => o with { ShutdownDelay = v }, "seconds"),
    ], o => o.Port is < 1 or > 65535 ? [$"--port: {o.Port} is not a port from 1 to 65535"] : []);

    private static readonly IOptionTable[] EngineAndServer = [EngineOptions.Table, Server];
    private static readonly string[] Required = ["--mesh-name", "demo", "--region", "us-west-2"];
    private static readonly Dictionary<string, string> NoEnv = [];

    private static SettingsResult Load(string[] args, Dictionary<string, string>? env = null, Dictionary<string, string>? files = null, bool allowUnknownArgs = false, IOptionTable[]? tables = null, string[]? otherHostOptions = null) =>
        SettingsLoader.Load(tables ?? EngineAndServer, args, env ?? NoEnv,
            path => files is not null && files.TryGetValue(path, out var text) ? text : throw new FileNotFoundException($"Could not find file '{path}'."),
            allowUnknownArgs, otherHostOptions);

    private static InjectorSettings LoadOk(string[] args, Dictionary<string, string>? env = null, Dictionary<string, string>? files = null)
    {
        var result = Load(args, env, files);
        Assert.Empty(result.Errors);
        Assert.True(result.Ok);
        return result.Get<InjectorSettings>();
    }

    private static void AssertErrors(SettingsResult result, params string[] expected)
    {
        Assert.False(result.Ok);
        Assert.Equal(expected, result.Errors);
    }

    [Fact]
    public void Each_table_gets_its_own_settings()
    {
        var result = Load([.. Required, "--port", "9443", "--envoy-log-level", "debug"]);

        Assert.Equal(new InjectorSettings { MeshName = "demo", Region = "us-west-2", EnvoyLogLevel = "debug" }, result.Get<InjectorSettings>());
        Assert.Equal(new ServerOptions { Port = 9443 }, result.Get<ServerOptions>());
    }

    [Fact]
    public void Flags_beat_environment_variables_which_beat_the_config_file()
    {
        var files = new Dictionary<string, string>
        {
            ["/etc/injector.yaml"] = "mesh-name: file-mesh\nregion: eu-west-1\nenvoy-log-level: debug\nport: 9443\nsidecar-cpu-limits: 1\n",
        };
        var env = new Dictionary<string, string> { ["APPMESH_NAME"] = "env-mesh", ["APPMESH_INJECT_ENVOY_LOG_LEVEL"] = "warning", ["APPMESH_INJECT_PORT"] = "10443" };

        var result = Load(["--config", "/etc/injector.yaml", "--mesh-name=flag-mesh", "--envoy-log-level", "error"], env, files);

        Assert.Equal(new InjectorSettings
        {
            MeshName = "flag-mesh",
            Region = "eu-west-1",
            EnvoyLogLevel = "error",
            SidecarCpuLimits = "1",
        }, result.Get<InjectorSettings>());
        Assert.Equal(new ServerOptions { Port = 10443 }, result.Get<ServerOptions>());
    }

    [Fact]
    public void The_config_file_may_come_from_the_APPMESH_INJECT_CONFIG_variable()
    {
        var files = new Dictionary<string, string> { ["/cfg.yaml"] = "mesh-name: demo\nregion: us-east-1\nenable-xray-tracing: true\n" };

        var result = Load([], new() { ["APPMESH_INJECT_CONFIG"] = "/cfg.yaml" }, files);

        Assert.Equal(new InjectorSettings { MeshName = "demo", Region = "us-east-1", EnableXrayTracing = true }, result.Get<InjectorSettings>());
        Assert.Equal("config file '/cfg.yaml'", result.Sources["region"]);
    }

    [Fact]
    public void Generic_variables_named_after_a_flag_are_not_read()
    {
        // Were CONFIG read, the file would be; it does not exist, so reading it would be an error.
        var env = new Dictionary<string, string>
        {
            ["PORT"] = "http",
            ["CONFIG"] = "/nonexistent.yaml",
            ["PREVIEW"] = "maybe",
            ["SHUTDOWN_DELAY"] = "soon",
            ["SIDECAR_IMAGE"] = "Not An Image",
            ["ENVOY_LOG_LEVEL"] = "loud",
            ["ENABLE_XRAY_TRACING"] = "yes",
            ["JAEGER_PORT"] = "tcp://10.0.0.9:9411",
        };

        var result = Load(Required, env);

        Assert.Empty(result.Errors);
        Assert.Equal(new InjectorSettings { MeshName = "demo", Region = "us-west-2" }, result.Get<InjectorSettings>());
        Assert.Equal(new ServerOptions(), result.Get<ServerOptions>());
        Assert.Equal(["flag --mesh-name", "flag --region"], result.Sources.Values.Order());
    }

    [Fact]
    public void The_variables_of_options_a_host_does_not_declare_are_not_read()
    {
        var env = new Dictionary<string, string> { ["APPMESH_INJECT_PORT"] = "http", ["APPMESH_INJECT_SHUTDOWN_DELAY"] = "soon", ["APPMESH_INJECT_SIDECAR_IMAGE"] = "registry.example.com/envoy:v2" };

        var result = Load(Required, env, tables: [EngineOptions.Table]);

        Assert.Empty(result.Errors);
        Assert.Equal("registry.example.com/envoy:v2", result.Get<InjectorSettings>().SidecarImage);
        Assert.Equal(["mesh-name", "region", "sidecar-image"], result.Sources.Keys.Order());
        Assert.Throws<InvalidOperationException>(() => result.Get<ServerOptions>());
    }

    [Fact]
    public void An_empty_config_file_changes_nothing()
    {
        Assert.Equal(new InjectorSettings { MeshName = "demo", Region = "us-west-2" },
            LoadOk([.. Required, "--config", "/empty.yaml"], files: new() { ["/empty.yaml"] = "" }));
    }

    [Theory]
    [InlineData("APPMESH_INJECT_MESH_NAME", "APPMESH_NAME", "a", "b", "a")]
    [InlineData("APPMESH_NAME", "MESH_NAME", "a", "b", "a")]
    [InlineData("MESH_NAME", null, "b", null, "b")]
    public void The_prefixed_mesh_name_variable_beats_APPMESH_NAME_which_beats_MESH_NAME(string first, string? second, string firstValue, string? secondValue, string expected)
    {
        var env = new Dictionary<string, string> { [first] = firstValue, ["AWS_REGION"] = "us-west-2" };
        if (second is not null) env[second] = secondValue!;

        Assert.Equal(expected, LoadOk([], env).MeshName);
    }

    [Fact]
    public void The_prefixed_region_variable_beats_APPMESH_REGION_which_beats_AWS_REGION()
    {
        var env = new Dictionary<string, string> { ["APPMESH_NAME"] = "demo", ["AWS_REGION"] = "us-east-1", ["APPMESH_REGION"] = "eu-central-1" };

        Assert.Equal("eu-central-1", LoadOk([], env).Region);
        Assert.Equal("us-east-1", LoadOk([], new() { ["APPMESH_NAME"] = "demo", ["AWS_REGION"] = "us-east-1" }).Region);
        Assert.Equal("ap-south-1", LoadOk([], new(env) { ["APPMESH_INJECT_REGION"] = "ap-south-1" }).Region);
    }

    [Fact]
    public void APPMESH_LOG_LEVEL_of_the_old_injector_sets_the_envoy_log_level()
    {
        var result = Load(Required, new() { ["APPMESH_LOG_LEVEL"] = "debug" });

        Assert.Equal("debug", result.Get<InjectorSettings>().EnvoyLogLevel);
        Assert.Equal("environment variable APPMESH_LOG_LEVEL", result.Sources["envoy-log-level"]);
        Assert.Equal("error", LoadOk(Required, new() { ["APPMESH_LOG_LEVEL"] = "debug", ["APPMESH_INJECT_ENVOY_LOG_LEVEL"] = "error" }).EnvoyLogLevel);
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
        { [], new() { ["APPMESH_NAME"] = "my.mesh", ["AWS_REGION"] = "us-west-2" }, ["--mesh-name: 'my.mesh' is not a valid App Mesh name (1 to 255 letters, digits, '-' or '_') (from environment variable APPMESH_NAME)"] },
        { [.. Required], new() { ["APPMESH_INJECT_ENABLE_XRAY_TRACING"] = "yes" }, ["--enable-xray-tracing: 'yes' is not 'true' or 'false' (from environment variable APPMESH_INJECT_ENABLE_XRAY_TRACING)"] },
        { [.. Required], new() { ["APPMESH_INJECT_PORT"] = "http" }, ["--port: 'http' is not a whole number (from environment variable APPMESH_INJECT_PORT)"] },
        { [.. Required, "--port", "70000"], new(), ["--port: 70000 is not a port from 1 to 65535"] },
        { [.. Required, "--mesh", "other"], new(), ["unknown flag '--mesh'; did you mean '--mesh-name'?"] },
        { [.. Required, "--enable-xray"], new(), ["unknown flag '--enable-xray'; did you mean '--enable-xray-tracing'?"] },
        { [.. Required, "--confg", "c.yaml"], new(), ["unknown flag '--confg'; did you mean '--config'?"] },
        { [.. Required, "--colour"], new(), ["unknown flag '--colour'"] },
        { [.. Required, "extra"], new(), ["unexpected argument 'extra'"] },
        { ["--mesh-name", "demo", "--region"], new(), ["flag '--region' needs a value", "region is required: pass --region or set APPMESH_REGION (or AWS_REGION)"] },
        { ["--region", "us-west-2", "--mesh-name", "--port", "9443"], new(), ["flag '--mesh-name' needs a value", "mesh name is required: pass --mesh-name or set APPMESH_NAME (or MESH_NAME)"] },
    };

    [Theory]
    [MemberData(nameof(StartupErrors))]
    public void A_bad_configuration_is_refused_with_an_exact_message(string[] args, Dictionary<string, string> env, string[] expected)
    {
        AssertErrors(Load(args, env), expected);
    }

    [Fact]
    public void A_service_link_variable_read_as_a_port_says_where_it_comes_from()
    {
        var env = new Dictionary<string, string> { ["APPMESH_INJECT_PORT"] = "tcp://10.100.0.1:443", ["APPMESH_INJECT_JAEGER_PORT"] = "tcp://10.100.0.2:9411" };

        AssertErrors(Load(Required, env),
            "--jaeger-port: 'tcp://10.100.0.2:9411' is not a whole number (from environment variable APPMESH_INJECT_JAEGER_PORT, which Kubernetes sets for a Service named appmesh-inject-jaeger: set enableServiceLinks: false in the pod spec)",
            "--port: 'tcp://10.100.0.1:443' is not a whole number (from environment variable APPMESH_INJECT_PORT, which Kubernetes sets for a Service named appmesh-inject: set enableServiceLinks: false in the pod spec)");
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
    public void Keys_of_another_hosts_options_in_a_shared_config_file_are_skipped_only_when_named()
    {
        var files = new Dictionary<string, string> { ["/c.yaml"] = "mesh-name: demo\nregion: us-west-2\nport: 8443\nshutdown-delay: 5\n" };

        var shared = Load(["--config", "/c.yaml"], files: files, tables: [EngineOptions.Table], otherHostOptions: ["port", "shutdown-delay"]);
        var alone = Load(["--config", "/c.yaml"], files: files, tables: [EngineOptions.Table]);

        Assert.Empty(shared.Errors);
        Assert.Equal(["mesh-name", "region"], shared.Sources.Keys.Order());
        Assert.Equal(
            ["config file '/c.yaml': unknown key 'port'", "config file '/c.yaml': unknown key 'shutdown-delay'"],
            alone.Errors);
    }

    [Fact]
    public void A_config_file_that_is_not_YAML_is_reported_with_the_position()
    {
        AssertErrors(Load([.. Required, "--config", "/c.yaml"], files: new() { ["/c.yaml"] = "mesh-name: demo\nregion: [us-west-2\n" }),
            "config file '/c.yaml' is not valid YAML (line 3, column 1): While parsing a flow sequence, did not find expected ',' or ']'.");
    }

    [Fact]
    public void A_config_file_nested_deeper_than_a_flag_map_can_be_is_reported_not_a_stack_overflow()
    {
        // 100,000 levels ended the process with a stack overflow in YamlDotNet's loader.
        var deep = "mesh-name: " + new string('[', 100_000) + new string(']', 100_000) + "\n";
        AssertErrors(Load([.. Required, "--config", "/c.yaml"], files: new() { ["/c.yaml"] = deep }),
            "config file '/c.yaml' is not valid YAML (line 1, column 75): nested more than 64 deep, where each flag name takes one value");
        AssertErrors(Load([.. Required, "--config", "/c.yaml"], files: new() { ["/c.yaml"] = "mesh-name: [[[demo]]]\n" }),
            "config file '/c.yaml': 'mesh-name' must be a single value");
    }

    [Fact]
    public void A_config_file_that_ends_inside_a_flow_mapping_is_reported_not_thrown()
    {
        AssertErrors(Load([.. Required, "--config", "/c.yaml"], files: new() { ["/c.yaml"] = "mesh-name: demo\nsidecar: {image: x\nregion: [\n" }),
            "config file '/c.yaml' is not valid YAML: it ends before a flow mapping or sequence ({ … } or [ … ]) is closed");
    }

    /// <summary>YamlDotNet's loader threw an ArgumentException (a stack trace, no position) on a nested mapping whose
    /// first entry has nothing before its ':'.</summary>
    [Fact]
    public void A_config_file_with_an_entry_without_a_key_is_reported_with_the_position_not_thrown()
    {
        AssertErrors(Load([.. Required, "--config", "/c.yaml"], files: new() { ["/c.yaml"] = "mesh-name: demo\nsidecar:\n  : x\n" }),
            "config file '/c.yaml' is not valid YAML (line 3, column 4): While parsing a block mapping, did not find expected key.");
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
        var env = new Dictionary<string, string> { ["APPMESH_INJECT_ENVOY_LOG_LEVEL"] = "error", ["AWS_REGION"] = "eu-west-1" };

        var result = Load(["--mesh-name", "demo", "--config", "/c.yaml", "--envoy-log-level", "warning"], env, files);

        Assert.Equal(new Dictionary<string, string>
        {
            ["port"] = "config file '/c.yaml'",
            ["envoy-log-level"] = "flag --envoy-log-level",
            ["region"] = "environment variable AWS_REGION",
            ["mesh-name"] = "flag --mesh-name",
        }, result.Sources);
        Assert.Equal((9443, "warning", "eu-west-1"), (result.Get<ServerOptions>().Port, result.Get<InjectorSettings>().EnvoyLogLevel, result.Get<InjectorSettings>().Region));
    }

    [Fact]
    public void A_bad_value_says_whether_it_came_from_the_config_file_the_environment_or_a_flag()
    {
        var files = new Dictionary<string, string> { ["/c.yaml"] = "port: high\nsidecar-cpu-requests: lots\nenvoy-log-level: loud\n" };
        var env = new Dictionary<string, string> { ["APPMESH_INJECT_ENVOY_LOG_LEVEL"] = "shouty" };

        AssertErrors(Load([.. Required, "--config", "/c.yaml", "--sidecar-cpu-requests", "many"], env, files),
            "--port: 'high' is not a whole number (from config file '/c.yaml')",
            "--sidecar-cpu-requests: 'many' is not a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi",
            "--envoy-log-level: 'shouty' is not one of trace, debug, info, warning, warn, error, critical, off (from environment variable APPMESH_INJECT_ENVOY_LOG_LEVEL)");
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
        var result = Load(["--port=http", "--sidecar-image", "bad image", "--enable-jaeger-tracing", "--enable-xray-tracing", "--bogus", "--shutdown-delay", "later"]);

        AssertErrors(result,
            "unknown flag '--bogus'",
            "--port: 'http' is not a whole number",
            "--shutdown-delay: 'later' is not a whole number",
            "mesh name is required: pass --mesh-name or set APPMESH_NAME (or MESH_NAME)",
            "region is required: pass --region or set APPMESH_REGION (or AWS_REGION)",
            "at most one tracer may be enabled, but --enable-xray-tracing and --enable-jaeger-tracing are set",
            "--sidecar-image: 'bad image' is not a container image reference such as registry.example.com/envoy:v1.2.3");
        var error = Assert.Throws<InvalidOperationException>(() => result.Get<InjectorSettings>());
        Assert.StartsWith("invalid configuration:\n  unknown flag '--bogus'\n", error.Message);
    }

    [Fact]
    public void With_allowUnknownArgs_the_other_arguments_are_returned_in_order()
    {
        var result = Load(["inject", "-f", "pod.yaml", "--mesh-name", "demo", "--output=patch", "--region", "us-west-2", "--report", "-"], allowUnknownArgs: true);

        Assert.True(result.Ok);
        Assert.Equal(new InjectorSettings { MeshName = "demo", Region = "us-west-2" }, result.Get<InjectorSettings>());
        Assert.Equal(["inject", "-f", "pod.yaml", "--output=patch", "--report", "-"], result.RemainingArgs);
    }

    [Fact]
    public void Without_allowUnknownArgs_nothing_remains()
    {
        Assert.Empty(Load(Required).RemainingArgs);
    }

    [Fact]
    public void Describe_lists_config_first_then_every_option_of_each_table_with_its_environment_variables()
    {
        var lines = SettingsLoader.Describe(EngineAndServer).Select(l => (l.Flag, l.Env)).ToList();

        Assert.Equal(("--config", "APPMESH_INJECT_CONFIG"), lines[0]);
        Assert.Equal(("--mesh-name", "APPMESH_INJECT_MESH_NAME, APPMESH_NAME, MESH_NAME"), lines[1]);
        Assert.Equal(("--region", "APPMESH_INJECT_REGION, APPMESH_REGION, AWS_REGION"), lines[2]);
        Assert.Contains(("--envoy-log-level", "APPMESH_INJECT_ENVOY_LOG_LEVEL, APPMESH_LOG_LEVEL"), lines);
        Assert.Equal([("--port", "APPMESH_INJECT_PORT"), ("--shutdown-delay", "APPMESH_INJECT_SHUTDOWN_DELAY")], lines[^2..]);
        Assert.Equal(1 + EngineOptions.Table.Options.Count + 2, lines.Count);
        Assert.Equal(lines.Count, lines.Select(l => l.Flag).Distinct().Count());
    }

    [Fact]
    public void Two_tables_declaring_the_same_option_are_a_programming_error()
    {
        var clash = new OptionTable<ServerOptions>([Option.Int<ServerOptions>("region", (o, v) => o with { Port = v }, "")], _ => []);

        var error = Assert.Throws<ArgumentException>(() => SettingsLoader.Load([EngineOptions.Table, clash], Required, NoEnv));
        Assert.StartsWith("option 'region' is declared twice", error.Message);
    }

    // ---- the App Mesh controller's flag names (pkg/inject/config.go) --------------------------------

    [Fact]
    public void The_controllers_flag_names_are_aliases_of_ours_on_the_command_line_and_in_the_config_file()
    {
        var settings = LoadOk([.. Required, "--sidecar-log-level", "debug", "--envoy-admin-access-port=9902", "--xray-config-roleArn", "arn:aws:iam::123456789012:role/x"]);
        var fromFile = LoadOk(["--config", "c.yaml", "--mesh-name", "demo"], files: new() { ["c.yaml"] = "aws-region: eu-west-1\nsidecar-log-level: warning\n" });

        Assert.Equal(("debug", 9902, "arn:aws:iam::123456789012:role/x"), (settings.EnvoyLogLevel, settings.EnvoyAdminPort, settings.XrayConfigRoleArn));
        Assert.Equal(("eu-west-1", "warning"), (fromFile.Region, fromFile.EnvoyLogLevel));
    }

    [Fact]
    public void A_bad_value_under_the_controllers_flag_name_says_it_was_given_so()
    {
        AssertErrors(Load([.. Required, "--sidecar-log-level", "chatty"]),
            "--envoy-log-level: 'chatty' is not one of trace, debug, info, warning, warn, error, critical, off (given as --sidecar-log-level)");
    }

    [Fact]
    public void An_alias_and_its_flag_both_given_count_as_one_option_and_the_last_wins()
    {
        var settings = LoadOk([.. Required, "--envoy-admin-port", "9902", "--envoy-admin-access-port", "9903"]);

        Assert.Equal(9903, settings.EnvoyAdminPort);
    }

    [Fact]
    public void The_sidecar_image_repository_and_tag_flags_each_replace_their_part_of_the_image()
    {
        // The controller's chart passes --sidecar-image-repository and --sidecar-image-tag; older charts --sidecar-image.
        Assert.Equal("registry.example.com/envoy:v1.34.13.3-prod", LoadOk([.. Required, "--sidecar-image-repository", "registry.example.com/envoy"]).SidecarImage);
        Assert.Equal("public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29.6.0-prod", LoadOk([.. Required, "--sidecar-image-tag", "v1.29.6.0-prod"]).SidecarImage);
        Assert.Equal("localhost:5000/envoy:dev", LoadOk([.. Required, "--sidecar-image-tag", "dev", "--sidecar-image-repository", "localhost:5000/envoy"]).SidecarImage);
        Assert.Equal("mirror.example.com/envoy:v2", LoadOk([.. Required, "--sidecar-image", "mirror.example.com/envoy@sha256:" + new string('a', 64), "--sidecar-image-tag", "v2"]).SidecarImage);
    }

    [Fact]
    public void An_unknown_flag_close_to_a_controller_name_is_suggested()
    {
        AssertErrors(Load([.. Required, "--sidecar-log-levl", "debug"]), "unknown flag '--sidecar-log-levl'; did you mean '--sidecar-log-level'?");
    }

    [Fact]
    public void Help_names_each_alias_beside_its_option()
    {
        var line = SettingsLoader.Describe([EngineOptions.Table]).Single(d => d.Flag == "--envoy-log-level");

        Assert.EndsWith("(also --sidecar-log-level, the App Mesh controller's name)", line.Help);
    }

    // Issue 13 B.4: no configuration value carries a control character into a pod.
    [Fact]
    public void A_value_with_a_control_character_is_refused()
    {
        AssertErrors(Load(Required, new() { ["APPMESH_INJECT_JAEGER_ADDRESS"] = "jaeger\u0007.svc" }),
            "--jaeger-address: 'jaeger\\u0007.svc' contains a control character (from environment variable APPMESH_INJECT_JAEGER_ADDRESS)");
    }
}
