using System.Security.Cryptography.X509Certificates;
using Injector.Webhook.Certificates;
using Injector.Webhook.Tests.Fakes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Injector.Webhook.Tests;

/// <summary>A key that belongs to another certificate (a stale key, a rotation that has written one file of two)
/// is a message and a not-ready or unchanged webhook, never the end of the process: with EC keys it used to be an
/// unhandled ArgumentException at start-up (exit 134).</summary>
public sealed class CertificateKeyMismatchTests
{
    private const string Mismatch = "do not hold a matching PEM certificate and key: The provided key does not match the public key for this certificate. (Parameter 'privateKey')";

    /// <summary>Two serving certificates of one CA, the first written as tls.crt, tls.key and ca.crt.</summary>
    private static (X509Certificate2 Ca, X509Certificate2 First, X509Certificate2 Second) Issue(TempDir dir)
    {
        var ca = CertificateStore.CreateCa("CN=mismatch CA");
        var first = CertificateStore.IssueServing(ca, ["localhost"], DateTimeOffset.UtcNow.AddDays(30));
        dir.WriteTls(first, ca);
        return (ca, first, CertificateStore.IssueServing(ca, ["localhost"], DateTimeOffset.UtcNow.AddDays(60)));
    }

    private static CertificateStore Open(TempDir dir) =>
        CertificateStore.Create(new WebhookOptions { TlsCertFile = dir.File("tls.crt"), TlsKeyFile = dir.File("tls.key") }, NullLogger.Instance);

    [Fact]
    public void At_start_up_the_key_of_another_certificate_leaves_no_certificate_and_says_why()
    {
        using var dir = new TempDir();
        var (_, _, other) = Issue(dir);
        File.WriteAllText(dir.File("tls.key"), TlsFiles.KeyPem(other));

        var store = Open(dir);

        Assert.Null(store.Current);
        Assert.Equal(new CertificateStore.ReloadOutcome(false, $"{dir.File("tls.crt")} and {dir.File("tls.key")} {Mismatch}"), store.Reload());
    }

    /// <summary>docs/operations.md: files it cannot use get "the error-level line `cannot load the serving certificate
    /// yet (not ready until it loads): …`". When they appeared only after start-up (cert-manager had not issued the
    /// certificate yet) the watcher's line was a warning, "serving certificate not reloaded, keeping the current one",
    /// with no certificate to keep.</summary>
    [Fact]
    public void Files_that_appear_after_start_up_with_the_key_of_another_certificate_are_the_error_line_of_a_webhook_not_ready()
    {
        using var dir = new TempDir();
        var store = Open(dir);
        Assert.Null(store.Current);
        var (_, _, other) = Issue(dir);
        File.WriteAllText(dir.File("tls.key"), TlsFiles.KeyPem(other));

        var line = JsonLineLoggerTests.Capture(f => new CertificateWatcher(store, new(), f.CreateLogger<CertificateWatcher>()).ReloadOnce());

        var error = $"{dir.File("tls.crt")} and {dir.File("tls.key")} {Mismatch}";
        Assert.Equal(
            $$"""{"time":"2026-11-25T20:15:30.123Z","level":"error","category":"Injector.Webhook.Certificates.CertificateWatcher","message":"cannot load the serving certificate yet (not ready until it loads): {{error}}","error":"{{error}}"}""" + "\n",
            line);
        Assert.Null(store.Current);
    }

    [Fact]
    public void A_rotation_that_has_written_only_the_new_key_keeps_the_certificate_served_until_both_files_match()
    {
        using var dir = new TempDir();
        var (ca, first, second) = Issue(dir);
        var store = Open(dir);
        Assert.Equal(first.Thumbprint, store.Current?.Thumbprint);

        File.WriteAllText(dir.File("tls.key"), TlsFiles.KeyPem(second));
        var halfWritten = store.Reload();
        dir.WriteTls(second, ca);
        var written = store.Reload();

        Assert.Equal(new CertificateStore.ReloadOutcome(false, $"{dir.File("tls.crt")} and {dir.File("tls.key")} {Mismatch}"), halfWritten);
        Assert.Equal(new CertificateStore.ReloadOutcome(true, null), written);
        Assert.Equal(second.Thumbprint, store.Current?.Thumbprint);
    }
}
