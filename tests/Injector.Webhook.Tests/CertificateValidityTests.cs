using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Injector.Webhook.Observability;
using Injector.Webhook.Tests.Fakes;
using Microsoft.Extensions.Logging;

namespace Injector.Webhook.Tests;

/// <summary>A serving certificate that is expired or not yet valid is served (the one it would replace is no
/// better), but the operator is told at once: every client rejects it, and the handshake failures alone used to
/// blame the caBundle.</summary>
public sealed class CertificateValidityTests
{
    private sealed class Lines : ILogger
    {
        public List<(LogLevel Level, string Message)> Written { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Written.Add((logLevel, formatter(state, exception)));
    }

    private static X509Certificate2 SelfSigned(DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=appmesh-inject", key, HashAlgorithmName.SHA256);
        return request.CreateSelfSigned(notBefore, notAfter);
    }

    [Theory]
    [InlineData(-400, -30)]
    [InlineData(30, 400)]
    public void A_certificate_out_of_date_at_start_up_is_loaded_with_a_warning(int fromDays, int untilDays)
    {
        using var dir = new TempDir();
        var now = DateTimeOffset.UtcNow;
        var certificate = SelfSigned(now.AddDays(fromDays), now.AddDays(untilDays));
        dir.WriteTls(certificate, certificate);
        var log = new Lines();

        var store = CertificateStore.Create(new WebhookOptions { TlsCertFile = dir.File("tls.crt"), TlsKeyFile = dir.File("tls.key") }, log);

        Assert.NotNull(store.Current);
        var notBefore = certificate.NotBefore.ToUniversalTime().ToString("O");
        var notAfter = certificate.NotAfter.ToUniversalTime().ToString("O");
        Assert.Equal(
            (LogLevel.Warning, $"serving certificate CN=appmesh-inject is not valid now (valid from {notBefore} until {notAfter}): the API server rejects it and every review fails; renew it (or check the node's clock)"),
            log.Written[^1]);
    }

    [Fact]
    public void A_certificate_valid_now_gets_no_warning()
    {
        using var dir = new TempDir();
        var now = DateTimeOffset.UtcNow;
        var certificate = SelfSigned(now.AddDays(-1), now.AddDays(30));
        dir.WriteTls(certificate, certificate);
        var log = new Lines();

        CertificateStore.Create(new WebhookOptions { TlsCertFile = dir.File("tls.crt"), TlsKeyFile = dir.File("tls.key") }, log);

        Assert.DoesNotContain(log.Written, l => l.Level >= LogLevel.Warning);
    }

    /// <summary>The warnings of loading an EC (P-256) serving certificate with <c>--tls-cipher-suite=suites</c>.</summary>
    private static List<(LogLevel Level, string Message)> WarningsWithCipherSuites(string suites)
    {
        using var dir = new TempDir();
        var now = DateTimeOffset.UtcNow;
        var certificate = SelfSigned(now.AddDays(-1), now.AddDays(30));
        dir.WriteTls(certificate, certificate);
        var options = WebhookHost.LoadOptions(["--mesh-name=demo", "--region=us-west-2", $"--tls-cipher-suite={suites}"], new Dictionary<string, string>());
        Assert.True(options.Ok, string.Join("; ", options.Errors));
        var log = new Lines();
        CertificateStore.Create(options.Get<WebhookOptions>() with { TlsCertFile = dir.File("tls.crt"), TlsKeyFile = dir.File("tls.key") }, log);
        return [.. log.Written.Where(l => l.Level >= LogLevel.Warning)];
    }

    [Theory]
    [InlineData("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", true)]
    [InlineData("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", false)]
    [InlineData("TLS_AES_128_GCM_SHA256", false)]
    public void Cipher_suites_none_of_which_fits_the_certificates_key_get_a_warning(string suites, bool warned)
    {
        var log = WarningsWithCipherSuites(suites);

        var expected = $"none of the TLS 1.2 cipher suites of --tls-cipher-suite ({suites}) fits the serving certificate's ECDSA key, so TLS 1.2 clients cannot connect (TLS 1.3 ones, the API server among them, still can); add one such as TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256";
        Assert.Equal(warned ? [(LogLevel.Warning, expected)] : [], log);
    }

    /// <summary>RC4 and 3DES suites are IANA names Go (and so the controller) offered; .NET on OpenSSL 3 leaves them
    /// out of the policy without a word. The operator is told which, and the key check looks only at what is served.</summary>
    [Theory]
    [InlineData("TLS_RSA_WITH_RC4_128_SHA,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_RC4_128_SHA", null)]
    [InlineData("TLS_RSA_WITH_3DES_EDE_CBC_SHA,TLS_RSA_WITH_RC4_128_SHA", "TLS_RSA_WITH_3DES_EDE_CBC_SHA,TLS_RSA_WITH_RC4_128_SHA", null)]
    [InlineData("TLS_ECDHE_ECDSA_WITH_RC4_128_SHA,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")]
    public void Cipher_suites_the_TLS_library_does_not_offer_get_a_warning_naming_them(string suites, string notOffered, string? noneFits)
    {
        var log = WarningsWithCipherSuites(suites);

        List<(LogLevel, string)> expected = [(LogLevel.Warning, $"--tls-cipher-suite names {notOffered}, which this system's TLS library does not offer: left out, so TLS 1.2 clients that offer only these cannot connect (TLS 1.3 ones, the API server among them, still can)")];
        if (noneFits is not null)
            expected.Add((LogLevel.Warning, $"none of the TLS 1.2 cipher suites of --tls-cipher-suite ({noneFits}) fits the serving certificate's ECDSA key, so TLS 1.2 clients cannot connect (TLS 1.3 ones, the API server among them, still can); add one such as TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"));
        Assert.Equal(expected, log);
    }

    [Fact]
    public void A_client_that_rejects_the_certificate_as_expired_is_told_to_renew_it_not_to_fix_the_caBundle()
    {
        var expired = HandshakeFailure.Classify(new System.Security.Authentication.AuthenticationException("handshake failed",
            new InvalidOperationException("error:0A000415:SSL routines::sslv3 alert certificate expired")));

        Assert.Equal(HandshakeFailure.CertificateRejected, expired.Reason);
        Assert.Equal("the client rejected the serving certificate as expired or not yet valid (TLS alert \"certificate expired\"); renew it, or check the clocks of the client and of this node", expired.Detail);
    }
}
