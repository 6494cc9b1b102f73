using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Injector.Webhook.Tests;

/// <summary>The built webhook run as a process of its own, as in a pod (for SIGTERM): its decision lines are
/// counted by review uid into <see cref="Decided"/> and its error and critical lines kept in <see cref="Errors"/>;
/// two replicas may share both.</summary>
internal sealed class WebhookProcess : IDisposable
{
    public Process Process { get; }
    public int Port { get; }
    public ConcurrentDictionary<string, int> Decided { get; }
    public ConcurrentQueue<string> Errors { get; }

    private WebhookProcess(Process process, int port, ConcurrentDictionary<string, int> decided, ConcurrentQueue<string> errors) =>
        (Process, Port, Decided, Errors) = (process, port, decided, errors);

    /// <summary>Starts the webhook on a free port with <c>--mesh-name demo --region us-west-2</c> and <paramref name="args"/>.</summary>
    public static WebhookProcess Start(IEnumerable<string> args, ConcurrentDictionary<string, int>? decided = null, ConcurrentQueue<string>? errors = null)
    {
        var port = FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "appmesh-inject-webhook.dll"), "--mesh-name", "demo", "--region", "us-west-2", "--port", port.ToString() }.Concat(args))
            psi.ArgumentList.Add(a);
        var started = new WebhookProcess(Process.Start(psi)!, port, decided ?? new(), errors ?? new());
        started.Process.OutputDataReceived += (_, line) => started.Read(line.Data);
        started.Process.ErrorDataReceived += (_, _) => { };
        started.Process.BeginOutputReadLine();
        started.Process.BeginErrorReadLine();
        return started;
    }

    private void Read(string? line)
    {
        if (line is null) return;
        if (line.Contains("\"level\":\"error\"", StringComparison.Ordinal) || line.Contains("\"level\":\"critical\"", StringComparison.Ordinal)) Errors.Enqueue(line);
        if (!line.Contains("\"category\":\"Injector.Webhook.DecisionLog\"", StringComparison.Ordinal)) return;
        if ((string?)JsonNode.Parse(line)?["uid"] is { } uid) Decided.AddOrUpdate(uid, 1, (_, n) => n + 1);
    }

    /// <summary>Waits until <c>/readyz</c> answers 200 (at most 30 s).</summary>
    public async Task WaitReadyAsync()
    {
        using var client = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } });
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            try
            {
                using var ready = await client.GetAsync($"https://127.0.0.1:{Port}/readyz");
                if (ready.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"the webhook on port {Port} did not become ready");
    }

    /// <summary>A loopback port nothing listens on now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (!Process.HasExited) Process.Kill(entireProcessTree: true);
        Process.Dispose();
    }
}
