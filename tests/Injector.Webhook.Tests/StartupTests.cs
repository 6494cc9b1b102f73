using Microsoft.Extensions.DependencyInjection;

namespace Injector.Webhook.Tests;

/// <summary>Start-up configuration errors: a clear message and a non-zero exit, before anything listens.</summary>
public class StartupTests
{
    [Fact]
    public void Missing_mesh_name_and_region_are_both_reported()
    {
        var error = Assert.Throws<ConfigurationException>(() => WebhookHost.Build([], new Dictionary<string, string>()));

        Assert.Equal(
            [
                "mesh name is required: pass --mesh-name or set APPMESH_NAME (or MESH_NAME)",
                "region is required: pass --region or set APPMESH_REGION (or AWS_REGION)",
            ],
            error.Errors);
    }

    [Fact]
    public void Environment_variables_configure_the_webhook()
    {
        var env = new Dictionary<string, string> { ["MESH_NAME"] = "from-env", ["AWS_REGION"] = "eu-west-1" };

        using var app = WebhookHost.Build([], env, b => Microsoft.AspNetCore.TestHost.WebHostBuilderExtensions.UseTestServer(b.WebHost));

        var settings = app.Services.GetRequiredService<Injector.Core.Settings.InjectorSettings>();
        Assert.Equal(("from-env", "eu-west-1"), (settings.MeshName, settings.Region));
    }

    [Fact]
    public void Two_tracers_are_refused()
    {
        var error = Assert.Throws<ConfigurationException>(() => WebhookHost.Build(
            ["--mesh-name", "m", "--region", "r", "--enable-xray-tracing", "--enable-jaeger-tracing"], new Dictionary<string, string>()));

        Assert.Equal(["at most one tracer may be enabled, but --enable-xray-tracing and --enable-jaeger-tracing are set"], error.Errors);
    }

    [Fact]
    public void The_process_exits_with_code_2_and_says_what_is_wrong()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "appmesh-inject-webhook.dll");
        var result = ProcessRunner.Run("dotnet", [dll, "--region", "us-west-2", "--sidecar-cpu-requests", "lots"],
            new Dictionary<string, string?> { ["APPMESH_INJECT_MESH_NAME"] = null, ["APPMESH_NAME"] = null, ["MESH_NAME"] = null }, timeout: TimeSpan.FromSeconds(60));

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(
            "appmesh-inject: invalid configuration:\n" +
            "  mesh name is required: pass --mesh-name or set APPMESH_NAME (or MESH_NAME)\n" +
            "  --sidecar-cpu-requests: 'lots' is not a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi\n",
            result.StdErr);
    }

    [Fact]
    public void A_taken_port_ends_the_process_with_code_1_and_one_line()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.IPv6Any, 0);
        taken.Server.DualMode = true;
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        var dll = Path.Combine(AppContext.BaseDirectory, "appmesh-inject-webhook.dll");

        var result = ProcessRunner.Run("dotnet", [dll, "--mesh-name", "m", "--region", "us-west-2", "--port", port.ToString()], timeout: TimeSpan.FromSeconds(60));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"appmesh-inject: cannot serve on port {port}: Failed to bind to address https://[::]:{port}: address already in use.\n", result.StdErr);
    }
}
