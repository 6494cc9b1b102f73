using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Globalization;
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

    // One immutable entry per namespace, replaced whole: labels and annotations always of the same version, with
    // that version's resourceVersion. Admissions read without a lock; every change is made under _storing.
    private readonly ConcurrentDictionary<string, CachedEntry> _namespaces = new(StringComparer.Ordinal);
    private readonly Lock _storing = new();
    private volatile bool _nativeSidecars;
    private volatile string? _serverVersion;
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstVersionAnswer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<string, PendingRead> _reads = new(StringComparer.Ordinal);

    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The namespace's <c>appmesh.k8s.aws/*</c> labels and annotations as the cache holds them now, or
    /// null when the cache does not know it.</summary>
    public NamespaceInfo? CachedNamespace(string @namespace) =>
        _namespaces.TryGetValue(@namespace, out var known) ? known.Info : null;

    /// <summary>From the cache; a namespace the cache does not know although it has been listed (created
    /// after the list, its watch event not here yet) is read from the API, within the admission's deadline,
    /// and remembered unless the watch has meanwhile stored a newer version or seen it deleted; concurrent
    /// admissions in that namespace share one read. Without an answer the pod gets no namespace defaults,
    /// and the log says so.</summary>
    public async ValueTask<NamespaceInfo?> NamespaceAsync(string @namespace, CancellationToken cancellationToken)
    {
        var cached = CachedNamespace(@namespace);
        if (cached is not null || !NamespacesSynced.IsCompleted) return cached;
        // The shared read (and its store) is bounded by the API timeout; each admission also stops at its own deadline.
        PendingRead read;
        // A finished read is not joined: its answer is in the cache already, or was older than what the cache knows.
        while ((read = _reads.GetOrAdd(@namespace, ns => new PendingRead(pending => ReadAndStoreAsync(ns, pending)))).Task is { IsValueCreated: true, Value.IsCompleted: true })
            _reads.TryRemove(new KeyValuePair<string, PendingRead>(@namespace, read));
        try
        {
            if (await read.Task.Value.WaitAsync(cancellationToken) is { } known) return known;
            WebhookLog.NamespaceNotRead(logger, @namespace, "the watch saw it deleted while it was being read");
            return null;
        }
        catch (Exception ex) when (ex is KubernetesApiException || ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            WebhookLog.NamespaceNotRead(logger, @namespace, ex is KubernetesApiException ? ex.Message : "the admission deadline passed first");
            return null;
        }
        finally
        {
            if (read.Task.Value.IsCompleted) _reads.TryRemove(new KeyValuePair<string, PendingRead>(@namespace, read));
        }
    }

    /// <summary>One GET of a namespace the cache does not know, shared by the admissions that wait for it. A GET
    /// without a resourceVersion is a quorum read: a read sent after the watch has seen a delete answers with the
    /// state after it.</summary>
    private sealed class PendingRead
    {
        public PendingRead(Func<PendingRead, Task<NamespaceInfo?>> start) =>
            Task = new Lazy<Task<NamespaceInfo?>>(() => start(this));

        public Lazy<Task<NamespaceInfo?>> Task { get; }

        /// <summary>Set (under the store lock) when the watch or a list removes the namespace while this read is in
        /// flight: the version of the delete, "" when it carried none.</summary>
        public string? DeletedAt { get; set; }
    }

    private async Task<NamespaceInfo?> ReadAndStoreAsync(string @namespace, PendingRead pending)
    {
        var answer = await api.CallAsync("get-namespace", (c, ct) => c.CoreV1.ReadNamespaceAsync(@namespace, cancellationToken: ct), CancellationToken.None);
        return StoreRead(answer, pending);
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
                    resourceVersion = list.Metadata?.ResourceVersion ?? "";
                    foreach (var ns in list.Items) { StoreWatched(ns); seen.Add(ns.Metadata.Name); }
                    // Cached or being read but not in the list: deleted as of the list's version (a read's newer answer stays).
                    foreach (var gone in _namespaces.Keys.Concat(_reads.Keys).Where(k => !seen.Contains(k)).Distinct().ToList()) Forget(gone, resourceVersion);
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
                        StoreWatched(ns);
                        break;
                    case WatchEventType.Deleted:
                        Forget(ns.Metadata.Name, ns.Metadata.ResourceVersion);
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

    /// <summary>A namespace's cached state with the resourceVersion it was read at.</summary>
    private sealed record CachedEntry(NamespaceInfo Info, string? ResourceVersion);

    /// <summary>Whether resourceVersion <paramref name="version"/> is known to be newer than <paramref name="than"/>.</summary>
    /// <remarks>The cache never goes back in time. Kubernetes calls resourceVersions opaque, but the one order clients
    /// rely on in practice is etcd's revision, an integer: when both versions parse as unsigned integers they are
    /// compared. When either does not, the watch (an ordered stream) wins over a direct read: watch and list store unless
    /// the cache holds a provably newer version, a read stores only over nothing or a provably older version.</remarks>
    public static bool ProvablyNewer(string? version, string? than) =>
        ulong.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var a)
        && ulong.TryParse(than, NumberStyles.None, CultureInfo.InvariantCulture, out var b)
        && a > b;

    private static CachedEntry Entry(V1Namespace ns)
    {
        // Only what the engine reads is kept: our keys, and the label of the Pod Security level the namespace enforces.
        static FrozenDictionary<string, string> Ours(IDictionary<string, string>? map, bool labels) =>
            (map ?? new Dictionary<string, string>())
                .Where(a => a.Key.StartsWith(AnnotationKeys.Prefix, StringComparison.Ordinal) || labels && a.Key == PodSecurity.EnforceLabel)
                .ToFrozenDictionary(StringComparer.Ordinal);
        return new CachedEntry(new NamespaceInfo(Ours(ns.Metadata.Labels, labels: true), Ours(ns.Metadata.Annotations, labels: false)), ns.Metadata.ResourceVersion);
    }

    /// <summary>A namespace from the list or the watch.</summary>
    private void StoreWatched(V1Namespace ns)
    {
        var entry = Entry(ns);
        lock (_storing)
        {
            if (_namespaces.TryGetValue(ns.Metadata.Name, out var current) && ProvablyNewer(current.ResourceVersion, entry.ResourceVersion)) return;
            _namespaces[ns.Metadata.Name] = entry;
        }
    }

    /// <summary>A read's answer: stored when it is newer than what the cache holds and than a delete seen while it was
    /// in flight; returns what the cache holds afterwards (null: deleted).</summary>
    private NamespaceInfo? StoreRead(V1Namespace ns, PendingRead pending)
    {
        var entry = Entry(ns);
        lock (_storing)
        {
            _namespaces.TryGetValue(ns.Metadata.Name, out var current);
            if (current is not null && !ProvablyNewer(entry.ResourceVersion, current.ResourceVersion)
                || pending.DeletedAt is { } deletedAt && !ProvablyNewer(entry.ResourceVersion, deletedAt))
                return current?.Info;
            _namespaces[ns.Metadata.Name] = entry;
            return entry.Info;
        }
    }

    /// <summary>A delete seen by the watch, or a namespace missing from a list, at <paramref name="resourceVersion"/>.</summary>
    /// <remarks>Instead of tombstones kept for a while, the delete is written on the read of that namespace in flight,
    /// if any: only a read sent before the watch saw the delete can answer with the namespace as it was, and such a
    /// read is still in <c>_reads</c> until it has stored. So nothing to expire, no timer, nothing kept per deleted
    /// name, and it holds whatever the resourceVersions look like.</remarks>
    private void Forget(string @namespace, string? resourceVersion)
    {
        lock (_storing)
        {
            if (_reads.TryGetValue(@namespace, out var pending)) pending.DeletedAt = resourceVersion ?? "";
            if (_namespaces.TryGetValue(@namespace, out var current) && !ProvablyNewer(current.ResourceVersion, resourceVersion))
                _namespaces.TryRemove(@namespace, out _);
        }
    }
}
