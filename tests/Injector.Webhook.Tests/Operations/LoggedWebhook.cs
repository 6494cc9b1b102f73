using System.Text.Json.Nodes;
using Injector.Webhook.Observability;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Injector.Webhook.Tests.Operations;

/// <summary>The real webhook on loopback (HTTPS on a free port, metrics and health on another), its JSON log
/// lines written at a fixed time into memory, as an operator would read them from the pod's log.</summary>
public sealed class LoggedWebhook : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly MemoryStream _output = new();
    private readonly JsonLineLoggerProvider _logs;

    private LoggedWebhook(string[] args, IReadOnlyDictionary<string, string> environment, Action<WebApplicationBuilder>? configure)
    {
        _logs = new JsonLineLoggerProvider(new SynchronizedStream(_output), FixedTime.LogTests);
        _app = WebhookHost.Build(["--mesh-name", "demo", "--region", "us-west-2", "--port", "0", "--metrics-port", "0", .. args], environment, b =>
        {
            b.Logging.ClearProviders();
            b.Logging.AddProvider(_logs);
            configure?.Invoke(b);
        });
    }

    public static async Task<LoggedWebhook> StartAsync(string[]? args = null, IReadOnlyDictionary<string, string>? environment = null, Action<WebApplicationBuilder>? configure = null)
    {
        var webhook = new LoggedWebhook(args ?? [], environment ?? new Dictionary<string, string>(), configure);
        await webhook._app.StartAsync();
        return webhook;
    }

    public IServiceProvider Services => _app.Services;

    private IEnumerable<Uri> Addresses => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
        .Select(a => new Uri(a.Replace("[::]", "localhost", StringComparison.Ordinal)));

    public int Port => Addresses.Single(a => a.Scheme == "https").Port;
    public int MetricsPort => Addresses.Single(a => a.Scheme == "http").Port;

    /// <summary>Every line written so far, without its time.</summary>
    public List<string> Lines()
    {
        byte[] bytes;
        lock (_output) bytes = _output.ToArray();
        return LogLines.Untimed(System.Text.Encoding.UTF8.GetString(bytes));
    }

    public List<JsonObject> Parsed() => Lines().Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    /// <summary>The lines of one category, once at least <paramref name="count"/> of them are there (the logger
    /// writes in the background); fails after 15 seconds.</summary>
    public async Task<List<string>> LinesOf(string category, int count = 1)
    {
        var until = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var lines = Lines().Where(l => l.Contains($"\"category\":\"{category}\"", StringComparison.Ordinal)).ToList();
            if (lines.Count >= count) return lines;
            if (DateTime.UtcNow > until) Assert.Fail($"waited for {count} line(s) of {category}; the log has:\n{string.Join('\n', Lines())}");
            await Task.Delay(25);
        }
    }

    /// <summary>The scrape of the plain-HTTP port, read by the Prometheus text parser.</summary>
    public async Task<IReadOnlyList<PrometheusFamily>> ScrapeAsync()
    {
        using var client = new HttpClient();
        return PrometheusText.Parse(await client.GetStringAsync($"http://127.0.0.1:{MetricsPort}/metrics"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _logs.Dispose();
    }

    /// <summary>The logger's background writer and the test's reads share the stream.</summary>
    private sealed class SynchronizedStream(MemoryStream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            lock (inner) inner.Write(buffer, offset, count);
        }
    }
}
