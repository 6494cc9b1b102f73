using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Injector.Core.Settings;

namespace Injector.Webhook;

/// <summary>Holds the serving certificate: read from PEM files (the <c>kubernetes.io/tls</c> secret layout),
/// or generated in memory so that a first run on a fresh machine just works.</summary>
public sealed class CertificateStore
{
    private volatile X509Certificate2 _current;

    private CertificateStore(X509Certificate2 current, string? caBundlePem)
    {
        _current = current;
        CaBundlePem = caBundlePem;
    }

    /// <summary>The certificate new TLS handshakes present.</summary>
    public X509Certificate2 Current => _current;

    /// <summary>PEM of the CA that signed an in-memory certificate (null when files are used).</summary>
    public string? CaBundlePem { get; }

    public static CertificateStore Create(InjectorSettings settings, ILogger logger)
    {
        if (settings.TlsCertFile is { } certFile && settings.TlsKeyFile is { } keyFile)
        {
            var certificate = LoadPem(certFile, keyFile);
            logger.LogInformation("serving certificate {Subject} from {CertFile}, valid until {NotAfter:O}", certificate.Subject, certFile, certificate.NotAfter.ToUniversalTime());
            return new CertificateStore(certificate, null);
        }
        var (leaf, caPem) = GenerateSelfSigned(["localhost", "appmesh-inject", "appmesh-inject.appmesh-system", "appmesh-inject.appmesh-system.svc"]);
        logger.LogWarning("no --tls-cert-file given: serving an in-memory certificate for localhost signed by a throw-away CA");
        Console.WriteLine("In-memory CA bundle (caBundle for a MutatingWebhookConfiguration):");
        Console.WriteLine(Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(caPem)));
        return new CertificateStore(leaf, caPem);
    }

    /// <summary>Reads a PEM certificate chain and key; the result is usable by SslStream on Linux.</summary>
    public static X509Certificate2 LoadPem(string certFile, string keyFile)
    {
        using var pem = X509Certificate2.CreateFromPemFile(certFile, keyFile);
        // Round-trip through PKCS#12 so that the private key is usable for TLS on every platform.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>A throw-away CA and a serving certificate for <paramref name="dnsNames"/> and loopback.</summary>
    public static (X509Certificate2 Leaf, string CaPem) GenerateSelfSigned(IReadOnlyList<string> dnsNames)
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=appmesh-inject in-memory CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(365));

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={dnsNames[0]}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames) san.AddDnsName(name);
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var signed = request.Create(ca, now.AddMinutes(-5), now.AddDays(364), serial);
        using var withKey = signed.CopyWithPrivateKey(key);
        var leaf = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        return (leaf, ca.ExportCertificatePem());
    }
}
