using System.Net;
using System.Security.Authentication;
using Microsoft.AspNetCore.Connections;

namespace Injector.Webhook.Observability;

/// <summary>Why a TLS handshake failed, in a bounded set of reasons an operator can act on, read from the
/// exception TLS reported (OpenSSL's message names the alert the client sent).</summary>
public static class HandshakeFailure
{
    /// <summary>The client does not trust the serving certificate: the most common webhook outage (a caBundle
    /// that is not the serving CA), which the API server reports as "x509: certificate signed by unknown authority".</summary>
    public const string CertificateRejected = "certificate-rejected";
    /// <summary>The client offers only TLS versions below 1.2.</summary>
    public const string ProtocolVersion = "protocol-version";
    /// <summary>No cipher suite or signature algorithm in common.</summary>
    public const string NoSharedCipher = "no-shared-cipher";
    /// <summary>The client does not speak TLS at all (plain HTTP to the HTTPS port).</summary>
    public const string NotTls = "not-tls";
    /// <summary>The webhook has no serving certificate yet (its files are missing).</summary>
    public const string NoCertificate = "no-certificate";
    /// <summary>The handshake did not finish within Kestrel's handshake timeout.</summary>
    public const string Timeout = "timeout";
    /// <summary>The client closed the connection during the handshake (port probes do this).</summary>
    public const string Closed = "closed";
    public const string Other = "other";

    public static readonly IReadOnlyList<string> Reasons = [CertificateRejected, ProtocolVersion, NoSharedCipher, NotTls, NoCertificate, Timeout, Closed, Other];

    /// <summary>The message of the exception the webhook throws when a client connects before a certificate is loaded.</summary>
    public const string NoCertificateMessage = "no serving certificate is loaded yet";

    // OpenSSL's words for the alerts a client sends when it rejects the server's certificate.
    private static readonly string[] RejectionAlerts =
        ["unknown ca", "bad certificate", "certificate unknown", "certificate expired", "certificate revoked", "unsupported certificate", "access denied"];

    /// <summary>The reason, what it means, and the TLS library's own words.</summary>
    public readonly record struct Classified(string Reason, string Detail, string Error);

    /// <summary>Classifies a handshake that ended with <paramref name="exception"/> (null: it timed out);
    /// <paramref name="certificateOffered"/>: the client's hello had been answered with the serving certificate.</summary>
    public static Classified Classify(Exception? exception, bool certificateOffered = false)
    {
        if (exception is null or OperationCanceledException)
            return new(Timeout, "the handshake did not finish in time", exception?.Message ?? "timed out");
        var error = Innermost(exception).Message;
        var all = string.Join(" | ", Chain(exception).Select(e => e.Message));
        if (all.Contains(NoCertificateMessage, StringComparison.Ordinal))
            return new(NoCertificate, "no serving certificate is loaded yet (see /readyz)", error);
        var alert = RejectionAlerts.FirstOrDefault(a => all.Contains("alert " + a, StringComparison.OrdinalIgnoreCase));
        if (alert == "certificate expired")
            return new(CertificateRejected,
                "the client rejected the serving certificate as expired or not yet valid (TLS alert \"certificate expired\"); renew it, or check the clocks of the client and of this node",
                error);
        if (alert is not null)
            return new(CertificateRejected,
                $"the client rejected the serving certificate (TLS alert \"{alert}\"); if the client is the API server, the caBundle of the MutatingWebhookConfiguration is not the CA that signed the serving certificate",
                error);
        if (Contains(all, "unsupported protocol", "alert protocol version", "version too low"))
            return new(ProtocolVersion, "the client offered no TLS version the webhook accepts (TLS 1.2 and later, or what --tls-min-version sets)", error);
        if (Contains(all, "no shared cipher", "no suitable signature algorithm", "no cipher match"))
            return new(NoSharedCipher, "the client and the webhook have no cipher suite or signature algorithm in common", error);
        if (Contains(all, "frame size or a corrupted frame", "http request", "wrong version number", "packet length too long", "record layer failure"))
            return new(NotTls, "the client did not speak TLS (plain HTTP to the HTTPS port?)", error);
        if (exception is not AuthenticationException || Chain(exception).Any(e => e is IOException or ConnectionResetException)
            || Contains(all, "unexpected EOF", "0 bytes from the transport stream", "connection reset"))
        {
            // A client that rejects the certificate sends an alert and hangs up, often before it has read the
            // rest of the server's flight, so its kernel resets the connection and the alert may never be read:
            // hanging up right after the certificate is the same failure, seen from here.
            return certificateOffered
                ? new(CertificateRejected,
                    "the client hung up after receiving the serving certificate, without finishing the handshake; if the client is the API server, the caBundle of the MutatingWebhookConfiguration is most likely not the CA that signed the serving certificate",
                    error)
                : new(Closed, "the client closed the connection during the handshake", error);
        }
        return new(Other, "the handshake failed", error);
    }

    /// <summary>Failures an operator should look at are warnings; timeouts and early closes (probes, scans) are information.</summary>
    public static LogLevel Level(string reason) => reason is Timeout or Closed ? LogLevel.Information : LogLevel.Warning;

    /// <summary>"address:port" of a client, as operators read it in the API server's logs and Service endpoints.</summary>
    public static string Address(EndPoint? endpoint) => endpoint switch
    {
        IPEndPoint { Address.IsIPv4MappedToIPv6: true } mapped => $"{mapped.Address.MapToIPv4()}:{mapped.Port}",
        null => "unknown",
        _ => endpoint.ToString() ?? "unknown",
    };

    private static bool Contains(string text, params string[] words) => words.Any(w => text.Contains(w, StringComparison.OrdinalIgnoreCase));

    private static IEnumerable<Exception> Chain(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException) yield return e;
    }

    private static Exception Innermost(Exception exception) => Chain(exception).Last();
}
