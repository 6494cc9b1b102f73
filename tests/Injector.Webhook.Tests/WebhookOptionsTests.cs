using Injector.Core.Settings;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Injector.Webhook.Tests;

/// <summary>The webhook's own options (serving, TLS, cluster access, lifecycle): read beside the engine's,
/// only under APPMESH_INJECT_* names, never from a generic variable such as PORT.</summary>
public sealed class WebhookOptionsTests
{
    private static readonly string[] Required = ["--mesh-name", "demo", "--region", "us-west-2"];
    private static readonly Dictionary<string, string> NoEnvironment = [];

    private static WebhookOptions Options(string[] args, Dictionary<string, string>? environment = null)
    {
        var loaded = WebhookHost.LoadOptions(args, environment ?? NoEnvironment);
        Assert.Empty(loaded.Errors);
        return loaded.Get<WebhookOptions>();
    }

    private static IReadOnlyList<string> Errors(string[] args, Dictionary<string, string>? environment = null) =>
        WebhookHost.LoadOptions(args, environment ?? NoEnvironment).Errors;

    [Theory]
    [InlineData("2s", 2000)]
    [InlineData("500ms", 500)]
    [InlineData("1.5s", 1500)]
    [InlineData("3", 3000)]
    public void The_api_timeout_is_read_as_a_duration(string value, int milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), Options([.. Required, "--api-timeout", value]).ApiTimeout);

    [Fact]
    public void The_api_timeout_defaults_to_two_seconds_and_is_read_from_APPMESH_INJECT_API_TIMEOUT_only() =>
        Assert.Equal(
            (TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(750), TimeSpan.FromSeconds(2)),
            (Options(Required).ApiTimeout,
             Options(Required, new() { ["APPMESH_INJECT_API_TIMEOUT"] = "750ms" }).ApiTimeout,
             Options(Required, new() { ["API_TIMEOUT"] = "750ms" }).ApiTimeout));

    [Theory]
    [InlineData("soon")]
    [InlineData("0s")]
    [InlineData("2m")]
    [InlineData("90s")]
    [InlineData("0.5ms")]
    [InlineData("0.0000000001s")]
    public void A_bad_api_timeout_is_a_clear_error(string value) =>
        Assert.Equal([$"--api-timeout: '{value}' is not a duration from 1ms to 60s, such as 2s or 500ms"], Errors([.. Required, "--api-timeout", value]));

    [Fact]
    public void The_defaults_serve_on_8443_with_a_generated_certificate_and_no_cluster_settings()
    {
        Assert.Equal(
            new WebhookOptions { Port = 8443, TlsCertFile = null, TlsKeyFile = null, Kubeconfig = null, WebhookConfigName = null, ApiTimeout = TimeSpan.FromSeconds(2), ShutdownDelay = 0, MetricsPort = null, FailurePolicy = FailurePolicyMode.Fail },
            Options(Required));
        Assert.Equal(0, Options([.. Required, "--port", "0"]).Port);
    }

    [Theory]
    [InlineData(new[] { "--port", "70000" }, "--port: 70000 is not a port from 1 to 65535")]
    [InlineData(new[] { "--port", "http" }, "--port: 'http' is not a whole number")]
    [InlineData(new[] { "--shutdown-delay", "61" }, "--shutdown-delay: 61 must be from 0 to 60 seconds")]
    [InlineData(new[] { "--shutdown-delay", "99999999999" }, "--shutdown-delay: 99999999999 is far too large")]
    [InlineData(new[] { "--shutdown-delay", "-5" }, "--shutdown-delay: '-5' is not a whole number")]
    [InlineData(new[] { "--tls-cert-file", "/tls/tls.crt" }, "--tls-cert-file and --tls-key-file must be given together")]
    [InlineData(new[] { "--tls-key-file", "/tls/tls.key" }, "--tls-cert-file and --tls-key-file must be given together")]
    [InlineData(new[] { "--metrics-port", "65536" }, "--metrics-port: 65536 is not a port from 1 to 65535")]
    [InlineData(new[] { "--metrics-port", "8443" }, "--metrics-port: 8443 is the HTTPS port (--port) too; give the plain-HTTP port its own number")]
    [InlineData(new[] { "--failure-policy", "fail" }, "--failure-policy: 'fail' is not Fail or Ignore (the MutatingWebhookConfiguration's values, same case)")]
    public void A_bad_webhook_option_is_refused_with_an_exact_message(string[] args, string expected) =>
        Assert.Equal([expected], Errors([.. Required, .. args]));

    [Fact]
    public void Each_webhook_option_reads_its_APPMESH_INJECT_variable_and_kubeconfig_also_KUBECONFIG()
    {
        Assert.Equal(
            ["APPMESH_INJECT_PORT", "APPMESH_INJECT_TLS_CERT_FILE", "APPMESH_INJECT_TLS_KEY_FILE", "APPMESH_INJECT_KUBECONFIG,KUBECONFIG", "APPMESH_INJECT_WEBHOOK_CONFIG_NAME", "APPMESH_INJECT_SHUTDOWN_DELAY", "APPMESH_INJECT_METRICS_PORT", "APPMESH_INJECT_FAILURE_POLICY", "APPMESH_INJECT_API_TIMEOUT", "APPMESH_INJECT_TLS_MIN_VERSION", "APPMESH_INJECT_TLS_CIPHER_SUITE"],
            WebhookOptions.Table.Options.Select(o => string.Join(',', o.EnvNames)));
        var env = new Dictionary<string, string>
        {
            ["APPMESH_INJECT_PORT"] = "9443",
            ["APPMESH_INJECT_TLS_CERT_FILE"] = "/tls/tls.crt",
            ["APPMESH_INJECT_TLS_KEY_FILE"] = "/tls/tls.key",
            ["APPMESH_INJECT_KUBECONFIG"] = "/kube/config",
            ["APPMESH_INJECT_WEBHOOK_CONFIG_NAME"] = "appmesh-inject",
            ["APPMESH_INJECT_SHUTDOWN_DELAY"] = "5",
            ["APPMESH_INJECT_METRICS_PORT"] = "8080",
            ["APPMESH_INJECT_FAILURE_POLICY"] = "Ignore",
        };
        Assert.Equal(
            new WebhookOptions { Port = 9443, TlsCertFile = "/tls/tls.crt", TlsKeyFile = "/tls/tls.key", Kubeconfig = "/kube/config", WebhookConfigName = "appmesh-inject", ShutdownDelay = 5, MetricsPort = 8080, FailurePolicy = FailurePolicyMode.Ignore },
            Options(Required, env));
    }

    [Fact]
    public void APPMESH_INJECT_PORT_that_is_not_a_number_stops_the_build_with_the_exact_message()
    {
        var error = Assert.Throws<ConfigurationException>(() => WebhookHost.Build(Required, new Dictionary<string, string> { ["APPMESH_INJECT_PORT"] = "http" }));

        Assert.Equal(["--port: 'http' is not a whole number (from environment variable APPMESH_INJECT_PORT)"], error.Errors);
    }

    [Fact]
    public async Task Generic_variables_such_as_PORT_change_nothing_in_the_webhook()
    {
        var env = new Dictionary<string, string>
        {
            ["PORT"] = "http",
            ["CONFIG"] = "/nonexistent.yaml",
            ["PREVIEW"] = "maybe",
            ["SHUTDOWN_DELAY"] = "soon",
            ["SIDECAR_IMAGE"] = "Not An Image",
            ["MESH_NAME"] = "demo",
            ["AWS_REGION"] = "us-west-2",
        };

        await using var app = WebhookHost.Build([], env, b => b.WebHost.UseTestServer());

        Assert.Equal(new WebhookOptions(), app.Services.GetRequiredService<WebhookOptions>());
        Assert.Equal(new InjectorSettings { MeshName = "demo", Region = "us-west-2" }, app.Services.GetRequiredService<InjectorSettings>());
    }

    [Fact]
    public void The_process_exits_with_code_2_when_APPMESH_INJECT_PORT_is_not_a_number_and_ignores_PORT()
    {
        var (code, stdout, stderr) = RunWebhook(["--mesh-name", "demo", "--region", "us-west-2"], new() { ["APPMESH_INJECT_PORT"] = "http", ["PORT"] = "also-not-a-port" });

        Assert.Equal((2, ""), (code, stdout));
        Assert.Equal(
            ["""{"level":"critical","category":"Injector.Webhook","message":"invalid configuration: --port: 'http' is not a whole number (from environment variable APPMESH_INJECT_PORT)","problems":"--port: 'http' is not a whole number (from environment variable APPMESH_INJECT_PORT)","errors":["--port: 'http' is not a whole number (from environment variable APPMESH_INJECT_PORT)"]}"""],
            LogLines.Untimed(stderr));
    }

    /// <summary>Each ended the process with an unhandled exception and a stack trace (exit 134). {0} is the file's path.</summary>
    [Theory]
    [InlineData("apiVersion: v1\nkind: [Config\n", "{0} is not a kubeconfig: line 3, column 1: While parsing a flow sequence, did not find expected ',' or ']'.")]
    [InlineData("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:1', certificate-authority-data: '!!!'}\n" +
        "users:\n- name: u\n  user: {token: t}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n",
        "a certificate-authority-data, client-certificate-data or client-key-data field is not valid base64")]
    public void A_kubeconfig_that_cannot_be_used_ends_the_process_with_code_2_and_one_line_that_says_why(string kubeconfig, string why)
    {
        using var dir = new TempDir("kubeconfig");
        var path = dir.Write("config", kubeconfig);

        var (code, stdout, stderr) = RunWebhook(["--mesh-name", "demo", "--region", "us-west-2"], new() { ["KUBECONFIG"] = path });

        var problem = $"cannot read the Kubernetes configuration '{path}': {string.Format(System.Globalization.CultureInfo.InvariantCulture, why, path)}";
        Assert.Equal((2, ""), (code, stdout));
        Assert.Equal(
            [$$"""{"level":"critical","category":"Injector.Webhook","message":"invalid configuration: {{problem}}","problems":"{{problem}}","errors":["{{problem}}"]}"""],
            LogLines.Untimed(stderr));
    }

    [Fact]
    public void Help_lists_the_engines_and_the_webhooks_options_with_their_environment_variables()
    {
        var (code, stdout, _) = RunWebhook(["--help"], []);
        var flags = stdout.Split('\n').Where(l => l.StartsWith("  --", StringComparison.Ordinal)).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]).ToList();

        Assert.Equal(0, code);
        Assert.Equal(WebhookHost.Help(), stdout);
        Assert.Equal(
            ["--config", .. EngineOptions.Table.Options.Select(o => "--" + o.Name), .. WebhookOptions.Table.Options.Select(o => "--" + o.Name)],
            flags);
        Assert.Contains("  --port                               [APPMESH_INJECT_PORT] HTTPS port the webhook listens on (default 8443; 0 picks a free port)\n", stdout);
        Assert.Contains("  --mesh-name                          [APPMESH_INJECT_MESH_NAME, APPMESH_NAME, MESH_NAME] ", stdout);
    }

    /// <summary>The published webhook as a process, with only these variables besides the machine's
    /// basics (no APPMESH_* or mesh settings leak in from the machine running the tests).</summary>
    private static (int Code, string Stdout, string Stderr) RunWebhook(string[] args, Dictionary<string, string> environment)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "appmesh-inject-webhook.dll");
        var env = new Dictionary<string, string?>();
        foreach (var name in Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(k => k.StartsWith("APPMESH_", StringComparison.Ordinal) || k is "MESH_NAME" or "AWS_REGION"))
            env[name] = null;
        foreach (var (name, value) in environment) env[name] = value;

        var result = ProcessRunner.Run("dotnet", [dll, .. args], env, timeout: TimeSpan.FromSeconds(60));
        return (result.ExitCode, result.StdOut, result.StdErr);
    }
}
