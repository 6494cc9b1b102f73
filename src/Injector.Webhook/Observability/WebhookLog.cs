namespace Injector.Webhook.Observability;

/// <summary>Every line the webhook logs, source-generated (no formatting or boxing unless the level is on),
/// each with its own event id. The category is the caller's logger; the JSON line gets one field per
/// placeholder (docs/operations.md), so renaming a placeholder renames a field.</summary>
public static partial class WebhookLog
{
    // 1–9: admission.
    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "admission {Uid} {Namespace}/{Workload}: {Decision} ({Reason}) {Detail} in {DurationMs} ms, dryRun={DryRun}")]
    // "Namespace", not "@namespace": with more than six values the generator names the field after the
    // parameter as written, so "@namespace" would become the JSON field "@namespace".
    public static partial void Decision(ILogger logger, string uid, string Namespace, string? workload, string decision, string reason, string detail, double durationMs, bool dryRun);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "admission {Uid} failed")]
    public static partial void AdmissionFailed(ILogger logger, Exception exception, string uid);

    // 10–19: the serving certificate.
    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "serving certificate {Subject} from {CertFile}, valid until {NotAfter:O}")]
    public static partial void CertificateLoaded(ILogger logger, string subject, string certFile, DateTime notAfter);

    [LoggerMessage(EventId = 11, Level = LogLevel.Error, Message = "cannot load the serving certificate yet (not ready until it loads): {Error}")]
    public static partial void CertificateNotLoaded(ILogger logger, string error);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "no --tls-cert-file given: serving an in-memory certificate for localhost signed by a throw-away CA")]
    public static partial void SelfSignedCertificate(ILogger logger);

    [LoggerMessage(EventId = 13, Level = LogLevel.Information, Message = "serving certificate reloaded: {Subject}, valid until {NotAfter:O}")]
    public static partial void CertificateReloaded(ILogger logger, string subject, DateTime notAfter);

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
}
