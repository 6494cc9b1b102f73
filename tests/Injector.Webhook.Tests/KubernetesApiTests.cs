using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Injector.Core.Admission;
using Injector.Core.Injection;
using Injector.Core.Settings;
using Injector.Webhook.Kubernetes;
using Injector.Webhook.Observability;
using Injector.Webhook.Tests.Fakes;
using k8s;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Injector.Webhook.Tests;

/// <summary>The Kubernetes pieces against a fake API server, through KubernetesClient.</summary>
public sealed class KubernetesApiTests : IAsyncLifetime
{
    private FakeApiServer _server = null!;
    private readonly InjectorMetrics _metrics = new();
    // Generous by default: the first call of a cold test process on a busy machine can take seconds.
    private WebhookOptions _options = new() { ApiTimeout = TimeSpan.FromSeconds(10) };
    private readonly InjectorSettings _settings = new() { MeshName = "demo", Region = "us-west-2" };

    public async Task InitializeAsync() => _server = await FakeApiServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    private KubernetesApi Api() => new(KubernetesApi.Create(new KubernetesClientConfiguration { Host = _server.Url }), _options, _metrics);

    private AdmissionHandler Handler(KubernetesOwnerLookup lookup, IClusterState? cluster = null) => new(new PodInjector(_settings), lookup, cluster);

    private KubernetesOwnerLookup Lookup(ObjectReferences? references = null) => new(Api(), references ?? new ObjectReferences());

    // ---- owner resolution --------------------------------------------------------------------

    [Fact]
    public async Task A_replicaset_named_with_the_pod_template_hash_is_resolved_to_its_deployment_without_an_api_call()
    {
        var pod = PodReviews.Pod("shop", FakeApiServer.OwnerRef("apps/v1", "ReplicaSet", "web-5f9dbcd669"), podTemplateHash: "5f9dbcd669");
        var decision = await Handler(Lookup()).HandleAsync(PodReviews.Request(pod));

        Assert.Equal(("injected", "web", "Deployment", "web-shop"), (decision.Result, decision.Workload, decision.OwnerKind, decision.VirtualNode));
        Assert.Empty(_server.Requests);
        Assert.Empty(decision.Response.Warnings);
    }

    [Fact]
    public async Task A_replicaset_without_the_hash_suffix_is_resolved_to_its_controller_such_as_an_argo_rollout()
    {
        _server.AddReplicaSet("shop", "web-canary", FakeApiServer.OwnerRef("argoproj.io/v1alpha1", "Rollout", "web"));
        var pod = PodReviews.Pod("shop", FakeApiServer.OwnerRef("apps/v1", "ReplicaSet", "web-canary"), podTemplateHash: "7c4d9b8f6");
        var decision = await Handler(Lookup()).HandleAsync(PodReviews.Request(pod));

        Assert.Equal(("injected", "web", "Rollout", "web-shop"), (decision.Result, decision.Workload, decision.OwnerKind, decision.VirtualNode));
        Assert.Equal(1, _server.Count("GET", "/apis/apps/v1/namespaces/shop/replicasets/web-canary"));
        Assert.Empty(decision.Response.Warnings);
    }

    [Fact]
    public async Task A_replicaset_without_a_controller_stands_for_itself()
    {
        _server.AddReplicaSet("shop", "standalone", owner: null);
        var pod = PodReviews.Pod("shop", FakeApiServer.OwnerRef("apps/v1", "ReplicaSet", "standalone"));
        var decision = await Handler(Lookup()).HandleAsync(PodReviews.Request(pod));

        Assert.Equal(("standalone", "ReplicaSet", "standalone-shop"), (decision.Workload, decision.OwnerKind, decision.VirtualNode));
        Assert.Empty(decision.Response.Warnings);
    }

    [Fact]
    public async Task A_job_created_by_a_cronjob_is_resolved_to_the_cronjob()
    {
        _server.AddJob("batch", "nightly-28771200", FakeApiServer.OwnerRef("batch/v1", "CronJob", "nightly"));
        var pod = PodReviews.Pod("batch", FakeApiServer.OwnerRef("batch/v1", "Job", "nightly-28771200"));
        var decision = await Handler(Lookup()).HandleAsync(PodReviews.Request(pod));

        Assert.Equal(("nightly", "CronJob", "nightly-batch"), (decision.Workload, decision.OwnerKind, decision.VirtualNode));
        Assert.Equal(1, _server.Count("GET", "/apis/batch/v1/namespaces/batch/jobs/nightly-28771200"));
    }

    [Fact]
    public async Task A_job_without_a_cronjob_stands_for_itself()
    {
        _server.AddJob("batch", "migrate-db", owner: null);
        var pod = PodReviews.Pod("batch", FakeApiServer.OwnerRef("batch/v1", "Job", "migrate-db"));
        var decision = await Handler(Lookup()).HandleAsync(PodReviews.Request(pod));

        Assert.Equal(("migrate-db", "Job", "migrate-db-batch"), (decision.Workload, decision.OwnerKind, decision.VirtualNode));
    }

