using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Injector.Webhook.Observability;

namespace Injector.Webhook;

/// <summary>Holds the serving certificate: read from PEM files (the <c>kubernetes.io/tls</c> secret layout),
/// or generated in memory so that a first run on a fresh machine just works. Files can be read again
/// (<see cref="Reload"/>) when they rotate; new TLS handshakes then present the new certificate.</summary>
public sealed class CertificateStore
{
    private sealed record Loaded(X509Certificate2 Certificate, string? CaPem, string FilesHash)
    {
        /// <summary>The leaf with the intermediates from <c>tls.crt</c>, which handshakes send along.</summary>
        public SslStreamCertificateContext Context { get; init; } = SslStreamCertificateContext.Create(Certificate, null, offline: true);
    }

    private readonly object _reloadLock = new();
    private volatile Loaded? _loaded;

    private CertificateStore(Loaded? loaded, string? certFile, string? keyFile)
    {
        _loaded = loaded;
        CertFile = certFile;
        KeyFile = keyFile;
    }

    /// <summary>The certificate new TLS handshakes present; null until the files could be read.</summary>
    public X509Certificate2? Current => _loaded?.Certificate;

    /// <summary>What new TLS handshakes use: <see cref="Current"/> and its intermediates; null until loaded.</summary>
    public SslStreamCertificateContext? Context => _loaded?.Context;

    /// <summary>PEM of the CA that signed <see cref="Current"/>: <c>ca.crt</c> next to the certificate file
    /// (cert-manager's layout), else the last certificate of the chain, else the in-memory CA.</summary>
    public string? CaBundlePem => _loaded?.CaPem;

    public string? CertFile { get; }
    public string? KeyFile { get; }

    /// <summary>Raised after a different certificate has been loaded.</summary>
    public event Action<CertificateStore>? Changed;

    /// <summary>Warns when a certificate just loaded is expired or not yet valid: it is served all the same (the
    /// one it replaces is no better), but clients reject it, and the handshake failures alone would not say why.</summary>
    internal static void WarnIfOutOfDate(ILogger logger, X509Certificate2 certificate, DateTime now)
    {
        if (now < certificate.NotBefore.ToUniversalTime() || now > certificate.NotAfter.ToUniversalTime())
            WebhookLog.CertificateOutOfDate(logger, certificate.Subject, certificate.NotBefore.ToUniversalTime(), certificate.NotAfter.ToUniversalTime());
    }

