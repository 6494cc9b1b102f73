using System.Collections.Concurrent;
using Injector.Core.Naming;
using k8s;
using k8s.Models;

namespace Injector.Webhook.Kubernetes;

/// <summary>Finds the controller of a ReplicaSet or Job through the API. Answers are cached with a size
/// bound and a time to live, and concurrent lookups of one object share one call, so a burst of pods
/// from one ReplicaSet costs at most one request. Failures are remembered briefly too, so that while
/// the API is down a burst gets its fallback at once instead of each pod waiting out the timeout.</summary>
public sealed class KubernetesOwnerLookup(KubernetesApi api, ObjectReferences references, TimeProvider? time = null) : IOwnerLookup
{
    public const int MaxEntries = 4096;
    public static readonly TimeSpan AnswerTtl = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan FailureTtl = TimeSpan.FromSeconds(5);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<(string Kind, string Namespace, string Name), Entry> _cache = new();

    private sealed class Entry(Task<OwnerReference?> answer)
    {
        public Task<OwnerReference?> Answer { get; } = answer;
        public DateTimeOffset Expires { get; set; } = DateTimeOffset.MaxValue;
    }

    public int CachedCount => _cache.Count;

    public async ValueTask<OwnerReference?> GetControllerAsync(string apiVersion, string kind, string @namespace, string name, CancellationToken cancellationToken)
    {
        if (kind is not ("ReplicaSet" or "Job"))
            throw new OwnerLookupException($"looking up the owner of a {kind} is not supported");
        var key = (kind, @namespace, name);
        var now = _time.GetUtcNow();
        Entry entry;
        while (true)
        {
            entry = _cache.GetOrAdd(key, static (k, self) => self.Start(k), this);
            if (entry.Expires > now) break;
            ((ICollection<KeyValuePair<(string, string, string), Entry>>)_cache).Remove(new(key, entry));
        }
        try
        {
            // The shared call is bounded by the API timeout; this caller also stops at its own deadline.
            return await entry.Answer.WaitAsync(cancellationToken);
        }
        catch (KubernetesApiException ex)
        {
            throw new OwnerLookupException(ex.Message, ex);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OwnerLookupException("the admission deadline passed before the API answered");
        }
    }

    private Entry Start((string Kind, string Namespace, string Name) key)
    {
        Trim();
        Entry? entry = null;
        var answer = Task.Run(() => FetchAsync(key));
        entry = new Entry(answer);
        _ = answer.ContinueWith(t => entry.Expires = _time.GetUtcNow() + (t.IsCompletedSuccessfully ? AnswerTtl : FailureTtl), TaskScheduler.Default);
        return entry;
    }

    private async Task<OwnerReference?> FetchAsync((string Kind, string Namespace, string Name) key)
    {
        var metadata = key.Kind == "ReplicaSet"
            ? (await api.CallAsync("get-replicaset", (c, ct) => c.AppsV1.ReadNamespacedReplicaSetAsync(key.Name, key.Namespace, cancellationToken: ct), CancellationToken.None)).Metadata
            : (await api.CallAsync("get-job", (c, ct) => c.BatchV1.ReadNamespacedJobAsync(key.Name, key.Namespace, cancellationToken: ct), CancellationToken.None)).Metadata;
        var controller = metadata?.OwnerReferences?.FirstOrDefault(r => r.Controller == true);
        if (controller is null) return null;
        references.Remember(key.Namespace, controller);
        return new OwnerReference(controller.ApiVersion, controller.Kind, controller.Name);
    }

    /// <summary>Keeps the cache under its bound: expired entries go first, then the soonest to expire.</summary>
    private void Trim()
    {
        if (_cache.Count < MaxEntries) return;
        var now = _time.GetUtcNow();
        foreach (var (key, entry) in _cache)
            if (entry.Expires <= now) _cache.TryRemove(key, out _);
        if (_cache.Count < MaxEntries) return;
        foreach (var (key, _) in _cache.OrderBy(p => p.Value.Expires).Take(_cache.Count - MaxEntries * 3 / 4))
            _cache.TryRemove(key, out _);
    }
}

/// <summary>Identities (apiVersion, uid) of owners seen in API answers, so an Event can name its
/// object exactly without another call. Bounded: forgotten all at once when full.</summary>
public sealed class ObjectReferences
{
    public const int MaxEntries = 4096;
    private readonly ConcurrentDictionary<(string Namespace, string Kind, string Name), (string ApiVersion, string Uid)> _known = new();

    public void Remember(string @namespace, V1OwnerReference owner)
    {
        if (_known.Count >= MaxEntries) _known.Clear();
        _known[(@namespace, owner.Kind, owner.Name)] = (owner.ApiVersion, owner.Uid);
    }

    public void Remember(string @namespace, string kind, string name, string apiVersion, string uid)
    {
        if (_known.Count >= MaxEntries) _known.Clear();
        _known[(@namespace, kind, name)] = (apiVersion, uid);
    }

    public bool TryGet(string @namespace, string kind, string name, out (string ApiVersion, string Uid) identity) =>
        _known.TryGetValue((@namespace, kind, name), out identity);
}
