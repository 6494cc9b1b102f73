using System.Net;
using System.Net.Sockets;
using Injector.Webhook.Observability;

namespace Injector.Webhook.Tests.Operations;

/// <summary>The most common webhook outage — a caBundle that is not the serving CA — and other failed handshakes,
/// as an operator sees them: one JSON line per reason (rate-limited) with the client's address, and a counter
/// by reason. The clients are real: curl trusting another CA, curl speaking plain HTTP to the HTTPS port, curl
/// offering only TLS 1.0 and 1.1, and a TCP client that closes without a word.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class HandshakeFailureTests : IAsyncLifetime, IDisposable
{
    private const string Category = "Injector.Webhook.Observability.TlsHandshakeMonitor";
    private readonly TempDir _temp = new("handshake");
    private LoggedWebhook _webhook = null!;

    public async Task InitializeAsync() => _webhook = await LoggedWebhook.StartAsync();

    public async Task DisposeAsync() => await _webhook.DisposeAsync();

    public void Dispose() => _temp.Dispose();

    private static string Curl => File.Exists("/usr/bin/curl") ? "/usr/bin/curl"
        : throw new InvalidOperationException("curl is missing: apt-get install curl (.ci/run does it)");

    private static (int ExitCode, int LocalPort) RunCurl(params string[] args)
    {
        var local = WebhookProcess.FreePort();
        var result = ProcessRunner.Run(Curl, ["-sS", "--max-time", "10", "--local-port", local.ToString(System.Globalization.CultureInfo.InvariantCulture), .. args], timeout: TimeSpan.FromSeconds(30));
        return (result.ExitCode, local);
    }

    private string OtherCa()
    {
        using var other = CertificateStore.CreateCa("CN=some other CA");
        return _temp.Write("other-ca.pem", other.ExportCertificatePem());
    }

    [Fact]
    public async Task A_client_that_trusts_another_CA_gives_one_warning_line_naming_the_caBundle_and_a_count()
    {
        var (exit, local) = RunCurl("--cacert", OtherCa(), $"https://127.0.0.1:{_webhook.Port}/healthz");

        Assert.Equal(60, exit); // curl: "SSL certificate problem: unable to get local issuer certificate"
        // The client sends the alert "unknown ca" and hangs up; when its kernel resets the connection first
        // (it had not read the rest of the server's flight) the alert is lost, and the hang-up tells the same.
        string[] expected =
        [
            $$"""{"level":"warning","category":"{{Category}}","message":"TLS handshake error from 127.0.0.1:{{local}} (certificate-rejected): the client rejected the serving certificate (TLS alert \"unknown ca\"); if the client is the API server, the caBundle of the MutatingWebhookConfiguration is not the CA that signed the serving certificate","remoteAddress":"127.0.0.1:{{local}}","reason":"certificate-rejected","detail":"the client rejected the serving certificate (TLS alert \"unknown ca\"); if the client is the API server, the caBundle of the MutatingWebhookConfiguration is not the CA that signed the serving certificate","error":"error:0A000418:SSL routines::tlsv1 alert unknown ca","suppressed":0}""",
            $$"""{"level":"warning","category":"{{Category}}","message":"TLS handshake error from 127.0.0.1:{{local}} (certificate-rejected): the client hung up after receiving the serving certificate, without finishing the handshake; if the client is the API server, the caBundle of the MutatingWebhookConfiguration is most likely not the CA that signed the serving certificate","remoteAddress":"127.0.0.1:{{local}}","reason":"certificate-rejected","detail":"the client hung up after receiving the serving certificate, without finishing the handshake; if the client is the API server, the caBundle of the MutatingWebhookConfiguration is most likely not the CA that signed the serving certificate","error":"Connection reset by peer","suppressed":0}""",
        ];
        var line = Assert.Single(await _webhook.LinesOf(Category));
        Assert.Contains(line, expected);
        var scrape = await _webhook.ScrapeAsync();
        Assert.Equal(1, scrape.Value("appmesh_inject_tls_handshake_failures_total", "reason=certificate-rejected"));
        Assert.Equal(0, scrape.Family("appmesh_inject_tls_handshake_failures").Samples.Where(s => s.Label("reason") != "certificate-rejected").Sum(s => s.Value));
    }

    [Fact]
    public async Task Plain_http_to_the_https_port_is_a_not_tls_failure()
    {
        var (exit, local) = RunCurl($"http://127.0.0.1:{_webhook.Port}/healthz");

        Assert.NotEqual(0, exit);
        Assert.Equal(
            [$$"""{"level":"warning","category":"{{Category}}","message":"TLS handshake error from 127.0.0.1:{{local}} (not-tls): the client did not speak TLS (plain HTTP to the HTTPS port?)","remoteAddress":"127.0.0.1:{{local}}","reason":"not-tls","detail":"the client did not speak TLS (plain HTTP to the HTTPS port?)","error":"Cannot determine the frame size or a corrupted frame was received.","suppressed":0}"""],
            await _webhook.LinesOf(Category));
        Assert.Equal(1, (await _webhook.ScrapeAsync()).Value("appmesh_inject_tls_handshake_failures_total", "reason=not-tls"));
    }

    [Fact]
    public async Task A_client_offering_only_TLS_1_0_and_1_1_is_a_protocol_version_failure()
    {
        var (exit, local) = RunCurl("-k", "--tlsv1.0", "--tls-max", "1.1", $"https://127.0.0.1:{_webhook.Port}/healthz");

        Assert.Equal(35, exit); // curl: SSL connect error
        Assert.Equal(
            [$$"""{"level":"warning","category":"{{Category}}","message":"TLS handshake error from 127.0.0.1:{{local}} (protocol-version): the client offered no TLS version the webhook accepts (TLS 1.2 and later, or what --tls-min-version sets)","remoteAddress":"127.0.0.1:{{local}}","reason":"protocol-version","detail":"the client offered no TLS version the webhook accepts (TLS 1.2 and later, or what --tls-min-version sets)","error":"error:0A000102:SSL routines::unsupported protocol","suppressed":0}"""],
            await _webhook.LinesOf(Category));
        Assert.Equal(1, (await _webhook.ScrapeAsync()).Value("appmesh_inject_tls_handshake_failures_total", "reason=protocol-version"));
    }

    [Fact]
    public async Task A_connection_closed_before_any_handshake_is_information_not_a_warning()
    {
        int local;
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, _webhook.Port);
            local = ((IPEndPoint)tcp.Client.LocalEndPoint!).Port;
        }

        var line = Assert.Single(await _webhook.LinesOf(Category));
        Assert.StartsWith($$"""{"level":"info","category":"{{Category}}","message":"TLS handshake error from 127.0.0.1:{{local}} (closed): the client closed the connection during the handshake","remoteAddress":"127.0.0.1:{{local}}","reason":"closed",""", line);
        Assert.Equal(1, (await _webhook.ScrapeAsync()).Value("appmesh_inject_tls_handshake_failures_total", "reason=closed"));
    }

    [Fact]
    public async Task A_flood_of_failures_is_counted_in_full_and_logged_once_per_reason_per_window()
    {
        var otherCa = OtherCa();
        for (var i = 0; i < 20; i++) Assert.Equal(60, RunCurl("--cacert", otherCa, $"https://127.0.0.1:{_webhook.Port}/healthz").ExitCode);
        for (var i = 0; i < 5; i++) RunCurl($"http://127.0.0.1:{_webhook.Port}/healthz");

        var until = DateTime.UtcNow.AddSeconds(15);
        IReadOnlyList<PrometheusFamily> scrape;
        do
        {
            scrape = await _webhook.ScrapeAsync();
        }
        while (scrape.Value("appmesh_inject_tls_handshake_failures_total", "reason=not-tls") < 5 && DateTime.UtcNow < until);

        Assert.Equal(20, scrape.Value("appmesh_inject_tls_handshake_failures_total", "reason=certificate-rejected"));
        Assert.Equal(5, scrape.Value("appmesh_inject_tls_handshake_failures_total", "reason=not-tls"));
        // Within the 10-second window: one line per reason (the next line, later, carries the count of the rest).
        var lines = (await _webhook.LinesOf(Category, 2)).Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!).ToList();
        Assert.InRange(lines.Count(l => (string?)l["reason"] == "certificate-rejected"), 1, 3);
        Assert.InRange(lines.Count(l => (string?)l["reason"] == "not-tls"), 1, 2);
    }

    [Fact]
    public void A_hang_up_after_the_certificate_was_offered_is_a_rejected_certificate_and_before_it_a_closed_connection()
    {
        var reset = new IOException("Unable to read data from the transport connection: Connection reset by peer.", new SocketException((int)SocketError.ConnectionReset));

        Assert.Equal(
            (HandshakeFailure.CertificateRejected, HandshakeFailure.Closed),
            (HandshakeFailure.Classify(reset, certificateOffered: true).Reason, HandshakeFailure.Classify(reset, certificateOffered: false).Reason));
    }

    [Fact]
    public void Reasons_are_read_from_the_TLS_librarys_words()
    {
        static Exception Tls(string openSsl) => new System.Security.Authentication.AuthenticationException("Authentication failed, see inner exception.",
            new InvalidOperationException("SSL Handshake failed with OpenSSL error - SSL_ERROR_SSL.", new InvalidOperationException(openSsl)));

        Assert.Equal(
            [
                HandshakeFailure.CertificateRejected, HandshakeFailure.CertificateRejected, HandshakeFailure.CertificateRejected,
                HandshakeFailure.ProtocolVersion, HandshakeFailure.NoSharedCipher, HandshakeFailure.NotTls, HandshakeFailure.NotTls,
                HandshakeFailure.NoCertificate, HandshakeFailure.Closed, HandshakeFailure.Timeout, HandshakeFailure.Other,
            ],
            new Exception?[]
            {
                Tls("error:0A000418:SSL routines::tlsv1 alert unknown ca"),
                Tls("error:0A000412:SSL routines::sslv3 alert bad certificate"),
                Tls("error:0A000415:SSL routines::sslv3 alert certificate expired"),
                Tls("error:0A00042E:SSL routines::tlsv1 alert protocol version"),
                Tls("error:0A0000C1:SSL routines::no shared cipher"),
                new System.Security.Authentication.AuthenticationException("Cannot determine the frame size or a corrupted frame was received."),
                Tls("error:0A00009C:SSL routines::http request"),
                new System.Security.Authentication.AuthenticationException(HandshakeFailure.NoCertificateMessage),
                new IOException("Received an unexpected EOF or 0 bytes from the transport stream."),
                null,
                Tls("error:0A0000FF:SSL routines::something new"),
            }.Select(e => HandshakeFailure.Classify(e).Reason));
    }
}
