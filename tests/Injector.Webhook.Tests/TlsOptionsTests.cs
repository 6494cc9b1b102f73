using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Injector.Webhook.Tests.Robustness;

namespace Injector.Webhook.Tests;

/// <summary>The App Mesh controller's serving options (aws-app-mesh-controller-for-k8s pkg/inject/config.go
/// <c>--tls-min-version</c>, <c>--tls-cipher-suite</c>, Go constant names) configure Kestrel's TLS for real:
/// each is checked with a real TLS client on a loopback port.</summary>
public class TlsOptionsTests
{
    /// <summary>A TLS client limited to <paramref name="protocols"/> (and, when given, one TLS 1.2 suite); the
    /// negotiated protocol and suite, or the exception of a refused handshake.</summary>
    private static async Task<(SslProtocols Protocol, TlsCipherSuite Suite)> HandshakeAsync(LoopbackWebhook webhook, SslProtocols protocols, TlsCipherSuite? suite = null)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, webhook.Port);
        await using var tls = new SslStream(tcp.GetStream(), false, (_, certificate, _, _) => certificate?.GetCertHashString() == webhook.Certificate.GetCertHashString());
        var options = new SslClientAuthenticationOptions { TargetHost = "localhost", EnabledSslProtocols = protocols };
        if (suite is { } only && !OperatingSystem.IsWindows()) options.CipherSuitesPolicy = new CipherSuitesPolicy([only]);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await tls.AuthenticateAsClientAsync(options, timeout.Token);
        return (tls.SslProtocol, tls.NegotiatedCipherSuite);
    }

    [Fact]
    public async Task By_default_TLS_1_2_and_1_3_handshakes_succeed()
    {
        await using var webhook = await LoopbackWebhook.StartAsync();

        Assert.Equal(SslProtocols.Tls12, (await HandshakeAsync(webhook, SslProtocols.Tls12)).Protocol);
        Assert.Equal(SslProtocols.Tls13, (await HandshakeAsync(webhook, SslProtocols.Tls13)).Protocol);
    }

    [Fact]
    public async Task With_tls_min_version_VersionTLS13_a_TLS_1_2_handshake_is_refused_and_TLS_1_3_served()
    {
        await using var webhook = await LoopbackWebhook.StartAsync("--tls-min-version", "VersionTLS13");

        var refused = await Record.ExceptionAsync(() => HandshakeAsync(webhook, SslProtocols.Tls12));
        Assert.True(refused is AuthenticationException or IOException, refused?.ToString() ?? "the TLS 1.2 handshake succeeded");

        Assert.Equal(SslProtocols.Tls13, (await HandshakeAsync(webhook, SslProtocols.Tls13)).Protocol);
        using var client = webhook.CreateClient();
        using var response = await client.PostAsync(webhook.MutateUri, LoopbackWebhook.Json(Reviews.For(Reviews.SimplePod())));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task With_tls_cipher_suite_TLS_1_2_uses_only_the_listed_suites_and_TLS_1_3_stays_on()
    {
        // The in-memory certificate has an ECDSA key; Go's short ChaCha20 name is accepted too.
        await using var webhook = await LoopbackWebhook.StartAsync("--tls-cipher-suite", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305");

        Assert.Equal(TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            (await HandshakeAsync(webhook, SslProtocols.Tls12, TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384)).Suite);
        Assert.Equal(TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            (await HandshakeAsync(webhook, SslProtocols.Tls12, TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256)).Suite);
        var refused = await Record.ExceptionAsync(() => HandshakeAsync(webhook, SslProtocols.Tls12, TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256));
        Assert.True(refused is AuthenticationException or IOException, refused?.ToString() ?? "a suite outside the list was negotiated");
        Assert.Equal(SslProtocols.Tls13, (await HandshakeAsync(webhook, SslProtocols.Tls13)).Protocol);
    }

    [Theory]
    [InlineData("--tls-min-version", "VersionTLS11", "--tls-min-version: 'VersionTLS11' is below TLS 1.2, the oldest version the webhook serves; use VersionTLS12 or VersionTLS13")]
    [InlineData("--tls-min-version", "1.3", "--tls-min-version: '1.3' is not VersionTLS12 or VersionTLS13")]
    [InlineData("--tls-cipher-suite", "TLS_RSA_WITH_RC4,TLS_NOPE", "--tls-cipher-suite: 'TLS_RSA_WITH_RC4', 'TLS_NOPE' are not cipher suites; use IANA names such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")]
    public void A_bad_TLS_option_stops_the_start_with_the_exact_message(string flag, string value, string message)
    {
        var loaded = WebhookHost.LoadOptions(["--mesh-name", "demo", "--region", "us-west-2", flag, value], new Dictionary<string, string>());

        Assert.Equal([message], loaded.Errors);
    }
}
