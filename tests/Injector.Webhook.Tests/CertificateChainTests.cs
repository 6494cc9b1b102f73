using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Injector.Webhook.Tests.Fakes;

namespace Injector.Webhook.Tests;

/// <summary>A serving certificate issued by an intermediate CA (cert-manager with a CA issuer chain):
/// the handshake must carry the intermediates from tls.crt, since the API server trusts only the root.</summary>
public sealed class CertificateChainTests
{
    private static X509Certificate2 Intermediate(X509Certificate2 root)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=appmesh-inject intermediate CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var now = DateTimeOffset.UtcNow;
        using var signed = request.Create(root, now.AddMinutes(-5), now.AddDays(30), RandomNumberGenerator.GetBytes(16));
        return signed.CopyWithPrivateKey(key);
    }

    private static async Task<HttpResponseMessage> GetHealthTrustingOnly(X509Certificate2 root, bool sendIntermediate)
    {
        using var dir = new TempDir();
        using var intermediate = Intermediate(root);
        using var leaf = CertificateStore.IssueServing(intermediate, ["localhost"], DateTimeOffset.UtcNow.AddDays(7));
        File.WriteAllText(dir.File("tls.key"), TlsFiles.KeyPem(leaf));
        File.WriteAllText(dir.File("tls.crt"), leaf.ExportCertificatePem() + "\n" + (sendIntermediate ? intermediate.ExportCertificatePem() + "\n" : ""));

        await using var app = WebhookHost.Build(
            ["--mesh-name", "demo", "--region", "us-west-2", "--port", "0", "--tls-cert-file", dir.File("tls.crt"), "--tls-key-file", dir.File("tls.key")],
            new Dictionary<string, string>());
        await app.StartAsync();
        var port = Listening.Port(app);

        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(root);
        using var client = new HttpClient(new SocketsHttpHandler { SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy } });
        try
        {
            return await client.GetAsync($"https://localhost:{port}/healthz");
        }
        finally
        {
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task A_client_that_trusts_only_the_root_accepts_the_chain_the_webhook_sends()
    {
        using var root = CertificateStore.CreateCa("CN=appmesh-inject test root");

        using var response = await GetHealthTrustingOnly(root, sendIntermediate: true);

        Assert.Equal("ok\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Without_the_intermediate_in_tls_crt_the_same_client_refuses_the_handshake()
    {
        using var root = CertificateStore.CreateCa("CN=appmesh-inject test root");

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => GetHealthTrustingOnly(root, sendIntermediate: false));

        Assert.IsType<System.Security.Authentication.AuthenticationException>(error.InnerException);
    }
}