    public static CertificateStore Create(WebhookOptions options, ILogger logger)
    {
        if (options.TlsCertFile is { } certFile && options.TlsKeyFile is { } keyFile)
        {
            var store = new CertificateStore(null, certFile, keyFile);
            var outcome = store.Reload();
            if (outcome.Error is not null)
                WebhookLog.CertificateNotLoaded(logger, outcome.Error);
            else
            {
                var notAfter = store.Current!.NotAfter.ToUniversalTime();
                WebhookLog.CertificateLoaded(logger, store.Current.Subject, certFile, notAfter);
                WarnIfOutOfDate(logger, store.Current, DateTime.UtcNow);
                WarnIfNoCipherSuiteFits(logger, store.Current, options.TlsCipherSuites);
            }
            return store;
        }
        var (leaf, caPem) = GenerateSelfSigned(["localhost", "appmesh-inject", "appmesh-inject.appmesh-system", "appmesh-inject.appmesh-system.svc"]);
        WebhookLog.SelfSignedCertificate(logger);
        var caBundle = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(caPem));
        WebhookLog.InMemoryCaBundle(logger, caBundle);
        WarnIfNoCipherSuiteFits(logger, leaf, options.TlsCipherSuites);
        return new CertificateStore(new Loaded(leaf, caPem, ""), null, null);
    }

    /// <summary>Warns about the TLS 1.2 suites of <c>--tls-cipher-suite</c> that cannot serve a handshake: those
    /// this system's TLS library does not offer (RC4 and 3DES suites under OpenSSL 3, which .NET leaves out of the
    /// policy without a word), and a list of which none signs with the certificate's kind of key (an ECDHE_RSA
    /// suite with an EC key). Either way TLS 1.2 clients may find no shared cipher, while TLS 1.3 clients (the API
    /// server among them) still connect. Warnings, not errors: a value the App Mesh controller (Go, which offers
    /// those suites) took must not stop the webhook.</summary>
    internal static void WarnIfNoCipherSuiteFits(ILogger logger, X509Certificate2 certificate, IReadOnlyList<TlsCipherSuite>? suites)
    {
        var tls12 = suites?.Where(s => !WebhookOptions.Tls13Suites.Contains(s)).ToList();
        if (tls12 is not { Count: > 0 } || OperatingSystem.IsWindows()) return;
        var offered = new CipherSuitesPolicy(tls12).AllowedCipherSuites.ToHashSet();
        var notOffered = tls12.Where(s => !offered.Contains(s)).ToList();
        if (notOffered.Count > 0) WebhookLog.CipherSuitesNotOffered(logger, string.Join(",", notOffered));
        tls12 = tls12.Where(offered.Contains).ToList();
        if (tls12.Count == 0) return;
        using var ec = certificate.GetECDsaPublicKey();
        using var rsa = ec is null ? certificate.GetRSAPublicKey() : null;
        var keyType = ec is not null ? "ECDSA" : rsa is not null ? "RSA" : null;
        if (keyType is null || tls12.Any(s => s.ToString().Contains($"_{keyType}_", StringComparison.Ordinal))) return;
        WebhookLog.NoCipherSuiteFitsKey(logger, string.Join(",", tls12), keyType, $"TLS_ECDHE_{keyType}_WITH_AES_128_GCM_SHA256");
    }

    /// <summary>What a reload did: <see cref="Changed"/> when a new certificate is now served, an
    /// <see cref="Error"/> when the files could not be read (the previous certificate stays).</summary>
    public readonly record struct ReloadOutcome(bool Changed, string? Error);

    /// <summary>Reads the files again; keeps the current certificate when they are unchanged or unreadable
    /// (a half-written rotation is retried on the next change or poll).</summary>
    public ReloadOutcome Reload()
    {
        if (CertFile is null || KeyFile is null) return new(false, null);
        lock (_reloadLock)
        {
            string certPem, keyPem;
            string? caPem;
            try
            {
                certPem = File.ReadAllText(CertFile);
                keyPem = File.ReadAllText(KeyFile);
                var caFile = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(CertFile))!, "ca.crt");
                caPem = File.Exists(caFile) ? File.ReadAllText(caFile) : null;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return new(false, $"cannot read {CertFile} / {KeyFile}: {ex.Message}");
            }
            var hash = Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(certPem + "\0" + keyPem + "\0" + caPem)));
            if (_loaded?.FilesHash == hash) return new(false, null);

            Loaded loaded;
            X509Certificate2? certificate = null;
            try
            {
                certificate = FromPem(certPem, keyPem);
                if (string.IsNullOrWhiteSpace(caPem)) caPem = LastCertificatePem(certPem);
                loaded = new Loaded(certificate, caPem, hash) { Context = SslStreamCertificateContext.Create(certificate, Intermediates(certPem), offline: true) };
            }
            // A key of another certificate is an ArgumentException for EC keys (it ended the process at start-up, and
            // would have mid-rotation): the same answer as a malformed file, and the previous certificate stays.
            catch (Exception ex) when (ex is CryptographicException or ArgumentException)
            {
                certificate?.Dispose(); // read, but its chain could not be: not served
                return new(false, $"{CertFile} and {KeyFile} do not hold a matching PEM certificate and key: {ex.Message}");
            }
            _loaded = loaded;
        }
        Changed?.Invoke(this);
        return new(true, null);
    }

    private static X509Certificate2 FromPem(string certPem, string keyPem)
    {
        var pem = X509Certificate2.CreateFromPem(certPem, keyPem);
        // OpenSSL serves TLS with a key loaded from PEM; Windows' TLS needs it round-tripped through PKCS#12
        // (which costs ~30 ms of start-up).
        if (!OperatingSystem.IsWindows()) return pem;
        using (pem) return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    // Every certificate after the leaf in tls.crt; clients that trust only the root need them.
    private static X509Certificate2Collection Intermediates(string chainPem)
    {
        var chain = new X509Certificate2Collection();
        chain.ImportFromPem(chainPem);
        if (chain.Count > 0) chain.RemoveAt(0);
        return chain;
    }

    private static string LastCertificatePem(string chainPem)
    {
        var chain = new X509Certificate2Collection();
        chain.ImportFromPem(chainPem);
        return chain[^1].ExportCertificatePem() + "\n";
    }

    /// <summary>A throw-away CA and a serving certificate for <paramref name="dnsNames"/> and loopback.</summary>
    public static (X509Certificate2 Leaf, string CaPem) GenerateSelfSigned(IReadOnlyList<string> dnsNames)
    {
        using var ca = CreateCa("CN=appmesh-inject in-memory CA");
        var leaf = IssueServing(ca, dnsNames, DateTimeOffset.UtcNow.AddDays(364));
        return (leaf, ca.ExportCertificatePem());
    }

    /// <summary>A self-signed CA certificate with its private key, valid for a year.</summary>
    public static X509Certificate2 CreateCa(string subject)
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest(subject, caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(365));
    }

    /// <summary>A serving certificate for <paramref name="dnsNames"/> and loopback, signed by <paramref name="ca"/>.</summary>
    public static X509Certificate2 IssueServing(X509Certificate2 ca, IReadOnlyList<string> dnsNames, DateTimeOffset notAfter)
    {
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
        using var signed = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-5), notAfter, serial);
        using var withKey = signed.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }
}
