using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Text.RegularExpressions;
using Injector.Core.Admission;
using Injector.Core.Injection;
using Injector.Webhook.Observability;
using k8s;
using k8s.Models;

namespace Injector.Webhook.Kubernetes;

/// <summary>What the webhook knows about the cluster, kept up to date in the background so that an
/// admission reads it without I/O: the <c>appmesh.k8s.aws/*</c> annotations and labels of every namespace
/// (a list, then a watch, restarted with backoff) and the API server's version (native sidecars).</summary>
public sealed partial class KubernetesClusterState(KubernetesApi api, ILogger<KubernetesClusterState> logger) : BackgroundService, IClusterState
{
    public static readonly TimeSpan VersionRefresh = TimeSpan.FromMinutes(10);
    /// <summary>The server ends a watch after this long; the client then resumes from the last resourceVersion.</summary>
    public const int WatchSeconds = 300;

    // One immutable record per namespace, replaced whole: labels and annotations always of the same version.
    private readonly ConcurrentDictionary<string, NamespaceInfo> _namespaces = new(StringComparer.Ordinal);
    private volatile bool _nativeSidecars;
    private volatile string? _serverVersion;
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstVersionAnswer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<string, Lazy<Task<V1Namespace>>> _reads = new(StringComparer.Ordinal);

    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The namespace's <c>appmesh.k8s.aws/*</c> labels and annotations as the cache holds them now, or
    /// null when the cache does not know it.</summary>
    public NamespaceInfo? CachedNamespace(string @namespace) =>
        _namespaces.TryGetValue(@namespace, out var known) ? known : null;

    /// <summary>From the cache; a namespace the cache does not know although it has been listed (created
    /// after the list, its watch event not here yet) is read from the API, within the admission's deadline,
    /// and remembered; concurrent admissions in that namespace share one read. Without an answer the pod
    /// gets no namespace defaults, and the log says so.</summary>
    public async ValueTask<NamespaceInfo?> NamespaceAsync(string @namespace, CancellationToken cancellationToken)
    {
        var cached = CachedNamespace(@namespace);
        if (cached is not null || !NamespacesSynced.IsCompleted) return cached;
        // The shared read is bounded by the API timeout; each admission also stops at its own deadline.
        var read = _reads.GetOrAdd(@namespace, ns => new Lazy<Task<V1Namespace>>(() =>
            api.CallAsync("get-namespace", (c, ct) => c.CoreV1.ReadNamespaceAsync(ns, cancellationToken: ct), CancellationToken.None)));
        try
        {
            return Store(await read.Value.WaitAsync(cancellationToken));
        }
        catch (Exception ex) when (ex is KubernetesApiException || ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            WebhookLog.NamespaceNotRead(logger, @namespace, ex is KubernetesApiException ? ex.Message : "the admission deadline passed first");
            return null;
        }
        finally
        {
            if (read.Value.IsCompleted) _reads.TryRemove(new KeyValuePair<string, Lazy<Task<V1Namespace>>>(@namespace, read));
        }
    }

    public bool NativeSidecarsSupported => _nativeSidecars;

    string? IClusterState.KubernetesVersion => _serverVersion;

    /// <summary>The API server's gitVersion, once known.</summary>
    public string? ServerVersion => _serverVersion;

    /// <summary>Completes when <c>/version</c> has answered (or failed) once: the start-up line waits for it.</summary>
    public Task FirstVersionAnswer => _firstVersionAnswer.Task;

    /// <summary>Completes when the first namespace list has been read.</summary>
    public Task NamespacesSynced => _synced.Task;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(
            Task.Run(() => WatchNamespacesAsync(stoppingToken), stoppingToken),
            Task.Run(() => ProbeVersionAsync(stoppingToken), stoppingToken));

    /// <summary>Asks <c>/version</c> at start-up and every <see cref="VersionRefresh"/>; until it answers, classic.</summary>
    private Task ProbeVersionAsync(CancellationToken stoppingToken) =>
        RetryLoop.RunAsync(
            attempt: async ct =>
            {
                var version = await api.CallAsync("get-version", (c, token) => c.Version.GetCodeAsync(token), ct);
                var native = SupportsNativeSidecars(version.Major, version.Minor);
                // The first answer is in the start-up line; a later change (an upgrade of the control plane) gets its own.
                if (_serverVersion != version.GitVersion && FirstVersionAnswer.IsCompleted)
                    WebhookLog.ApiServerVersion(logger, version.GitVersion, native ? "supported" : "not supported (needs 1.29)");
                _serverVersion = version.GitVersion;
                _nativeSidecars = native;
                _firstVersionAnswer.TrySetResult();
                return VersionRefresh;
            },
            retryable: ex => ex is KubernetesApiException,
            onFailure: (ex, _) =>
            {
                WebhookLog.ApiServerVersionUnknown(logger, ex.Message, _nativeSidecars ? "native" : "classic");
                _firstVersionAnswer.TrySetResult();
            },
            new Backoff(MinBackoff, MaxBackoff),
            wait: Task.Delay,
            stoppingToken);

