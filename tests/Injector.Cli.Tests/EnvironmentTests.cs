using System.Text.Json.Nodes;
using Injector.Core.Settings;

namespace Injector.Cli.Tests;

/// <summary>The command reads the engine's options and nothing else: only APPMESH_INJECT_* variables and
/// the documented aliases, never a generic word from the user's shell, and never the webhook's options.</summary>
public sealed class EnvironmentTests
{
    private const string Pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  containers:\n  - name: app\n    image: example.com/app:1\n    ports:\n    - containerPort: 8080\n";

    private static readonly string[] InjectArgs = ["inject", "-f", "-", "--mesh-name", "m", "--region", "r"];

    private static CliResult Inject(Dictionary<string, string> environment) => Cli.RunWith(environment, Pod, InjectArgs);

    [Theory]
    [InlineData("PORT", "http")]
    [InlineData("CONFIG", "/nonexistent/config.yaml")]
    [InlineData("PREVIEW", "maybe")]
    [InlineData("SHUTDOWN_DELAY", "soon")]
    [InlineData("SIDECAR_IMAGE", "Not An Image")]
    [InlineData("ENVOY_LOG_LEVEL", "loud")]
    public void A_generic_variable_in_the_shell_changes_nothing(string name, string value)
    {
        var without = Inject([]);

        var with = Inject(new() { [name] = value });

        Assert.Equal(0, without.ExitCode);
        Assert.Equal(without, with);
    }

    [Fact]
    public void The_webhooks_own_variables_are_not_read_by_the_command()
    {
        var without = Inject([]);

        var with = Inject(new()
        {
            ["APPMESH_INJECT_PORT"] = "http",
            ["APPMESH_INJECT_TLS_CERT_FILE"] = "/nonexistent/tls.crt",
            ["APPMESH_INJECT_KUBECONFIG"] = "/nonexistent",
            ["APPMESH_INJECT_WEBHOOK_CONFIG_NAME"] = "x",
            ["APPMESH_INJECT_SHUTDOWN_DELAY"] = "soon",
            ["APPMESH_INJECT_API_TIMEOUT"] = "never",
        });

        Assert.Equal(0, without.ExitCode);
        Assert.Equal(without, with);
    }

    [Fact]
    public void APPMESH_INJECT_SIDECAR_IMAGE_sets_the_envoy_image_and_explain_names_it_as_the_source()
    {
        var env = new Dictionary<string, string> { ["APPMESH_INJECT_SIDECAR_IMAGE"] = "x/envoy:1" };

        var injected = Cli.RunWith(env, Pod, [.. InjectArgs, "-q", "-o", "json"]);
        var explained = Cli.RunWith(env, Pod, "explain", "-f", "-", "--mesh-name", "m", "--region", "r");

        Assert.Equal((0, ""), (injected.ExitCode, injected.Stderr));
        var envoy = JsonNode.Parse(injected.Stdout)!["spec"]!["containers"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == "envoy")!;
        Assert.Equal("x/envoy:1", envoy["image"]!.GetValue<string>());
        Assert.Equal(0, explained.ExitCode);
        Assert.Matches(@"^    envoy image +x/envoy:1 +\(environment variable APPMESH_INJECT_SIDECAR_IMAGE\)$",
            explained.Stdout.Split('\n').Single(l => l.StartsWith("    envoy image ", StringComparison.Ordinal)));
    }

    [Fact]
    public void The_config_file_may_be_named_by_APPMESH_INJECT_CONFIG_and_keys_of_the_webhooks_options_in_it_are_skipped()
    {
        using var dir = new TempDir("cli");
        // A file shared with the webhook: its serving keys mean nothing offline and are not errors.
        var config = dir.Write("config.yaml", "sidecar-image: registry.example.com/envoy:v3\nport: 8443\ntls-cert-file: /tls/tls.crt\ntls-key-file: /tls/tls.key\nshutdown-delay: 5\n");

        var result = Cli.RunWith(new() { ["APPMESH_INJECT_CONFIG"] = config }, Pod, "explain", "-f", "-", "--mesh-name", "m", "--region", "r");

        Assert.Equal((0, ""), (result.ExitCode, result.Stderr));
        Assert.Matches(@"^    envoy image +registry\.example\.com/envoy:v3 +\(config file '.*/config\.yaml'\)$",
            result.Stdout.Split('\n').Single(l => l.StartsWith("    envoy image ", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("--port", "8443")]
    [InlineData("--port=8443", null)]
    [InlineData("--tls-cert-file", "x")]
    [InlineData("--api-timeout", "2s")]
    [InlineData("--shutdown-delay", "5")]
    public void A_webhook_flag_is_refused_with_one_line_that_says_so(string flag, string? value)
    {
        string[] args = value is null ? [.. InjectArgs, flag] : [.. InjectArgs, flag, value];
        var name = flag.Split('=')[0];

        var result = Cli.Run(Pod, args);

        Assert.Equal(
            (2, "", $"appmesh-inject: {name} is a flag of the webhook (serving, TLS, cluster access); appmesh-inject inject does not take it\n"),
            (result.ExitCode, result.Stdout, result.Stderr));
    }

    [Fact]
    public void Explain_refuses_a_webhook_flag_the_same_way()
    {
        var result = Cli.Run(Pod, "explain", "-f", "-", "--mesh-name", "m", "--region", "r", "--port", "8443");

        Assert.Equal((2, "appmesh-inject: --port is a flag of the webhook (serving, TLS, cluster access); appmesh-inject explain does not take it\n"), (result.ExitCode, result.Stderr));
    }

    [Fact]
    public void Help_lists_only_the_engines_options_with_their_environment_variables()
    {
        var help = Cli.Run(null, "inject", "--help");
        var flags = help.Stdout.Split('\n')
            .SkipWhile(l => !l.StartsWith("Engine settings", StringComparison.Ordinal))
            .Where(l => l.StartsWith("  --", StringComparison.Ordinal))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0])
            .ToList();

        Assert.Equal(0, help.ExitCode);
        Assert.Equal(["--config", .. EngineOptions.Table.Options.Select(o => "--" + o.Name)], flags);
        Assert.Contains(" [env APPMESH_INJECT_SIDECAR_IMAGE]\n", help.Stdout);
        Assert.Contains(" [env APPMESH_INJECT_REGION, APPMESH_REGION, AWS_REGION]\n", help.Stdout);
        // The webhook's serving options are not listed (--kubeconfig and --webhook-config-name are inject's own, for reading the cluster).
        Assert.All(CliApp.WebhookFlags.Except(["kubeconfig", "webhook-config-name"]), name => Assert.DoesNotContain($"--{name} ", help.Stdout));
        Assert.DoesNotContain("APPMESH_INJECT_FAILURE_POLICY", help.Stdout);
        Assert.DoesNotContain("APPMESH_INJECT_METRICS_PORT", help.Stdout);
        Assert.DoesNotContain("APPMESH_INJECT_PORT", help.Stdout);
    }
}
