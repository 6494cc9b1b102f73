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

        Assert.Equal((2, ""), (result.ExitCode, result.StdOut));
        // One JSON line, like every line the webhook writes: the problems in the message and as a list.
        var line = Assert.Single(LogLines.Parse(result.StdErr));
        Assert.Equal(("critical", "Injector.Webhook"), ((string?)line["level"], (string?)line["category"]));
        Assert.Equal(
            "invalid configuration: mesh name is required: pass --mesh-name or set APPMESH_NAME (or MESH_NAME); " +
            "--sidecar-cpu-requests: 'lots' is not a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi",
            (string?)line["message"]);
        Assert.Equal(
            ["mesh name is required: pass --mesh-name or set APPMESH_NAME (or MESH_NAME)", "--sidecar-cpu-requests: 'lots' is not a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi"],
            line["errors"]!.AsArray().Select(e => (string?)e));
    }

    [Fact]
    public void A_taken_port_ends_the_process_with_code_1_and_one_line_without_a_stack_trace()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.IPv6Any, 0);
        taken.Server.DualMode = true;
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        var dll = Path.Combine(AppContext.BaseDirectory, "appmesh-inject-webhook.dll");

        var result = ProcessRunner.Run("dotnet", [dll, "--mesh-name", "m", "--region", "us-west-2", "--port", port.ToString()], timeout: TimeSpan.FromSeconds(60));

        Assert.Equal((1, ""), (result.ExitCode, result.StdErr));
        var lines = LogLines.Parse(result.StdOut);
        Assert.Equal(
            $$"""{"level":"critical","category":"Injector.Webhook","message":"cannot serve: Failed to bind to address https://[::]:{{port}}: address already in use.","error":"Failed to bind to address https://[::]:{{port}}: address already in use."}""",
            LogLines.Untimed(result.StdOut)[^1]);
        Assert.DoesNotContain(lines, l => l.ContainsKey("exception"));
    }
}