    /// <summary>Whether a server reporting <paramref name="major"/>.<paramref name="minor"/> has native
    /// sidecars (1.29 and later); minors like <c>29+</c> (EKS, GKE) count by their digits.</summary>
    public static bool SupportsNativeSidecars(string? major, string? minor)
    {
        static int Digits(string? s) => s is null ? -1 : Leading().Match(s) is { Success: true } m ? int.Parse(m.Value) : -1;
        var (ma, mi) = (Digits(major), Digits(minor));
        return ma > 1 || (ma == 1 && mi >= 29);
    }

    [GeneratedRegex("^[0-9]+")]
    private static partial Regex Leading();

    private Task WatchNamespacesAsync(CancellationToken stoppingToken)
    {
        string? resourceVersion = null;
        return RetryLoop.RunAsync(
            attempt: async ct =>
            {
                if (resourceVersion is null)
                {
                    var list = await api.CallAsync("list-namespaces", (c, token) => c.CoreV1.ListNamespaceAsync(cancellationToken: token), ct);
                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var ns in list.Items) { Store(ns); seen.Add(ns.Metadata.Name); }
                    foreach (var gone in _namespaces.Keys.Where(k => !seen.Contains(k)).ToList()) Forget(gone);
                    resourceVersion = list.Metadata?.ResourceVersion ?? "";
                    _synced.TrySetResult();
                }
                resourceVersion = await WatchOnceAsync(resourceVersion, ct);
                return TimeSpan.Zero; // the next watch starts at once
            },
            retryable: ex => ex is KubernetesApiException or ResourceExpiredException or KubernetesException or HttpRequestException or IOException or System.Text.Json.JsonException or k8s.Autorest.HttpOperationException,
            onFailure: (ex, backoff) =>
            {
                // Namespaces are few: after any failure list again rather than trust a possibly stale resourceVersion.
                resourceVersion = null;
                WebhookLog.NamespaceWatchInterrupted(logger, ex.Message, backoff);
            },
            new Backoff(MinBackoff, MaxBackoff),
            wait: Task.Delay,
            stoppingToken);
    }

    private sealed class ResourceExpiredException(string message) : Exception(message);

    /// <summary>Follows one watch from <paramref name="resourceVersion"/> until the server ends it; returns the
    /// last resourceVersion seen. A 410 Gone (history compacted) throws so that the caller lists again.</summary>
    private async Task<string> WatchOnceAsync(string resourceVersion, CancellationToken stoppingToken)
    {
        // The stream is long-lived by design, so it is bounded by the server's timeoutSeconds, not the API timeout.
        var failed = true;
        try
        {
            await foreach (var (type, ns) in api.Client.CoreV1.WatchListNamespaceAsync(
                allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: WatchSeconds, cancellationToken: stoppingToken))
            {
                switch (type)
                {
                    case WatchEventType.Added:
                    case WatchEventType.Modified:
                        Store(ns);
                        break;
                    case WatchEventType.Deleted:
                        Forget(ns.Metadata.Name);
                        break;
                    case WatchEventType.Error:
                        throw new ResourceExpiredException("the watch ended with an error event (resourceVersion too old)");
                }
                if (ns.Metadata?.ResourceVersion is { Length: > 0 } rv) resourceVersion = rv;
            }
            failed = false;
        }
        finally
        {
            if (!stoppingToken.IsCancellationRequested) api.Record("watch-namespaces", failed);
        }
        return resourceVersion;
    }

    private NamespaceInfo Store(V1Namespace ns)
    {
        static FrozenDictionary<string, string> Ours(IDictionary<string, string>? map) =>
            (map ?? new Dictionary<string, string>())
                .Where(a => a.Key.StartsWith(AnnotationKeys.Prefix, StringComparison.Ordinal))
                .ToFrozenDictionary(StringComparer.Ordinal);
        var known = new NamespaceInfo(Ours(ns.Metadata.Labels), Ours(ns.Metadata.Annotations));
        _namespaces[ns.Metadata.Name] = known;
        return known;
    }

    private void Forget(string @namespace) => _namespaces.TryRemove(@namespace, out _);
}
