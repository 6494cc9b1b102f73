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
        ["CertificateOutOfDate"] = (
            l => WebhookLog.CertificateOutOfDate(l, "CN=appmesh-inject", NotAfter.AddYears(-1), NotAfter),
            l => l.LogWarning("serving certificate {Subject} is not valid now (valid from {NotBefore:O} until {NotAfter:O}): the API server rejects it and every review fails; renew it (or check the node's clock)", "CN=appmesh-inject", NotAfter.AddYears(-1), NotAfter)),
        ["NoCipherSuiteFitsKey"] = (
            l => WebhookLog.NoCipherSuiteFitsKey(l, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDSA", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
            l => l.LogWarning("none of the TLS 1.2 cipher suites of --tls-cipher-suite ({Suites}) fits the serving certificate's {KeyType} key, so TLS 1.2 clients cannot connect (TLS 1.3 ones, the API server among them, still can); add one such as {Suggested}", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDSA", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")),
        ["CipherSuitesNotOffered"] = (
            l => WebhookLog.CipherSuitesNotOffered(l, "TLS_RSA_WITH_RC4_128_SHA"),
            l => l.LogWarning("--tls-cipher-suite names {Suites}, which this system's TLS library does not offer: left out, so TLS 1.2 clients that offer only these cannot connect (TLS 1.3 ones, the API server among them, still can)", "TLS_RSA_WITH_RC4_128_SHA")),
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

    /// <summary>Lines added since the move to generated methods (issue 14), each written out in full.</summary>
    private static readonly Dictionary<string, (Action<ILogger> Log, string Line)> Added = new()
    {
        ["AdmissionFailed"] = (
            l => WebhookLog.AdmissionFailed(l, Boom, "u-2", "InvalidOperationException: boom", "Fail", "the pod is refused", 3),
            """{"time":"2026-11-25T20:15:30.123Z","level":"error","category":"Test","message":"admission u-2 failed inside the injector: InvalidOperationException: boom; failure policy Fail: the pod is refused","uid":"u-2","error":"InvalidOperationException: boom","failurePolicy":"Fail","outcome":"the pod is refused","suppressed":3,"exception":"System.InvalidOperationException: boom"}"""),
        ["InMemoryCaBundle"] = (
            l => WebhookLog.InMemoryCaBundle(l, "Q0E="),
            """{"time":"2026-11-25T20:15:30.123Z","level":"info","category":"Test","message":"in-memory CA generated: the caBundle field holds its base64 PEM, for the caBundle of a MutatingWebhookConfiguration that calls this webhook","caBundle":"Q0E="}"""),
        ["HandshakeFailed"] = (
            l => WebhookLog.HandshakeFailed(l, LogLevel.Warning, "10.0.0.7:43210", "not-tls", "the client did not speak TLS (plain HTTP to the HTTPS port?)", "Cannot determine the frame size or a corrupted frame was received.", 0),
            """{"time":"2026-11-25T20:15:30.123Z","level":"warning","category":"Test","message":"TLS handshake error from 10.0.0.7:43210 (not-tls): the client did not speak TLS (plain HTTP to the HTTPS port?)","remoteAddress":"10.0.0.7:43210","reason":"not-tls","detail":"the client did not speak TLS (plain HTTP to the HTTPS port?)","error":"Cannot determine the frame size or a corrupted frame was received.","suppressed":0}"""),
        ["ClientProblem"] = (
            l => WebhookLog.ClientProblem(l, LogLevel.Information, "10.0.0.7:43210", "aborted", "the client closed the connection before its review had arrived", "connection closed", 12),
            """{"time":"2026-11-25T20:15:30.123Z","level":"info","category":"Test","message":"request from 10.0.0.7:43210 not answered (aborted): the client closed the connection before its review had arrived","remoteAddress":"10.0.0.7:43210","problem":"aborted","detail":"the client closed the connection before its review had arrived","error":"connection closed","suppressed":12}"""),
        ["RequestRefused"] = (
            l => WebhookLog.RequestRefused(l, "10.0.0.7:43210", 413, "body is over the 4194304-byte limit", 7),
            """{"time":"2026-11-25T20:15:30.123Z","level":"warning","category":"Test","message":"request from 10.0.0.7:43210 refused with 413: body is over the 4194304-byte limit","remoteAddress":"10.0.0.7:43210","status":413,"detail":"body is over the 4194304-byte limit","suppressed":7}"""),
        ["ReviewUndecided"] = (
            l => WebhookLog.ReviewUndecided(l, "10.0.0.7:43210", 429, "the pod is admitted without a sidecar (failure policy Ignore)", "appmesh-inject is busy", 2),
            """{"time":"2026-11-25T20:15:30.123Z","level":"warning","category":"Test","message":"review from 10.0.0.7:43210 not decided (429); the pod is admitted without a sidecar (failure policy Ignore): appmesh-inject is busy","remoteAddress":"10.0.0.7:43210","status":429,"outcome":"the pod is admitted without a sidecar (failure policy Ignore)","detail":"appmesh-inject is busy","suppressed":2}"""),
        ["Started"] = (
            l => WebhookLog.Started(l, "0.1.0", 8443, ":8080", "demo", "us-west-2", "auto (native)", "Fail", "192 MiB", "workstation GC, ConserveMemory 7, gen0 budget at most 6 MiB", "32 MiB", "64 MiB", "https://10.100.0.1:443", "v1.31.4-eks-2d5f260", "in-cluster configuration"),
            """{"time":"2026-11-25T20:15:30.123Z","level":"info","category":"Test","message":"appmesh-inject 0.1.0 started: HTTPS on :8443, metrics and health on :8080; mesh demo, region us-west-2, sidecar mode auto (native), failure policy Fail; memory 192 MiB for the heap (workstation GC, ConserveMemory 7, gen0 budget at most 6 MiB), of which reviews in flight may hold 32 MiB arriving and 64 MiB being decided; Kubernetes API https://10.100.0.1:443 version v1.31.4-eks-2d5f260 (in-cluster configuration)","version":"0.1.0","port":8443,"metricsAddress":":8080","mesh":"demo","region":"us-west-2","sidecarMode":"auto (native)","failurePolicy":"Fail","heapLimit":"192 MiB","gc":"workstation GC, ConserveMemory 7, gen0 budget at most 6 MiB","arrivingBudget":"32 MiB","decidingBudget":"64 MiB","apiServer":"https://10.100.0.1:443","apiServerVersion":"v1.31.4-eks-2d5f260","kubeconfig":"in-cluster configuration"}"""),
        ["StartedWithoutCluster"] = (
            l => WebhookLog.StartedWithoutCluster(l, "0.1.0", 8443, "the HTTPS port", "demo", "us-west-2", "classic", "Ignore", "192 MiB", "workstation GC, ConserveMemory 7, gen0 budget at most 6 MiB", "32 MiB", "64 MiB"),
            """{"time":"2026-11-25T20:15:30.123Z","level":"info","category":"Test","message":"appmesh-inject 0.1.0 started: HTTPS on :8443, metrics and health on the HTTPS port; mesh demo, region us-west-2, sidecar mode classic, failure policy Ignore; memory 192 MiB for the heap (workstation GC, ConserveMemory 7, gen0 budget at most 6 MiB), of which reviews in flight may hold 32 MiB arriving and 64 MiB being decided; no Kubernetes API (not in a cluster and no --kubeconfig)","version":"0.1.0","port":8443,"metricsAddress":"the HTTPS port","mesh":"demo","region":"us-west-2","sidecarMode":"classic","failurePolicy":"Ignore","heapLimit":"192 MiB","gc":"workstation GC, ConserveMemory 7, gen0 budget at most 6 MiB","arrivingBudget":"32 MiB","decidingBudget":"64 MiB"}"""),
        ["CannotServe"] = (
            l => WebhookLog.CannotServe(l, "Failed to bind to address https://[::]:8443: address already in use."),
            """{"time":"2026-11-25T20:15:30.123Z","level":"critical","category":"Test","message":"cannot serve: Failed to bind to address https://[::]:8443: address already in use.","error":"Failed to bind to address https://[::]:8443: address already in use."}"""),
        ["InvalidConfiguration"] = (
            l => WebhookLog.InvalidConfiguration(l, "a; b", ["a", "b"]),
            """{"time":"2026-11-25T20:15:30.123Z","level":"critical","category":"Test","message":"invalid configuration: a; b","problems":"a; b","errors":["a","b"]}"""),
    };

    public static TheoryData<string> AddedNames => [.. Added.Keys];

    [Theory]
    [MemberData(nameof(AddedNames))]
    public void An_added_line_is_written_exactly(string name)
    {
        var (log, line) = Added[name];

        Assert.Equal(line + "\n", Line(log));
    }

    [Fact]
    public void Every_log_method_is_compared_with_the_call_it_replaced_or_written_out()
    {
        var methods = typeof(WebhookLog).GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Select(m => m.Name).Where(m => m is not (nameof(WebhookLog.Decision) or nameof(WebhookLog.Injected))).Order();

        Assert.Equal(methods, Cases.Keys.Concat(Added.Keys).Order());
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
