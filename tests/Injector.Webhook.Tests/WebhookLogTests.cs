using Injector.Webhook.Observability;
using Microsoft.Extensions.Logging;

namespace Injector.Webhook.Tests;

/// <summary>The source-generated log lines write the same JSON lines (message, fields, level) as the
/// plain logger calls they replaced, whose templates are written out here as they were.</summary>
public sealed class WebhookLogTests
{
    private static readonly DateTime NotAfter = new(2027, 1, 2, 3, 4, 5, DateTimeKind.Utc);
    private static readonly Exception Boom = new InvalidOperationException("boom");

    private static string Line(Action<ILogger> log) => JsonLineLoggerTests.Capture(f => log(f.CreateLogger("Test")));

    /// <summary>Each generated method beside the call it replaced (the decision line was generated already:
    /// JsonLineLoggerTests checks it).</summary>
    private static readonly Dictionary<string, (Action<ILogger> Generated, Action<ILogger> Replaced)> Cases = new()
    {
        ["AdmissionFailed"] = (
            l => WebhookLog.AdmissionFailed(l, Boom, "u-2"),
            l => l.LogError(Boom, "admission {Uid} failed", "u-2")),
        ["CertificateLoaded"] = (
            l => WebhookLog.CertificateLoaded(l, "CN=appmesh-inject", "/certs/tls.crt", NotAfter),
            l => l.LogInformation("serving certificate {Subject} from {CertFile}, valid until {NotAfter:O}", "CN=appmesh-inject", "/certs/tls.crt", NotAfter)),
        ["CertificateNotLoaded"] = (
            l => WebhookLog.CertificateNotLoaded(l, "no such file"),
            l => l.LogError("cannot load the serving certificate yet (not ready until it loads): {Error}", "no such file")),
        ["SelfSignedCertificate"] = (
            WebhookLog.SelfSignedCertificate,
            l => l.LogWarning("no --tls-cert-file given: serving an in-memory certificate for localhost signed by a throw-away CA")),
        ["CertificateReloaded"] = (
            l => WebhookLog.CertificateReloaded(l, "CN=appmesh-inject", NotAfter),
            l => l.LogInformation("serving certificate reloaded: {Subject}, valid until {NotAfter:O}", "CN=appmesh-inject", NotAfter)),
        ["CertificateNotReloaded"] = (
            l => WebhookLog.CertificateNotReloaded(l, "the key does not match"),
            l => l.LogWarning("serving certificate not reloaded, keeping the current one: {Error}", "the key does not match")),
        ["CertificateDirectoryNotWatched"] = (
            l => WebhookLog.CertificateDirectoryNotWatched(l, "/certs", "denied", TimeSpan.FromSeconds(30)),
            l => l.LogWarning("cannot watch {Directory} ({Error}); polling every {Interval}", "/certs", "denied", TimeSpan.FromSeconds(30))),
        ["CertificateWatchFailed"] = (
            l => WebhookLog.CertificateWatchFailed(l, Boom, TimeSpan.FromSeconds(30)),
            l => l.LogWarning(Boom, "certificate directory watch failed; polling every {Interval}", TimeSpan.FromSeconds(30))),
        ["NoKubernetesApi"] = (
            WebhookLog.NoKubernetesApi,
            l => l.LogWarning("no Kubernetes API: not in a cluster and no --kubeconfig; ReplicaSet and Job owners are not looked up, namespaces give no defaults, no Events are sent, and --sidecar-mode auto means classic")),
        ["ApiServerVersion"] = (
            l => WebhookLog.ApiServerVersion(l, "v1.30.2-eks", "supported"),
            l => l.LogInformation("Kubernetes API server {Version}: native sidecars {Support}", "v1.30.2-eks", "supported")),
        ["ApiServerVersionUnknown"] = (
            l => WebhookLog.ApiServerVersionUnknown(l, "timeout", "classic"),
            l => l.LogWarning("cannot read the API server version ({Error}); --sidecar-mode auto keeps its last answer ({Mode})", "timeout", "classic")),
        ["NamespaceWatchInterrupted"] = (
            l => WebhookLog.NamespaceWatchInterrupted(l, "reset", TimeSpan.FromSeconds(2)),
            l => l.LogWarning("namespace watch interrupted ({Error}); retrying in {Backoff}", "reset", TimeSpan.FromSeconds(2))),
        ["NamespaceNotRead"] = (
            l => WebhookLog.NamespaceNotRead(l, "shop", "the admission deadline passed first"),
            l => l.LogWarning("namespace {Namespace} is not cached and cannot be read ({Error}): its appmesh.k8s.aws annotations are not applied to this pod", "shop", "the admission deadline passed first")),
        ["CaBundleUpdated"] = (
            l => WebhookLog.CaBundleUpdated(l, "appmesh-inject", 2),
            l => l.LogInformation("caBundle of MutatingWebhookConfiguration {Name} updated for {Count} webhook(s)", "appmesh-inject", 2)),
        ["CaBundleNotUpdated"] = (
            l => WebhookLog.CaBundleNotUpdated(l, "appmesh-inject", "forbidden", TimeSpan.FromSeconds(4)),
            l => l.LogWarning("cannot update caBundle of MutatingWebhookConfiguration {Name} ({Error}); retrying in {Backoff}", "appmesh-inject", "forbidden", TimeSpan.FromSeconds(4))),
        ["EventDropped"] = (
            l => WebhookLog.EventDropped(l, 1024, "Deployment", "shop", null),
            l => l.LogWarning("event queue full ({Capacity}): Event for {Kind} {Namespace}/{Name} dropped", 1024, "Deployment", "shop", null)),
        ["EventNotRecorded"] = (
            l => WebhookLog.EventNotRecorded(l, "Deployment", "shop", "web", "forbidden"),
            l => l.LogWarning("cannot record Event on {Kind} {Namespace}/{Name}: {Error}", "Deployment", "shop", "web", "forbidden")),
        ["EventOwnerUidUnknown"] = (
            l => WebhookLog.EventOwnerUidUnknown(l, "Deployment", "shop", "web", "not found"),
            l => l.LogDebug("no uid for {Kind} {Namespace}/{Name}: {Error}", "Deployment", "shop", "web", "not found")),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void A_generated_line_is_the_line_the_plain_call_wrote(string name)
    {
        var (generated, replaced) = Cases[name];

        var line = Line(generated);
        Assert.StartsWith("""{"time":"2026-11-25T20:15:30.123Z","level":""", line);
        Assert.Equal(Line(replaced), line);
    }

    [Fact]
    public void Every_log_method_is_compared_with_the_call_it_replaced()
    {
        var methods = typeof(WebhookLog).GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Select(m => m.Name).Where(m => m != nameof(WebhookLog.Decision)).Order();

        Assert.Equal(methods, Cases.Keys.Order());
    }

    [Fact]
    public void Times_keep_their_round_trip_format_and_waits_their_text()
    {
        Assert.Equal(
            """{"time":"2026-11-25T20:15:30.123Z","level":"info","category":"Test","message":"serving certificate reloaded: CN=appmesh-inject, valid until 2027-01-02T03:04:05.0000000Z","subject":"CN=appmesh-inject","notAfter":"2027-01-02T03:04:05Z"}""" + "\n",
            Line(l => WebhookLog.CertificateReloaded(l, "CN=appmesh-inject", NotAfter)));
        Assert.Equal(
            """{"time":"2026-11-25T20:15:30.123Z","level":"warning","category":"Test","message":"namespace watch interrupted (reset); retrying in 00:00:02","error":"reset","backoff":"00:00:02"}""" + "\n",
            Line(l => WebhookLog.NamespaceWatchInterrupted(l, "reset", TimeSpan.FromSeconds(2))));
    }

    [Fact]
    public void Each_log_line_has_its_own_event_id()
    {
        var ids = typeof(WebhookLog).GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Select(m => m.GetCustomAttributes(typeof(LoggerMessageAttribute), false).Cast<LoggerMessageAttribute>().Single().EventId)
            .ToList();

        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.DoesNotContain(0, ids);
    }
}