    [Fact]
    public async Task A_burst_of_pods_from_one_replicaset_costs_one_api_call()
    {
        _server.AddReplicaSet("shop", "web-canary", FakeApiServer.OwnerRef("argoproj.io/v1alpha1", "Rollout", "web"));
        _server.Slow = path => path.Contains("/replicasets/");
        _server.Delay = TimeSpan.FromMilliseconds(200);
        var handler = Handler(Lookup());
        var pod = PodReviews.Pod("shop", FakeApiServer.OwnerRef("apps/v1", "ReplicaSet", "web-canary"));

        // 20 at once (coalesced onto the one call in flight), then 20 more (from the cache).
        var burst = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => handler.HandleAsync(PodReviews.Request(pod, uid: $"burst-{i}")).AsTask()));
        var later = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => handler.HandleAsync(PodReviews.Request(pod, uid: $"later-{i}")).AsTask()));

        Assert.All(burst.Concat(later), d => Assert.Equal("web-shop", d.VirtualNode));
        Assert.Equal(1, _server.Count("GET", "/apis/apps/v1/namespaces/shop/replicasets/web-canary"));
        Assert.Equal(1, _metrics.ApiCallCount("get-replicaset"));
    }

    // ---- a slow or failing API ----------------------------------------------------------------

    [Fact]
    public async Task A_slow_api_server_costs_at_most_the_api_timeout_and_the_pod_is_named_after_its_replicaset_with_a_warning()
    {
        _options = _options with { ApiTimeout = TimeSpan.FromMilliseconds(300) };
        _server.AddReplicaSet("shop", "web-canary", FakeApiServer.OwnerRef("argoproj.io/v1alpha1", "Rollout", "web"));
        _server.Slow = _ => true;
        _server.Delay = TimeSpan.FromSeconds(20);
        var pod = PodReviews.Pod("shop", FakeApiServer.OwnerRef("apps/v1", "ReplicaSet", "web-canary"));

        var handler = Handler(Lookup());
        await handler.HandleAsync(PodReviews.Request(PodReviews.Pod("shop", name: "warm-up")));

        var watch = Stopwatch.StartNew();
        var decision = await handler.HandleAsync(PodReviews.Request(pod));
        watch.Stop();

        // The server would take 20 s; the bound is the 300 ms timeout (plus scheduling on a busy machine).
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(3));
        Assert.Equal(("injected", "web-canary", "web-canary-shop"), (decision.Result, decision.Workload, decision.VirtualNode));
        Assert.Equal(["could not look up the owner of ReplicaSet web-canary (get-replicaset: no answer within 300ms); the virtual node is named after the ReplicaSet"], decision.Response.Warnings);
        Assert.Equal(1, _metrics.ApiFailureCount("get-replicaset"));
    }

    [Fact]
    public async Task The_admission_deadline_bounds_a_lookup_even_when_the_api_timeout_is_longer()
    {
        _options = _options with { ApiTimeout = TimeSpan.FromSeconds(30) };
        _server.AddJob("batch", "nightly-1", FakeApiServer.OwnerRef("batch/v1", "CronJob", "nightly"));
        _server.Slow = _ => true;
        _server.Delay = TimeSpan.FromSeconds(20);
        var pod = PodReviews.Pod("batch", FakeApiServer.OwnerRef("batch/v1", "Job", "nightly-1"));

        var handler = Handler(Lookup());
        await handler.HandleAsync(PodReviews.Request(PodReviews.Pod("batch", name: "warm-up")));

        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(400));
        var watch = Stopwatch.StartNew();
        var decision = await handler.HandleAsync(PodReviews.Request(pod), deadline.Token);

        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(350), TimeSpan.FromSeconds(3));
        Assert.Equal(("injected", "nightly-1-batch"), (decision.Result, decision.VirtualNode));
        Assert.Equal(
        [
            "could not look up the owner of Job nightly-1 (the admission deadline passed before the API answered); the virtual node is named after the Job",
            // Without the API the server's version is not known either: auto mode is classic, and a Job's pod is warned about.
            "Job pods never complete while a classic Envoy sidecar keeps running; use native sidecars on Kubernetes >= 1.29 (--sidecar-mode native, or --sidecar-mode auto against such a cluster, or the annotation appmesh.k8s.aws/nativeSidecar: enabled)",
        ], decision.Response.Warnings);
    }

    [Fact]
    public async Task An_api_server_answering_500_gives_the_fallback_a_warning_and_a_counted_failure_and_is_not_asked_again_at_once()
    {
        _server.AddReplicaSet("shop", "web-canary", FakeApiServer.OwnerRef("argoproj.io/v1alpha1", "Rollout", "web"));
        _server.Failing = _ => true;
        var handler = Handler(Lookup());
        var pod = PodReviews.Pod("shop", FakeApiServer.OwnerRef("apps/v1", "ReplicaSet", "web-canary"));

        var first = await handler.HandleAsync(PodReviews.Request(pod));
        var second = await handler.HandleAsync(PodReviews.Request(pod));

        Assert.Equal(("injected", "web-canary-shop"), (first.Result, first.VirtualNode));
        Assert.Equal(["could not look up the owner of ReplicaSet web-canary (get-replicaset: the API server answered 500 Internal Server Error); the virtual node is named after the ReplicaSet"], first.Response.Warnings);
        Assert.Equal(first.Response.Warnings, second.Response.Warnings);
        Assert.Equal(1, _server.Count("GET", "/apis/apps/v1/namespaces/shop/replicasets/web-canary"));
        Assert.Equal((1, 1), (_metrics.ApiCallCount("get-replicaset"), _metrics.ApiFailureCount("get-replicaset")));
    }

    [Fact]
    public async Task An_unreachable_api_server_gives_the_fallback_and_a_warning()
    {
        var url = _server.Url;
        await _server.DisposeAsync();
        _server = await FakeApiServer.StartAsync();
        var api = new KubernetesApi(KubernetesApi.Create(new KubernetesClientConfiguration { Host = url }), _options, _metrics);
        var pod = PodReviews.Pod("batch", FakeApiServer.OwnerRef("batch/v1", "Job", "migrate"));

        var decision = await Handler(new KubernetesOwnerLookup(api, new ObjectReferences())).HandleAsync(PodReviews.Request(pod));

        Assert.Equal(("injected", "migrate-batch"), (decision.Result, decision.VirtualNode));
        Assert.Equal(2, decision.Response.Warnings.Count);
        Assert.StartsWith("could not look up the owner of Job migrate (get-job: ", decision.Response.Warnings[0]);
        Assert.StartsWith("Job pods never complete while a classic Envoy sidecar keeps running;", decision.Response.Warnings[1]);
        Assert.Equal(1, _metrics.ApiFailureCount("get-job"));
    }

    // ---- namespace defaults and version ---------------------------------------------------------

    private async Task<(KubernetesClusterState State, CancellationTokenSource Stop)> StartClusterStateAsync(ILogger<KubernetesClusterState>? logger = null)
    {
        var state = new KubernetesClusterState(Api(), logger ?? NullLogger<KubernetesClusterState>.Instance) { MinBackoff = TimeSpan.FromMilliseconds(50) };
        var stop = new CancellationTokenSource();
        await state.StartAsync(stop.Token);
        await state.NamespacesSynced.WaitAsync(TimeSpan.FromSeconds(10));
        return (state, stop);
    }


    [Fact]
    public async Task Namespace_annotations_are_defaults_that_pod_annotations_override_and_follow_the_watch()
    {
        _server.SetNamespace("shop", new() { ["appmesh.k8s.aws/mesh"] = "shop-mesh", ["appmesh.k8s.aws/sidecarLogLevel"] = "debug", ["owner"] = "team-a" });
        var (state, stop) = await StartClusterStateAsync();
        try
        {
            var handler = Handler(Lookup(), state);
            var plain = PodReviews.Pod("shop", name: "plain");
            var own = PodReviews.Pod("shop", name: "own", annotations: new() { ["appmesh.k8s.aws/mesh"] = "pod-mesh" });

            var fromNamespace = await handler.HandleAsync(PodReviews.Request(plain));
            var fromPod = await handler.HandleAsync(PodReviews.Request(own));
            Assert.Equal(("shop-mesh", "debug"), (fromNamespace.Mesh, PodReviews.EnvoyEnv(fromNamespace.Response, "ENVOY_LOG_LEVEL")));
            Assert.Equal(("pod-mesh", "debug"), (fromPod.Mesh, PodReviews.EnvoyEnv(fromPod.Response, "ENVOY_LOG_LEVEL")));
            Assert.Equal(new Dictionary<string, string> { ["appmesh.k8s.aws/mesh"] = "shop-mesh", ["appmesh.k8s.aws/sidecarLogLevel"] = "debug" }, state.CachedNamespace("shop")?.Annotations);

            // A change arrives through the watch, a deletion removes the defaults.
            _server.SetNamespace("shop", new() { ["appmesh.k8s.aws/mesh"] = "new-mesh" });
            await Waiting.Until(() => state.CachedNamespace("shop")?.Annotations?.GetValueOrDefault("appmesh.k8s.aws/mesh") == "new-mesh", "the modified namespace is seen");
            Assert.Equal(("new-mesh", "info"), ((await handler.HandleAsync(PodReviews.Request(plain))).Mesh, PodReviews.EnvoyEnv((await handler.HandleAsync(PodReviews.Request(plain))).Response, "ENVOY_LOG_LEVEL")));

            // Cached, not fetched per admission: one list, the watch, and no GET of a namespace.
            Assert.Equal(1, _server.Requests.Count(r => r.Path == "/api/v1/namespaces" && !r.Query.Contains("watch=true")));
            Assert.DoesNotContain(_server.Requests, r => r.Path.StartsWith("/api/v1/namespaces/", StringComparison.Ordinal));

            _server.DeleteNamespace("shop");
            await Waiting.Until(() => state.CachedNamespace("shop") is null, "the deleted namespace is forgotten");
            Assert.Equal("demo", (await handler.HandleAsync(PodReviews.Request(plain))).Mesh);
        }
        finally
        {
            await stop.CancelAsync();
            await state.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_namespace_labelled_disabled_injects_only_pods_annotated_enabled_as_the_controller_does()
    {
        // aws-app-mesh-controller-for-k8s pkg/inject/inject.go determineSidecarInjectMode and docs/reference/injector.md:
        // the namespace's label is its default, a pod's annotation overrides it.
        _server.SetNamespace("legacy", labels: new() { ["appmesh.k8s.aws/sidecarInjectorWebhook"] = "disabled", ["team"] = "a" });
        var (state, stop) = await StartClusterStateAsync();
        try
        {
            var handler = Handler(Lookup(), state);
            var plain = PodReviews.Pod("legacy", name: "plain");
            var optedIn = PodReviews.Pod("legacy", name: "opted-in", annotations: new() { ["appmesh.k8s.aws/sidecarInjectorWebhook"] = "enabled" });

            var skipped = await handler.HandleAsync(PodReviews.Request(plain));
            Assert.Equal(("skipped", "disabled-by-annotation"), (skipped.Result, skipped.Reason));
            Assert.Equal("namespace label appmesh.k8s.aws/sidecarInjectorWebhook is disabled and the pod is not annotated enabled", skipped.Message);
            Assert.Equal("injected", (await handler.HandleAsync(PodReviews.Request(optedIn))).Result);
            Assert.Equal(new Dictionary<string, string> { ["appmesh.k8s.aws/sidecarInjectorWebhook"] = "disabled" }, state.CachedNamespace("legacy")?.Labels);

            // Relabelled enabled: plain pods are injected, and a pod can still opt out.
            _server.SetNamespace("legacy", labels: new() { ["appmesh.k8s.aws/sidecarInjectorWebhook"] = "enabled" });
            await Waiting.Until(() => state.CachedNamespace("legacy")?.Labels?.GetValueOrDefault("appmesh.k8s.aws/sidecarInjectorWebhook") == "enabled", "the relabelled namespace is seen");
            Assert.Equal("injected", (await handler.HandleAsync(PodReviews.Request(plain))).Result);
            var optedOut = PodReviews.Pod("legacy", name: "opted-out", annotations: new() { ["appmesh.k8s.aws/sidecarInjectorWebhook"] = "disabled" });
            Assert.Equal("skipped", (await handler.HandleAsync(PodReviews.Request(optedOut))).Result);
        }
        finally
        {
            await stop.CancelAsync();
            await state.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_namespace_enforcing_a_Pod_Security_level_gives_the_injected_pod_a_warning_that_follows_the_label()
    {
        // The pod is still injected as before (Pod Security admission, not the injector, refuses it); the warning names why.
        _server.SetNamespace("secure", labels: new() { ["appmesh.k8s.aws/sidecarInjectorWebhook"] = "enabled", ["pod-security.kubernetes.io/enforce"] = "baseline", ["team"] = "a" });
        var (state, stop) = await StartClusterStateAsync();
        try
        {
            var handler = Handler(Lookup(), state);
            var pod = PodReviews.Pod("secure", name: "web");

            var baseline = await handler.HandleAsync(PodReviews.Request(pod));
            Assert.Equal("injected", baseline.Result);
            Assert.Equal([
                "namespace secure enforces Pod Security level baseline (pod-security.kubernetes.io/enforce=baseline) and will refuse this pod after injection: "
                + "proxyinit adds capability NET_ADMIN, which baseline does not allow; "
                + "to mesh it: CNI mode (annotation appmesh.k8s.aws/appmeshCNI: enabled, with the App Mesh CNI plugin) adds no proxyinit; "
                + "or label the namespace pod-security.kubernetes.io/enforce=privileged"], baseline.Response.Warnings);
            Assert.Equal(new Dictionary<string, string> { ["appmesh.k8s.aws/sidecarInjectorWebhook"] = "enabled", ["pod-security.kubernetes.io/enforce"] = "baseline" },
                state.CachedNamespace("secure")?.Labels);

            // Relabelled privileged: no warning.
            _server.SetNamespace("secure", labels: new() { ["appmesh.k8s.aws/sidecarInjectorWebhook"] = "enabled", ["pod-security.kubernetes.io/enforce"] = "privileged" });
            await Waiting.Until(() => state.CachedNamespace("secure")?.Labels?.GetValueOrDefault("pod-security.kubernetes.io/enforce") == "privileged", "the relabelled namespace is seen");
            var privileged = await handler.HandleAsync(PodReviews.Request(pod));
            Assert.Equal("injected", privileged.Result);
            Assert.Empty(privileged.Response.Warnings);
        }
        finally
        {
            await stop.CancelAsync();
            await state.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_namespace_changing_under_admissions_is_seen_with_the_labels_and_annotations_of_one_version()
    {
        // Every version differs in both parts and names itself in both; deletions come in between. A reader must never
        // get the labels of one version with the annotations of another, nor one part without the other; and never a
        // version older than one already seen in the cache (deleted in between, a namespace may be unknown for a while).
        const string Switch = "appmesh.k8s.aws/sidecarInjectorWebhook", Version = "appmesh.k8s.aws/test-version", Mesh = "appmesh.k8s.aws/mesh";
        static string State(int version) => version % 2 == 0 ? "enabled" : "disabled";
        void Publish(int version) => _server.SetNamespace("shop", new() { [Mesh] = $"mesh-{State(version)}-{version}" },
            labels: new() { [Switch] = State(version), [Version] = $"{version}" });
        const int Versions = 150;
        Publish(0);
        var (state, stop) = await StartClusterStateAsync();
        try
        {
            var handler = Handler(Lookup(), state);
            var mixed = new System.Collections.Concurrent.ConcurrentQueue<string>();
            var (reads, admissions) = (0, 0);
            using var done = new CancellationTokenSource();
            int? VersionOf(NamespaceInfo? known) => int.TryParse(known?.Labels?.GetValueOrDefault(Version), out var v) ? v : null;
            var reader = Task.Run(async () =>
            {
                var newest = 0; // the newest version this reader has seen, in the cache or from a read
                for (; !done.IsCancellationRequested; reads++)
                {
                    if (VersionOf(state.CachedNamespace("shop")) is { } cachedNow)
                    {
                        if (cachedNow < newest) mixed.Enqueue($"the cache went back from version {newest} to {cachedNow}");
                        newest = Math.Max(newest, cachedNow);
                    }
                    var known = await state.NamespaceAsync("shop", CancellationToken.None);
                    if (known is null) continue;
                    var (labels, annotations) = (known.Labels?.GetValueOrDefault(Version), known.Annotations?.GetValueOrDefault(Mesh));
                    if (labels is null || annotations is null || !annotations.EndsWith($"-{labels}", StringComparison.Ordinal))
                        mixed.Enqueue($"read labels of version {labels ?? "(none)"} with annotations {annotations ?? "(none)"}");
                    if (VersionOf(known) is { } read)
                    {
                        if (read < newest) mixed.Enqueue($"read version {read} after version {newest} was seen");
                        newest = Math.Max(newest, read);
                    }
                    await Task.Yield();
                }
            });
            var admitter = Task.Run(async () =>
            {
                for (; !done.IsCancellationRequested; admissions++)
                {
                    // Injected only under an enabled version (with its mesh), or with no namespace at all (the default mesh);
                    // never under a version older than the cache held when the admission started.
                    var cachedBefore = VersionOf(state.CachedNamespace("shop")) ?? 0;
                    var decision = await handler.HandleAsync(PodReviews.Request(PodReviews.Pod("shop", name: "web")));
                    if (decision.Result == "injected" && decision.Mesh != "demo" && decision.Mesh?.StartsWith("mesh-enabled-", StringComparison.Ordinal) != true)
                        mixed.Enqueue($"admission injected with mesh {decision.Mesh}");
                    if (decision.Mesh?.StartsWith("mesh-enabled-", StringComparison.Ordinal) == true && int.Parse(decision.Mesh["mesh-enabled-".Length..]) < cachedBefore)
                        mixed.Enqueue($"admission injected with {decision.Mesh} after version {cachedBefore} was cached");
                }
            });

            for (var version = 1; version <= Versions; version++)
            {
                if (version % 10 == 0) _server.DeleteNamespace("shop");
                Publish(version);
                if (version % 5 == 0) await Task.Delay(5);
            }
            await Waiting.Until(() => state.CachedNamespace("shop")?.Labels?.GetValueOrDefault(Version) == $"{Versions}", "the last version is seen");
            await done.CancelAsync();
            await Task.WhenAll(reader, admitter);

            Assert.Empty(mixed);
            Assert.True(reads > 0 && admissions > 0, $"{reads} reads and {admissions} admissions ran during the changes");
            var last = state.CachedNamespace("shop");
            Assert.Equal(new Dictionary<string, string> { [Switch] = "enabled", [Version] = $"{Versions}" }, last?.Labels);
            Assert.Equal(new Dictionary<string, string> { [Mesh] = $"mesh-enabled-{Versions}" }, last?.Annotations);
        }
        finally
        {
            await stop.CancelAsync();
            await state.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Envoy_is_told_the_API_servers_version_once_it_is_known()
    {
        // pkg/inject/sidecar_builder.go APPMESH_PLATFORM_K8S_VERSION; pkg/k8s/utils.go ServerVersion (gitVersion).
        var (state, stop) = await StartClusterStateAsync();
        try
        {
            await Waiting.Until(() => state.ServerVersion is not null, "the version is known");
            var decision = await Handler(Lookup(), state).HandleAsync(PodReviews.Request(PodReviews.Pod("shop", name: "web")));

            Assert.Equal(_server.GitVersion, PodReviews.EnvoyEnv(decision.Response, "APPMESH_PLATFORM_K8S_VERSION"));
        }
        finally
        {
            await stop.CancelAsync();
            await state.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_namespace_the_watch_has_not_reported_yet_is_read_once_for_a_burst_and_its_defaults_applied()
    {
        var (state, stop) = await StartClusterStateAsync();
        try
        {
            // Created after the list; its watch event has not arrived when the first pod comes.
            _server.SetNamespace("fresh", new() { ["appmesh.k8s.aws/mesh"] = "fresh-mesh" }, announce: false);
            var handler = Handler(Lookup(), state);

            // A burst of pods arrives while the read is in flight: they share it.
            _server.Slow = path => path == "/api/v1/namespaces/fresh";
            _server.Delay = TimeSpan.FromMilliseconds(300);
            var burst = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => handler.HandleAsync(PodReviews.Request(PodReviews.Pod("fresh", name: $"p{i}"))).AsTask()));
            var later = await handler.HandleAsync(PodReviews.Request(PodReviews.Pod("fresh", name: "later")));

            Assert.Equal(Enumerable.Repeat("fresh-mesh", 6), burst.Append(later).Select(d => d.Mesh ?? "(none)"));
            Assert.Equal(1, _server.Count("GET", "/api/v1/namespaces/fresh"));
            Assert.Equal(new Dictionary<string, string> { ["appmesh.k8s.aws/mesh"] = "fresh-mesh" }, state.CachedNamespace("fresh")?.Annotations);

            // A namespace the API does not know either: no defaults, and no error for the pod.
            var unknown = await handler.HandleAsync(PodReviews.Request(PodReviews.Pod("gone", name: "c")));
            Assert.Equal(("injected", "demo"), (unknown.Result, unknown.Mesh));
            Assert.Equal(1, _metrics.ApiFailureCount("get-namespace"));
        }
        finally
        {
            await stop.CancelAsync();
            await state.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>Holds the fake's answer to a GET of one namespace: <see cref="Arrived"/> completes once the GET has
    /// taken its answer, which is sent when <see cref="Release"/> is called.</summary>
    private sealed class HeldRead
    {
        private readonly TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public HeldRead(FakeApiServer server, string name) => server.HoldNamespaceAnswer = n =>
        {
            if (n != name) return Task.CompletedTask;
            _arrived.TrySetResult();
            return _released.Task;
        };

        public Task Arrived => _arrived.Task.WaitAsync(TimeSpan.FromSeconds(10));
        public void Release() => _released.TrySetResult();
    }

    private sealed class CapturedLog : ILogger<KubernetesClusterState>
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Lines { get; } = new();
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Enqueue(formatter(state, exception));
    }

    private static Dictionary<string, string> MeshAnnotation(string mesh) => new() { ["appmesh.k8s.aws/mesh"] = mesh };
    private static string? MeshOf(NamespaceInfo? known) => known?.Annotations?.GetValueOrDefault("appmesh.k8s.aws/mesh");

    /// <summary>Waits until the watch has delivered every event sent so far: one more event comes after them.</summary>
    private async Task WatchCaughtUp(KubernetesClusterState state, string marker)
    {
        _server.SetNamespace(marker);
        await Waiting.Until(() => state.CachedNamespace(marker) is not null, $"the watch delivers {marker}");
    }

    [Fact]
    public async Task A_read_answering_with_an_older_version_than_the_watch_stored_meanwhile_leaves_the_newer_one()
    {
        var (state, stop) = await StartClusterStateAsync();
        try
        {
            _server.SetNamespace("fresh", MeshAnnotation("old-mesh"), announce: false);
            var held = new HeldRead(_server, "fresh");
            var read = state.NamespaceAsync("fresh", CancellationToken.None).AsTask();
            await held.Arrived; // the GET's answer is the old version

            _server.AnnounceHeld();
            _server.SetNamespace("fresh", MeshAnnotation("new-mesh"));
            await Waiting.Until(() => MeshOf(state.CachedNamespace("fresh")) == "new-mesh", "the watch stores the newer version");
            held.Release();

            Assert.Equal("new-mesh", MeshOf(await read));
            Assert.Equal("new-mesh", MeshOf(state.CachedNamespace("fresh")));
            Assert.Equal(1, _server.Count("GET", "/api/v1/namespaces/fresh"));
        }
        finally
        {
            await stop.CancelAsync();
            await state.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_delete_the_watch_sees_while_a_read_is_in_flight_is_not_undone_by_the_reads_answer()
    {
        var log = new CapturedLog();
        var (state, stop) = await StartClusterStateAsync(log);
        try
        {
            _server.SetNamespace("fresh", MeshAnnotation("fresh-mesh"), announce: false);
            var held = new HeldRead(_server, "fresh");
            var read = state.NamespaceAsync("fresh", CancellationToken.None).AsTask();
            await held.Arrived; // the GET's answer is the namespace as it was before the delete

            _server.AnnounceHeld();
            _server.DeleteNamespace("fresh");
            await WatchCaughtUp(state, "marker");
            held.Release();

            Assert.Null(await read);
            Assert.Null(state.CachedNamespace("fresh"));
            Assert.Equal(["namespace fresh is not cached and cannot be read (the watch saw it deleted while it was being read): its appmesh.k8s.aws annotations are not applied to this pod"], log.Lines);

            // Nothing was remembered: the next pod reads again, and the API no longer knows the namespace.
            _server.HoldNamespaceAnswer = _ => Task.CompletedTask;
            Assert.Null(await state.NamespaceAsync("fresh", CancellationToken.None));
            Assert.Equal(2, _server.Count("GET", "/api/v1/namespaces/fresh"));
            Assert.Null(state.CachedNamespace("fresh"));
        }
        finally
        {
            await stop.CancelAsync();
            await state.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_read_answering_with_a_newer_version_than_the_watch_has_stored_replaces_it()
    {
        var (state, stop) = await StartClusterStateAsync();
        try
        {
            // Two versions the watch has not delivered yet; the GET answers with the second.
            _server.SetNamespace("fresh", MeshAnnotation("old-mesh"), announce: false);
            _server.SetNamespace("fresh", MeshAnnotation("new-mesh"), announce: false);
            var held = new HeldRead(_server, "fresh");
            var read = state.NamespaceAsync("fresh", CancellationToken.None).AsTask();
            await held.Arrived;

            _server.AnnounceHeld(1);
            await Waiting.Until(() => MeshOf(state.CachedNamespace("fresh")) == "old-mesh", "the lagging watch stores the first version");
            held.Release();

            Assert.Equal("new-mesh", MeshOf(await read));
            Assert.Equal("new-mesh", MeshOf(state.CachedNamespace("fresh")));

            // The watch then delivers the version the read already stored: nothing changes.
            _server.AnnounceHeld();
            await WatchCaughtUp(state, "marker");
            Assert.Equal("new-mesh", MeshOf(state.CachedNamespace("fresh")));
            Assert.Equal(1, _server.Count("GET", "/api/v1/namespaces/fresh"));
        }
        finally
        {
            await stop.CancelAsync();
            await state.StopAsync(CancellationToken.None);
        }
    }

    [Theory]
    [InlineData("1001", "1000", true)]
    [InlineData("10", "9", true)] // as numbers, not as text
    [InlineData("18446744073709551615", "18446744073709551614", true)]
    [InlineData("1000", "1000", false)]
    [InlineData("999", "1000", false)]
    [InlineData("abc", "5", false)] // not an integer: nothing is provable, the watch wins
    [InlineData("5", "abc", false)]
    [InlineData("+6", "5", false)]
    [InlineData("6", "", false)]
    [InlineData("6", null, false)]
    public void ResourceVersions_are_ordered_only_when_both_are_unsigned_integers(string version, string? than, bool newer) =>
        Assert.Equal(newer, KubernetesClusterState.ProvablyNewer(version, than));

    [Fact]
    public async Task The_namespace_watch_recovers_from_api_errors_by_listing_again()
    {
        _server.SetNamespace("shop", new() { ["appmesh.k8s.aws/mesh"] = "shop-mesh" });
        _server.Failing = _ => true;
        var state = new KubernetesClusterState(Api(), NullLogger<KubernetesClusterState>.Instance) { MinBackoff = TimeSpan.FromMilliseconds(50), MaxBackoff = TimeSpan.FromMilliseconds(100) };
        using var stop = new CancellationTokenSource();
        await state.StartAsync(stop.Token);
        try
        {
            await Waiting.Until(() => _metrics.ApiFailureCount("list-namespaces") >= 2, "two failed lists");
            Assert.Null(state.CachedNamespace("shop"));
            _server.Failing = _ => false;
            await state.NamespacesSynced.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("shop-mesh", state.CachedNamespace("shop")?.Annotations?["appmesh.k8s.aws/mesh"]);
        }
        finally
        {
            await stop.CancelAsync();
            await state.StopAsync(CancellationToken.None);
        }
    }

    [Theory]
    [InlineData("1", "30+", true)]
    [InlineData("1", "29", true)]
    [InlineData("1", "28+", false)]
    [InlineData("1", "28", false)]
    [InlineData("2", "0", true)]
    [InlineData("", "", false)]
    public void Native_sidecars_need_kubernetes_1_29(string major, string minor, bool supported) =>
        Assert.Equal(supported, KubernetesClusterState.SupportsNativeSidecars(major, minor));

    [Fact]
    public async Task Sidecar_mode_auto_injects_native_sidecars_once_the_api_server_reports_1_29_or_later()
    {
        _server.Major = "1";
        _server.Minor = "29";
        _server.GitVersion = "v1.29.8";
        var (state, stop) = await StartClusterStateAsync();
        try
        {
            await Waiting.Until(() => state.ServerVersion == "v1.29.8", "the version is read");
            Assert.True(state.NativeSidecarsSupported);
            var decision = await Handler(Lookup(), state).HandleAsync(PodReviews.Request(PodReviews.Pod("shop", name: "p")));
            // As the API server reads the patch (the added containers are JSON text, not objects).
            var initContainers = JsonNode.Parse(decision.Response.Patch.Single(op => op.Path == "/spec/initContainers").Value!.ToJsonString())!.AsArray();
            Assert.Equal(["proxyinit", "envoy"], initContainers.Select(c => c!["name"]!.GetValue<string>()));
            Assert.Equal("Always", initContainers[1]!["restartPolicy"]!.GetValue<string>());
        }
        finally
        {
            await stop.CancelAsync();
            await state.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public void Sidecar_mode_auto_is_classic_until_the_version_is_known() =>
        Assert.False(new KubernetesClusterState(Api(), NullLogger<KubernetesClusterState>.Instance).NativeSidecarsSupported);

    // ---- events -------------------------------------------------------------------------------

    private async Task<(EventRecorder Recorder, CancellationTokenSource Stop)> StartRecorderAsync(ObjectReferences? references = null)
    {
        var recorder = new EventRecorder(Api(), references ?? new ObjectReferences(), _metrics, NullLogger<EventRecorder>.Instance);
        var stop = new CancellationTokenSource();
        await recorder.StartAsync(stop.Token);
        return (recorder, stop);
    }

    [Fact]
    public async Task An_injected_pod_gives_an_Injected_event_on_its_statefulset_named_by_the_pods_owner_reference()
    {
        var (recorder, stop) = await StartRecorderAsync();
        var handler = Handler(Lookup());
        var request = PodReviews.Request(PodReviews.Pod("shop", FakeApiServer.OwnerRef("apps/v1", "StatefulSet", "db"), name: "db-0"));
        var decision = await handler.HandleAsync(request);

        recorder.OnDecision(request, decision);
        await Waiting.Until(() => _metrics.EventCount("sent") == 1, "the Event is sent");
        await stop.CancelAsync();

        var sent = Assert.Single(_server.Sent("POST", "/api/v1/namespaces/shop/events"));
        var body = JsonNode.Parse(sent.Body)!.AsObject();
        Assert.StartsWith("db.", body["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal(body["firstTimestamp"]!.ToJsonString(), body["lastTimestamp"]!.ToJsonString());
        foreach (var volatileField in new[] { "firstTimestamp", "lastTimestamp", "reportingInstance" }) body.Remove(volatileField);
        body["metadata"]!.AsObject().Remove("name");
        Assert.Equal(
            """{"apiVersion":"v1","count":1,"involvedObject":{"apiVersion":"apps/v1","kind":"StatefulSet","name":"db","namespace":"shop","uid":"UID"},"kind":"Event","message":"injected the App Mesh sidecar into a new pod (mesh demo, virtual node db-shop)","metadata":{"namespace":"shop"},"reason":"Injected","reportingComponent":"appmesh-inject","source":{"component":"appmesh-inject"},"type":"Normal"}"""
                .Replace("UID", FakeApiServer.Uid("StatefulSet/db")),
            body.ToJsonString());
    }

    [Fact]
    public async Task Skipped_and_denied_pods_give_InjectionSkipped_and_InjectionFailed_events_with_the_reason()
    {
        var (recorder, stop) = await StartRecorderAsync();
        var handler = Handler(Lookup());
        var owner = FakeApiServer.OwnerRef("apps/v1", "DaemonSet", "agent");
        var skipped = PodReviews.Request(PodReviews.Pod("ops", owner, hostNetwork: true), uid: "skip");
        var denied = PodReviews.Request(PodReviews.Pod("ops", owner, annotations: new() { ["appmesh.k8s.aws/cpuLimit"] = "maybe" }), uid: "deny");

        recorder.OnDecision(skipped, await handler.HandleAsync(skipped));
        recorder.OnDecision(denied, await handler.HandleAsync(denied));
        await Waiting.Until(() => _metrics.EventCount("sent") == 2, "both Events are sent");

        var bodies = _server.Sent("POST", "/api/v1/namespaces/ops/events").Select(r => JsonNode.Parse(r.Body)!).ToList();
        Assert.Equal(
            [("Normal", "InjectionSkipped", "agent"), ("Warning", "InjectionFailed", "agent")],
            bodies.Select(b => (b["type"]!.GetValue<string>(), b["reason"]!.GetValue<string>(), b["involvedObject"]!["name"]!.GetValue<string>())));
        Assert.StartsWith("sidecar not injected into a new pod (host-network): ", bodies[0]["message"]!.GetValue<string>());
        Assert.StartsWith("pod creation denied (invalid-annotation): ", bodies[1]["message"]!.GetValue<string>());
        Assert.Contains("maybe", bodies[1]["message"]!.GetValue<string>());
        await stop.CancelAsync();
    }

    [Fact]
    public async Task A_pod_admitted_with_warnings_also_gives_an_InjectionWarning_event_and_a_dry_run_none()
    {
        var (recorder, stop) = await StartRecorderAsync();
        var handler = Handler(Lookup());
        var owner = FakeApiServer.OwnerRef("apps/v1", "DaemonSet", "agent");
        // envoy.go getPreview: the controller admits "0" and reads it as disabled.
        var pod = PodReviews.Pod("ops", owner, annotations: new() { ["appmesh.k8s.aws/preview"] = "0" });
        var dryRun = PodReviews.Request(pod, uid: "dry", dryRun: true);
        var request = PodReviews.Request(pod, uid: "real");

        recorder.OnDecision(dryRun, await handler.HandleAsync(dryRun));
        recorder.OnDecision(request, await handler.HandleAsync(request));
        await Waiting.Until(() => _metrics.EventCount("sent") == 2, "both Events are sent");
        await stop.CancelAsync();

        var bodies = _server.Sent("POST", "/api/v1/namespaces/ops/events").Select(r => JsonNode.Parse(r.Body)!).ToList();
        Assert.Equal(
            [("Normal", "Injected"), ("Warning", "InjectionWarning")],
            bodies.Select(b => (b["type"]!.GetValue<string>(), b["reason"]!.GetValue<string>())));
        Assert.Equal(
            "a new pod was admitted with 1 warning: annotation appmesh.k8s.aws/preview: \"0\" is not valid; expected 'enabled' or 'disabled'; read as disabled, as the App Mesh controller reads every value but \"enabled\"",
            bodies[1]["message"]!.GetValue<string>());
        Assert.Equal("agent", bodies[1]["involvedObject"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_deployments_uid_is_read_once_from_its_replica_set_and_repeated_events_raise_the_count()
    {
        _server.AddReplicaSet("shop", "web-5f9dbcd669", FakeApiServer.OwnerRef("apps/v1", "Deployment", "web"));
        var (recorder, stop) = await StartRecorderAsync();
        var handler = Handler(Lookup());
        var pod = PodReviews.Pod("shop", FakeApiServer.OwnerRef("apps/v1", "ReplicaSet", "web-5f9dbcd669"), podTemplateHash: "5f9dbcd669");

        for (var i = 0; i < 3; i++)
        {
            var request = PodReviews.Request(pod, uid: $"pod-{i}");
            recorder.OnDecision(request, await handler.HandleAsync(request));
        }
        await Waiting.Until(() => _metrics.EventCount("sent") + _metrics.EventCount("aggregated") == 3, "three Events are recorded");
        await stop.CancelAsync();

        var created = JsonNode.Parse(Assert.Single(_server.Sent("POST", "/api/v1/namespaces/shop/events")).Body)!;
        Assert.Equal($$"""{"apiVersion":"apps/v1","kind":"Deployment","name":"web","namespace":"shop","uid":"{{FakeApiServer.Uid("Deployment/web")}}"}""", created["involvedObject"]!.ToJsonString());
        Assert.Equal(1, _server.Count("GET", "/apis/apps/v1/namespaces/shop/replicasets/web-5f9dbcd669"));
        Assert.Equal(0, _server.Count("GET", "/apis/apps/v1/namespaces/shop/deployments/web"));
        var patches = _server.Sent("PATCH", "/api/v1/namespaces/shop/events/");
        Assert.Equal(2, patches.Count);
        Assert.All(patches, p => Assert.Equal("/api/v1/namespaces/shop/events/" + created["metadata"]!["name"]!.GetValue<string>(), p.Path));
        Assert.Equal([2, 3], patches.Select(p => JsonNode.Parse(p.Body)!["count"]!.GetValue<int>()));
        Assert.Equal("application/merge-patch+json", patches[0].ContentType?.Split(';')[0]);
    }

    [Fact]
    public async Task Dry_runs_pods_without_owners_and_non_create_requests_give_no_event()
    {
        var (recorder, stop) = await StartRecorderAsync();
        var handler = Handler(Lookup());
        var owner = FakeApiServer.OwnerRef("apps/v1", "StatefulSet", "db");
        foreach (var request in new[]
                 {
                     PodReviews.Request(PodReviews.Pod("shop", owner, name: "db-0"), dryRun: true),
                     PodReviews.Request(PodReviews.Pod("shop", name: "bare")),
                     PodReviews.Request(PodReviews.Pod("shop", owner, name: "db-0"), operation: "UPDATE"),
                 })
        {
            var decision = await handler.HandleAsync(request);
            Assert.Null(EventRecorder.Describe(request, decision));
            recorder.OnDecision(request, decision);
        }
        // A real Event after them proves the queue was drained: nothing else was sent.
        var real = PodReviews.Request(PodReviews.Pod("shop", owner, name: "db-1"));
        recorder.OnDecision(real, await handler.HandleAsync(real));
        await Waiting.Until(() => _metrics.EventCount("sent") == 1, "the one real Event is sent");
        await stop.CancelAsync();
        Assert.Single(_server.Sent("POST", "/api/v1/namespaces/"));
    }

    [Fact]
    public async Task Recording_an_event_never_waits_for_the_api()
    {
        _server.Slow = _ => true;
        _server.Delay = TimeSpan.FromSeconds(20);
        var (recorder, stop) = await StartRecorderAsync();
        var request = PodReviews.Request(PodReviews.Pod("shop", FakeApiServer.OwnerRef("apps/v1", "StatefulSet", "db"), name: "db-0"));
        var decision = await Handler(Lookup()).HandleAsync(request);

        var watch = Stopwatch.StartNew();
        for (var i = 0; i < EventRecorder.QueueCapacity + 10; i++) recorder.OnDecision(request, decision);
        watch.Stop();

        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        Assert.InRange(_metrics.EventCount("dropped"), 9, 10);
        await stop.CancelAsync();
    }

    // ---- caBundle -----------------------------------------------------------------------------

    [Fact]
    public async Task The_webhook_configurations_cabundle_is_patched_to_the_serving_ca_and_left_alone_when_it_matches()
    {
        using var dir = new TempDir();
        using var ca = Injector.Webhook.CertificateStore.CreateCa("CN=test CA");
        using var leaf = Injector.Webhook.CertificateStore.IssueServing(ca, ["appmesh-inject.appmesh-system.svc"], DateTimeOffset.UtcNow.AddDays(30));
        dir.WriteTls(leaf, ca);
        var options = _options with { TlsCertFile = dir.File("tls.crt"), TlsKeyFile = dir.File("tls.key"), WebhookConfigName = "appmesh-inject" };
        var store = Injector.Webhook.CertificateStore.Create(options, NullLogger.Instance);
        var caBase64 = Convert.ToBase64String(Encoding.ASCII.GetBytes(ca.ExportCertificatePem()));
        _server.AddWebhookConfiguration("appmesh-inject", caBase64, Convert.ToBase64String("stale"u8.ToArray()), null);
        var rv = _server.WebhookConfiguration("appmesh-inject")!["metadata"]!["resourceVersion"]!.GetValue<string>();
        var sync = new CaBundleSync(Api(), store, options, NullLogger<CaBundleSync>.Instance);

        Assert.True(await sync.SyncOnceAsync("appmesh-inject", CancellationToken.None));
        Assert.False(await sync.SyncOnceAsync("appmesh-inject", CancellationToken.None));

        var patch = Assert.Single(_server.Sent("PATCH", "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/appmesh-inject"));
        Assert.Equal("application/json-patch+json", patch.ContentType?.Split(';')[0]);
        Assert.Equal(
            $$"""[{"op":"test","path":"/metadata/resourceVersion","value":"{{rv}}"},{"op":"add","path":"/webhooks/1/clientConfig/caBundle","value":"{{caBase64}}"},{"op":"add","path":"/webhooks/2/clientConfig/caBundle","value":"{{caBase64}}"}]""",
            patch.Body);
        var stored = _server.WebhookConfiguration("appmesh-inject")!;
        Assert.Equal([caBase64, caBase64, caBase64], stored["webhooks"]!.AsArray().Select(w => w!["clientConfig"]!["caBundle"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Without_a_ca_file_the_last_certificate_of_the_chain_is_the_cabundle()
    {
        using var dir = new TempDir();
        using var ca = Injector.Webhook.CertificateStore.CreateCa("CN=chain CA");
        using var leaf = Injector.Webhook.CertificateStore.IssueServing(ca, ["appmesh-inject"], DateTimeOffset.UtcNow.AddDays(30));
        dir.WriteTls(leaf, ca, writeCaFile: false, chainCa: true);
        var store = Injector.Webhook.CertificateStore.Create(_options with { TlsCertFile = dir.File("tls.crt"), TlsKeyFile = dir.File("tls.key") }, NullLogger.Instance);
        Assert.Equal(ca.ExportCertificatePem() + "\n", store.CaBundlePem);
        Assert.Equal(leaf.Thumbprint, store.Current!.Thumbprint);
        await Task.CompletedTask;
    }
}
