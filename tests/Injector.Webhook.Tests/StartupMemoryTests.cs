using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Injector.Webhook.Tests;

/// <summary>The built webhook, started as the image starts it, under a heap limit as a container's memory
/// limit gives one: its start-up line reports the GC settings that took effect in that process (the project's
/// runtimeconfig.json, or an environment variable over it) and the review budgets sized from the limit.</summary>
public sealed class StartupMemoryTests
{
    private const string ProjectGc = "ConserveMemory 7, gen0 budget at most 6 MiB";

    [Theory]
    // The chart's 256Mi limit: the runtime keeps the heap within 75 % of it.
    [InlineData("0xC000000", null, "192 MiB", "workstation GC, " + ProjectGc, "32 MiB", "64 MiB")]
    // A sixth and a third of 1 GiB, in whole MiB rounded down as the 413 and 429 messages give budgets.
    [InlineData("0x40000000", null, "1024 MiB", "workstation GC, " + ProjectGc, "170 MiB", "341 MiB")]
    // An operator's environment variable wins over the project's setting, and the line says so.
    [InlineData("0xC000000", "1", "192 MiB", "server GC, " + ProjectGc, "32 MiB", "64 MiB")]
    public async Task The_start_up_line_reports_the_heap_limit_the_GC_as_it_runs_and_the_budgets(
        string heapHardLimit, string? serverGc, string heapLimit, string gc, string arriving, string deciding)
    {
        var line = await StartupLineAsync(new Dictionary<string, string?>
        {
            ["DOTNET_GCHeapHardLimit"] = heapHardLimit,
            ["DOTNET_gcServer"] = serverGc,
        });

        var port = (int)line["port"]!;
        Assert.Equal(
            (heapLimit, gc, arriving, deciding),
            ((string?)line["heapLimit"], (string?)line["gc"], (string?)line["arrivingBudget"], (string?)line["decidingBudget"]));
        Assert.Equal(
            $"appmesh-inject 0.1.0 started: HTTPS on :{port}, metrics and health on the HTTPS port; mesh demo, region us-west-2, " +
            $"sidecar mode auto (classic), failure policy Fail; memory {heapLimit} for the heap ({gc}), of which reviews in flight " +
            $"may hold {arriving} arriving and {deciding} being decided; no Kubernetes API (not in a cluster and no --kubeconfig)",
            (string?)line["message"]);
    }

    private static async Task<JsonNode> StartupLineAsync(IReadOnlyDictionary<string, string?> environment)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "appmesh-inject-webhook.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { dll, "--mesh-name", "demo", "--region", "us-west-2", "--port", "0" }) psi.ArgumentList.Add(a);
        // No cluster: the line must not wait for an API server, whatever this machine has configured.
        foreach (var name in new[] { "KUBECONFIG", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "DOTNET_gcServer", "DOTNET_GCHeapHardLimit" })
            psi.Environment.Remove(name);
        foreach (var (name, value) in environment)
            if (value is not null) psi.Environment[name] = value;

        var startup = new TaskCompletionSource<JsonNode>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            output.Enqueue(e.Data);
            if (e.Data.Contains("\"category\":\"Injector.Webhook.Observability.StartupReport\"", StringComparison.Ordinal))
                startup.TrySetResult(JsonNode.Parse(e.Data)!);
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var finished = await Task.WhenAny(startup.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)));
            Assert.True(finished == startup.Task, "no start-up line within 60 s; the process wrote:\n" + string.Join('\n', output));
            return await startup.Task;
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }
}
