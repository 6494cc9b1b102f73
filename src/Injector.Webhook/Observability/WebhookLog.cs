namespace Injector.Webhook.Observability;

/// <summary>Every line the webhook logs, source-generated (no formatting or boxing unless the level is on),
/// each with its own event id. The category is the caller's logger; the JSON line gets one field per
/// placeholder (docs/operations.md), so renaming a placeholder renames a field.</summary>
public static partial class WebhookLog
{
    // 1–9: admission. The decision lines' message reads without repeating itself ("injected into mesh demo…",
    // "denied (invalid-annotation): …"); the JSON line still has every field: the generator adds parameters the
    // message does not name as fields (named as written), which is what SYSLIB1015 would warn about.
#pragma warning disable SYSLIB1015
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "admission {Uid} {Namespace}/{Workload}: {Detail} in {DurationMs} ms")]
    // "Namespace", not "@namespace": with more than six values the generator names the field after the
    // parameter as written, so "@namespace" would become the JSON field "@namespace".
    public static partial void Injected(ILogger logger, string uid, string Namespace, string? workload, string decision, string reason, string detail, double durationMs, bool dryRun, IReadOnlyList<string> warnings);

    [LoggerMessage(EventId = 3, Message = "admission {Uid} {Namespace}/{Workload}: {Decision} ({Reason}): {Detail} in {DurationMs} ms")]
    public static partial void Decision(ILogger logger, LogLevel level, string uid, string Namespace, string? workload, string decision, string reason, string detail, double durationMs, bool dryRun, IReadOnlyList<string> warnings);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "admission {Uid} failed inside the injector: {Error}; failure policy {FailurePolicy}: {Outcome}")]
    public static partial void AdmissionFailed(ILogger logger, Exception exception, string uid, string error, string failurePolicy, string outcome, int suppressed);
#pragma warning restore SYSLIB1015

    // 10–19: the serving certificate.
    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "serving certificate {Subject} from {CertFile}, valid until {NotAfter:O}")]
    public static partial void CertificateLoaded(ILogger logger, string subject, string certFile, DateTime notAfter);

    [LoggerMessage(EventId = 11, Level = LogLevel.Error, Message = "cannot load the serving certificate yet (not ready until it loads): {Error}")]
    public static partial void CertificateNotLoaded(ILogger logger, string error);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "no --tls-cert-file given: serving an in-memory certificate for localhost signed by a throw-away CA")]
    public static partial void SelfSignedCertificate(ILogger logger);

#pragma warning disable SYSLIB1015 // the CA bundle is a field of its own: too long for the message
    [LoggerMessage(EventId = 17, Level = LogLevel.Information,
        Message = "in-memory CA generated: the caBundle field holds its base64 PEM, for the caBundle of a MutatingWebhookConfiguration that calls this webhook")]
    public static partial void InMemoryCaBundle(ILogger logger, string caBundle);
#pragma warning restore SYSLIB1015

    [LoggerMessage(EventId = 13, Level = LogLevel.Information, Message = "serving certificate reloaded: {Subject}, valid until {NotAfter:O}")]
    public static partial void CertificateReloaded(ILogger logger, string subject, DateTime notAfter);

    [LoggerMessage(EventId = 18, Level = LogLevel.Warning,
        Message = "serving certificate {Subject} is not valid now (valid from {NotBefore:O} until {NotAfter:O}): the API server rejects it and every review fails; renew it (or check the node's clock)")]
    public static partial void CertificateOutOfDate(ILogger logger, string subject, DateTime notBefore, DateTime notAfter);

    [LoggerMessage(EventId = 19, Level = LogLevel.Warning,
        Message = "none of the TLS 1.2 cipher suites of --tls-cipher-suite ({Suites}) fits the serving certificate's {KeyType} key, so TLS 1.2 clients cannot connect (TLS 1.3 ones, the API server among them, still can); add one such as {Suggested}")]
    public static partial void NoCipherSuiteFitsKey(ILogger logger, string suites, string keyType, string suggested);

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "serving certificate not reloaded, keeping the current one: {Error}")]
    public static partial void CertificateNotReloaded(ILogger logger, string error);

    [LoggerMessage(EventId = 15, Level = LogLevel.Warning, Message = "cannot watch {Directory} ({Error}); polling every {Interval}")]
    public static partial void CertificateDirectoryNotWatched(ILogger logger, string directory, string error, TimeSpan interval);

    [LoggerMessage(EventId = 16, Level = LogLevel.Warning, Message = "certificate directory watch failed; polling every {Interval}")]
    public static partial void CertificateWatchFailed(ILogger logger, Exception exception, TimeSpan interval);

    // 20–29: the Kubernetes API.
    [LoggerMessage(EventId = 20, Level = LogLevel.Warning,
        Message = "no Kubernetes API: not in a cluster and no --kubeconfig; ReplicaSet and Job owners are not looked up, namespaces give no defaults, no Events are sent, and --sidecar-mode auto means classic")]
    public static partial void NoKubernetesApi(ILogger logger);

    [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "Kubernetes API server {Version}: native sidecars {Support}")]
    public static partial void ApiServerVersion(ILogger logger, string version, string support);

    [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "cannot read the API server version ({Error}); --sidecar-mode auto keeps its last answer ({Mode})")]
    public static partial void ApiServerVersionUnknown(ILogger logger, string error, string mode);

    [LoggerMessage(EventId = 23, Level = LogLevel.Warning, Message = "namespace watch interrupted ({Error}); retrying in {Backoff}")]
    public static partial void NamespaceWatchInterrupted(ILogger logger, string error, TimeSpan backoff);

    [LoggerMessage(EventId = 24, Level = LogLevel.Warning,
        Message = "namespace {Namespace} is not cached and cannot be read ({Error}): its appmesh.k8s.aws annotations are not applied to this pod")]
    public static partial void NamespaceNotRead(ILogger logger, string @namespace, string error);

    [LoggerMessage(EventId = 25, Level = LogLevel.Information, Message = "caBundle of MutatingWebhookConfiguration {Name} updated for {Count} webhook(s)")]
    public static partial void CaBundleUpdated(ILogger logger, string name, int count);

    [LoggerMessage(EventId = 26, Level = LogLevel.Warning, Message = "cannot update caBundle of MutatingWebhookConfiguration {Name} ({Error}); retrying in {Backoff}")]
    public static partial void CaBundleNotUpdated(ILogger logger, string name, string error, TimeSpan backoff);

    // 30–39: Events.
    [LoggerMessage(EventId = 30, Level = LogLevel.Warning, Message = "event queue full ({Capacity}): Event for {Kind} {Namespace}/{Name} dropped")]
    public static partial void EventDropped(ILogger logger, int capacity, string? kind, string @namespace, string? name);

    [LoggerMessage(EventId = 31, Level = LogLevel.Warning, Message = "cannot record Event on {Kind} {Namespace}/{Name}: {Error}")]
    public static partial void EventNotRecorded(ILogger logger, string? kind, string @namespace, string? name, string error);

    [LoggerMessage(EventId = 32, Level = LogLevel.Debug, Message = "no uid for {Kind} {Namespace}/{Name}: {Error}")]
    public static partial void EventOwnerUidUnknown(ILogger logger, string kind, string @namespace, string name, string error);

    // 40–49: connections and requests that never reach a decision (rate-limited by the callers).
