using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Injector.Webhook.Tests.Robustness;

/// <summary>The real webhook on Kestrel, HTTPS on a free loopback port with its in-memory certificate,
/// for tests that need real sockets and TLS.</summary>
public sealed class LoopbackWebhook : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackWebhook(WebApplication app, int port)
    {
        _app = app;
        Port = port;
        Certificate = app.Services.GetRequiredService<CertificateStore>().Current ?? throw new InvalidOperationException("the webhook started without a certificate");
    }

    public int Port { get; }
    public System.Security.Cryptography.X509Certificates.X509Certificate2 Certificate { get; }
    public Uri MutateUri => new($"https://127.0.0.1:{Port}/mutate");

    /// <param name="extraArgs">Further webhook flags (TLS options, for instance).</param>
    public static Task<LoopbackWebhook> StartAsync(params string[] extraArgs) => StartAsync(_ => { }, extraArgs);

    /// <param name="configure">Changes to the builder (tests swap services, such as the memory budgets).</param>
    /// <param name="extraArgs">Further webhook flags.</param>
    public static async Task<LoopbackWebhook> StartAsync(Action<WebApplicationBuilder> configure, params string[] extraArgs)
    {
        var app = WebhookHost.Build(["--mesh-name", "demo", "--region", "us-west-2", "--port", "0", .. extraArgs], new Dictionary<string, string>(),
            builder =>
            {
                builder.Logging.ClearProviders();
                configure(builder);
            });
        await app.StartAsync();
        return new LoopbackWebhook(app, Listening.Port(app));
    }

    /// <summary>A client that trusts exactly this webhook's certificate; <paramref name="http2"/>: every
    /// request over HTTP/2 (ALPN), as the API server sends them.</summary>
    public HttpClient CreateClient(int maxConnections = 64, bool http2 = false) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = maxConnections,
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.GetCertHashString() == Certificate.GetCertHashString(),
        },
    })
    {
        Timeout = TimeSpan.FromSeconds(20),
        DefaultRequestVersion = http2 ? HttpVersion.Version20 : HttpVersion.Version11,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    public static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    /// <summary>A TLS stream to the webhook, handshake done.</summary>
    public async Task<(TcpClient Tcp, SslStream Tls)> ConnectTlsAsync()
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, Port);
        var tls = new SslStream(tcp.GetStream(), false, (_, certificate, _, _) => certificate?.GetCertHashString() == Certificate.GetCertHashString());
        await tls.AuthenticateAsClientAsync("localhost");
        return (tcp, tls);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
