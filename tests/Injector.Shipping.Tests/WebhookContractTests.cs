using System.Text.Json;
using Injector.Core.Settings;
using Injector.Webhook;

namespace Injector.Shipping.Tests;

/// <summary>What the chart and certs/ hand the webhook is what the webhook accepts.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class WebhookContractTests : IDisposable
{
    private static readonly Dictionary<string, string> NoEnvironment = new();
    private readonly TempDir _temp = new("contract");
    private string Dir => _temp.Path;

    /// <summary>The chart's arguments read as the webhook reads them: through its option tables.</summary>
    private static (InjectorSettings Engine, WebhookOptions Webhook) Load(IList<string> args)
    {
        var result = WebhookHost.LoadOptions(args.ToList(), NoEnvironment);
        Assert.True(result.Ok, string.Join("\n", result.Errors));
        return (result.Get<InjectorSettings>(), result.Get<WebhookOptions>());
    }

    private static string Json<T>(T value) => JsonSerializer.Serialize(value);

    [Fact]
    public void Default_chart_flags_change_only_mesh_region_certificate_files_metrics_port_and_shutdown_delay()
    {
        var (engine, webhook) = Load(Helm.Render().Container.Args);

        Assert.Equal(Json(new InjectorSettings { MeshName = "demo", Region = "us-west-2" }), Json(engine));
        Assert.Equal(Json(new WebhookOptions
        {
            TlsCertFile = "/etc/appmesh-inject/tls/tls.crt",
            TlsKeyFile = "/etc/appmesh-inject/tls/tls.key",
            ShutdownDelay = 5,
            MetricsPort = 8080,
            FailurePolicy = FailurePolicyMode.Fail,
        }), Json(webhook));
    }

    [Fact]
    public void Every_chart_setting_is_a_flag_the_webhook_understands()
    {
        var (engine, webhook) = Load(Helm.Render(
            "--set", "mesh.name=bookinfo", "--set", "region=eu-west-1", "--set", "injectDefault=false", "--set", "shutdownDelaySeconds=3",
            "--set", "sidecar.mode=native", "--set", "sidecar.logLevel=debug", "--set", "sidecar.preview=true", "--set", "sidecar.preStopDelay=5",
            "--set", "sidecar.envoyAdminPort=9902", "--set", "sidecar.image.tag=v1.2.3",
            "--set", "sidecar.resources.limits.cpu=200m", "--set", "sidecar.resources.limits.memory=128Mi",
            "--set", "init.resources.limits.cpu=100m", "--set", "init.resources.limits.memory=64Mi", "--set", "init.ignoredIPs=169.254.169.254\\,10.0.0.1",
            "--set", "enableIAMForServiceAccounts=false", "--set", "enableECRSecret=true",
            "--set", "tracing.provider=jaeger", "--set", "tracing.jaeger.port=9412",
            "--set", "stats.tags=true", "--set", "stats.statsd.enabled=true", "--set", "stats.statsd.port=8200",
            "--set", "webhook.patchCaBundle=true", "--set", "containerPort=9443", "--set", "metrics.port=9090", "--set", "webhook.failurePolicy=Ignore").Container.Args);

        Assert.Equal(Json(new WebhookOptions
        {
            Port = 9443,
            TlsCertFile = "/etc/appmesh-inject/tls/tls.crt",
            TlsKeyFile = "/etc/appmesh-inject/tls/tls.key",
            WebhookConfigName = "appmesh-inject",
            ShutdownDelay = 3,
            MetricsPort = 9090,
            FailurePolicy = FailurePolicyMode.Ignore,
        }), Json(webhook));
        var expected = new InjectorSettings
        {
            MeshName = "bookinfo",
            Region = "eu-west-1",
            InjectDefault = false,
            SidecarMode = SidecarMode.Native,
            SidecarImage = "public.ecr.aws/appmesh/aws-appmesh-envoy:v1.2.3",
            SidecarCpuLimits = "200m",
            SidecarMemoryLimits = "128Mi",
            InitCpuLimits = "100m",
            InitMemoryLimits = "64Mi",
            IgnoredIps = "169.254.169.254,10.0.0.1",
            EnvoyAdminPort = 9902,
            EnvoyLogLevel = "debug",
            Preview = true,
            PrestopDelay = 5,
            EnableIamForServiceAccounts = false,
            EnableEcrSecret = true,
            EnableJaegerTracing = true,
            JaegerPort = 9412,
            EnableStatsTags = true,
            EnableStatsD = true,
            StatsDPort = 8200,
        };
        Assert.Equal(Json(expected), Json(engine));
    }

    [Theory]
    [InlineData("xray")]
    [InlineData("datadog")]
    public void Each_tracer_choice_loads_as_that_one_tracer(string provider)
    {
        var (engine, _) = Load(Helm.Render("--set", $"tracing.provider={provider}").Container.Args);

        Assert.Equal(provider == "xray" ? Tracer.XRay : Tracer.Datadog, engine.Tracer);
    }

    [Fact]
    public async Task The_webhook_serves_with_the_script_certificate_and_a_client_trusting_only_the_CA_connects()
    {
        var certs = Path.Combine(Dir, "certs");
        ProcessRunner.Run("/bin/bash", [Path.Combine(Repo.Root, "certs", "gen-certs.sh"), "--service", "inject", "--namespace", "mesh", "--out", certs]).EnsureSuccess();
        await using var app = WebhookHost.Build(
            ["--port=0", "--mesh-name=demo", "--region=us-west-2",
             $"--tls-cert-file={Path.Combine(certs, "tls.crt")}", $"--tls-key-file={Path.Combine(certs, "tls.key")}"],
            NoEnvironment);
        await app.StartAsync();
        try
        {
            using var client = CertsScriptTests.ClientTrusting(Path.Combine(certs, "ca.crt"), Listening.Port(app));

            Assert.Equal("ok\n", await client.GetStringAsync("https://inject.mesh.svc/healthz"));
            Assert.Equal("ready\n", await client.GetStringAsync("https://inject.mesh.svc/readyz"));
        }
        finally
        {
            await app.StopAsync();
        }
    }

    public void Dispose() => _temp.Dispose();
}