#pragma warning disable SYSLIB1015 // error (the TLS library's words) and suppressed are fields only
    [LoggerMessage(EventId = 40, Message = "TLS handshake error from {RemoteAddress} ({Reason}): {Detail}")]
    public static partial void HandshakeFailed(ILogger logger, LogLevel level, string remoteAddress, string reason, string detail, string error, int suppressed);

    [LoggerMessage(EventId = 41, Message = "request from {RemoteAddress} not answered ({Problem}): {Detail}")]
    public static partial void ClientProblem(ILogger logger, LogLevel level, string remoteAddress, string problem, string detail, string error, int suppressed);

    [LoggerMessage(EventId = 42, Level = LogLevel.Warning, Message = "request from {RemoteAddress} refused with {Status}: {Detail}")]
    public static partial void RequestRefused(ILogger logger, string remoteAddress, int status, string detail, int suppressed);

    [LoggerMessage(EventId = 43, Level = LogLevel.Warning, Message = "review from {RemoteAddress} not decided ({Status}); {Outcome}: {Detail}")]
    public static partial void ReviewUndecided(ILogger logger, string remoteAddress, int status, string outcome, string detail, int suppressed);
#pragma warning restore SYSLIB1015

    // 50–59: the process.
    [LoggerMessage(EventId = 50, Level = LogLevel.Information,
        Message = "appmesh-inject {Version} started: HTTPS on :{Port}, metrics and health on {MetricsAddress}; mesh {Mesh}, region {Region}, sidecar mode {SidecarMode}, failure policy {FailurePolicy}; memory {HeapLimit} for the heap ({Gc}), of which reviews in flight may hold {ArrivingBudget} arriving and {DecidingBudget} being decided; Kubernetes API {ApiServer} version {ApiServerVersion} ({Kubeconfig})")]
    public static partial void Started(ILogger logger, string version, int port, string metricsAddress, string mesh, string region, string sidecarMode, string failurePolicy, string heapLimit, string gc, string arrivingBudget, string decidingBudget, string apiServer, string apiServerVersion, string kubeconfig);

    [LoggerMessage(EventId = 53, Level = LogLevel.Information,
        Message = "appmesh-inject {Version} started: HTTPS on :{Port}, metrics and health on {MetricsAddress}; mesh {Mesh}, region {Region}, sidecar mode {SidecarMode}, failure policy {FailurePolicy}; memory {HeapLimit} for the heap ({Gc}), of which reviews in flight may hold {ArrivingBudget} arriving and {DecidingBudget} being decided; no Kubernetes API (not in a cluster and no --kubeconfig)")]
    public static partial void StartedWithoutCluster(ILogger logger, string version, int port, string metricsAddress, string mesh, string region, string sidecarMode, string failurePolicy, string heapLimit, string gc, string arrivingBudget, string decidingBudget);

    [LoggerMessage(EventId = 51, Level = LogLevel.Critical, Message = "cannot serve: {Error}")]
    public static partial void CannotServe(ILogger logger, string error);

#pragma warning disable SYSLIB1015 // errors: the same problems as a list
    [LoggerMessage(EventId = 52, Level = LogLevel.Critical, Message = "invalid configuration: {Problems}")]
    public static partial void InvalidConfiguration(ILogger logger, string problems, IReadOnlyList<string> errors);
#pragma warning restore SYSLIB1015

    // A start-up warning about TLS, numbered with the process's lines (10–19 are taken).
    [LoggerMessage(EventId = 54, Level = LogLevel.Warning,
        Message = "--tls-cipher-suite names {Suites}, which this system's TLS library does not offer: left out, so TLS 1.2 clients that offer only these cannot connect (TLS 1.3 ones, the API server among them, still can)")]
    public static partial void CipherSuitesNotOffered(ILogger logger, string suites);
}
