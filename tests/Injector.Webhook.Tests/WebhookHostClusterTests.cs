using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Injector.Webhook.Kubernetes;
using Injector.Webhook.Tests.Fakes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Injector.Webhook.Tests;

/// <summary>The whole webhook (real Kestrel and TLS on loopback, or the test server) living in a cluster:
/// certificate rotation, caBundle, metrics, the decision log line, readiness and draining.</summary>
public sealed class WebhookHostClusterTests
{
    private static readonly string[] Base = ["--mesh-name", "demo", "--region", "us-west-2"];
    private static readonly Dictionary<string, string> NoEnvironment = new();

    private static int Port(WebApplication app) => Listening.Port(app);

    /// <summary>A client that opens a new TLS connection per request and records the certificate each handshake saw.</summary>
    private static HttpClient NewHandshakeEveryTime(ConcurrentQueue<string> thumbprints) => new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.Zero,
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                thumbprints.Enqueue(((X509Certificate2)certificate!).Thumbprint);
                return true;
            },
        },
    })
    { Timeout = TimeSpan.FromSeconds(20) };

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");


    // ---- certificate rotation ----------------------------------------------------------------------

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Rotated_certificate_files_are_served_to_new_handshakes_without_a_failed_request(bool secretVolume)
    {
        using var dir = new TempDir();
        using var caA = CertificateStore.CreateCa("CN=rotation CA A");
        using var caB = CertificateStore.CreateCa("CN=rotation CA B");
        using var first = CertificateStore.IssueServing(caA, ["localhost"], DateTimeOffset.UtcNow.AddDays(10));
        using var second = CertificateStore.IssueServing(caB, ["localhost"], DateTimeOffset.UtcNow.AddDays(90));
        if (secretVolume) dir.WriteTlsAsSecretVolume(first, caA);
        else dir.WriteTls(first, caA);

        await using var api = await FakeApiServer.StartAsync();
        api.AddWebhookConfiguration("appmesh-inject", Convert.ToBase64String("old"u8.ToArray()));
        await using var app = WebhookHost.Build(
            [.. Base, "--port", "0", "--tls-cert-file", dir.File("tls.crt"), "--tls-key-file", dir.File("tls.key"),
             "--kubeconfig", api.WriteKubeconfig(dir.Path), "--webhook-config-name", "appmesh-inject"], NoEnvironment);
        await app.StartAsync();
        var url = $"https://localhost:{Port(app)}/mutate";
        string CaBundle() => Encoding.ASCII.GetString(Convert.FromBase64String(api.WebhookConfiguration("appmesh-inject")!["webhooks"]![0]!["clientConfig"]!["caBundle"]!.GetValue<string>()));
        await Waiting.Until(() => CaBundle() == caA.ExportCertificatePem(), "the caBundle names CA A");

        var thumbprints = new ConcurrentQueue<string>();
        using var client = NewHandshakeEveryTime(thumbprints);
        var failures = new ConcurrentQueue<string>();
        var sent = 0;
        using var stop = new CancellationTokenSource();
        var review = PodReviews.Review(PodReviews.Pod("shop", name: "p"));
        var loop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await client.PostAsync(url, Json(review));
                    var body = await response.Content.ReadAsStringAsync();
                    if (response.StatusCode != HttpStatusCode.OK || JsonNode.Parse(body)!["response"]!["allowed"]!.GetValue<bool>() != true)
                        failures.Enqueue($"{(int)response.StatusCode} {body}");
                }
                catch (HttpRequestException ex)
                {
                    failures.Enqueue(ex.ToString());
                }
                Interlocked.Increment(ref sent);
            }
        });

        await Waiting.Until(() => Volatile.Read(ref sent) >= 5, "reviews flow with the first certificate");
        if (secretVolume) dir.WriteTlsAsSecretVolume(second, caB);
        else dir.WriteTls(second, caB);
        await Waiting.Until(() => thumbprints.LastOrDefault() == second.Thumbprint, "new handshakes present the second certificate");
        var rotatedAt = Volatile.Read(ref sent);
        await Waiting.Until(() => Volatile.Read(ref sent) >= rotatedAt + 5, "reviews flow with the second certificate");
        await stop.CancelAsync();
        await loop;

        Assert.Empty(failures);
        var seen = thumbprints.ToList();
        var switchAt = seen.IndexOf(second.Thumbprint);
        Assert.True(switchAt > 0, "the first handshakes presented the first certificate");
        Assert.All(seen[..switchAt], t => Assert.Equal(first.Thumbprint, t));
        Assert.All(seen[switchAt..], t => Assert.Equal(second.Thumbprint, t));
        await Waiting.Until(() => CaBundle() == caB.ExportCertificatePem(), "the caBundle follows the rotation to CA B");
        var metrics = await new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } }).GetStringAsync($"https://localhost:{Port(app)}/metrics");
        var expiry = PrometheusText.Parse(metrics).Value("appmesh_inject_certificate_expiry_timestamp_seconds");
        Assert.Equal(new DateTimeOffset(second.NotAfter.ToUniversalTime()).ToUnixTimeSeconds(), expiry);
        await app.StopAsync();
    }

    [Fact]
    public async Task The_webhook_is_not_ready_until_it_has_listed_the_namespaces_once()
    {
        using var dir = new TempDir();
        await using var api = await FakeApiServer.StartAsync();
        api.SetNamespace("shop", new Dictionary<string, string> { ["appmesh.k8s.aws/mesh"] = "shop-mesh" });
        api.Failing = path => path == "/api/v1/namespaces";
        await using var app = WebhookHost.Build([.. Base, "--port", "0", "--kubeconfig", api.WriteKubeconfig(dir.Path)], NoEnvironment);
        await app.StartAsync();
        var readiness = app.Services.GetRequiredService<Readiness>();
        using var client = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } });

        await Waiting.Until(() => api.Count("GET", "/api/v1/namespaces") >= 1, "the list has failed");
        using (var notReady = await client.GetAsync($"https://localhost:{Port(app)}/readyz"))
            Assert.Equal((HttpStatusCode.ServiceUnavailable, "namespaces not listed yet\n"), (notReady.StatusCode, await notReady.Content.ReadAsStringAsync()));

        api.Failing = _ => false;
        await Waiting.Until(() => readiness.NotReadyReason is null, "the namespaces are listed");
        using var ready = await client.GetAsync($"https://localhost:{Port(app)}/readyz");
        Assert.Equal((HttpStatusCode.OK, "ready\n"), (ready.StatusCode, await ready.Content.ReadAsStringAsync()));
        Assert.Equal(new Dictionary<string, string> { ["appmesh.k8s.aws/mesh"] = "shop-mesh" },
            app.Services.GetRequiredService<KubernetesClusterState>().CachedNamespace("shop")?.Annotations);
        await app.StopAsync();
    }

    [Fact]
    public async Task The_webhook_is_not_ready_until_its_certificate_files_exist_and_then_loads_them()
    {
        using var dir = new TempDir();
        await using var app = WebhookHost.Build([.. Base, "--port", "0", "--tls-cert-file", dir.File("tls.crt"), "--tls-key-file", dir.File("tls.key")], NoEnvironment,
            b => b.Services.AddSingleton(new Certificates.CertificateWatchOptions { PollInterval = TimeSpan.FromMilliseconds(200) }));
        await app.StartAsync();
        var readiness = app.Services.GetRequiredService<Readiness>();
        Assert.Equal("no certificate loaded", readiness.NotReadyReason);

        using var ca = CertificateStore.CreateCa("CN=late CA");
        using var leaf = CertificateStore.IssueServing(ca, ["localhost"], DateTimeOffset.UtcNow.AddDays(30));
        dir.WriteTls(leaf, ca);
        await Waiting.Until(() => readiness.NotReadyReason is null, "the certificate is loaded");

        var thumbprints = new ConcurrentQueue<string>();
        using var client = NewHandshakeEveryTime(thumbprints);
        using var ready = await client.GetAsync($"https://localhost:{Port(app)}/readyz");
        Assert.Equal((HttpStatusCode.OK, "ready\n"), (ready.StatusCode, await ready.Content.ReadAsStringAsync()));
        Assert.Equal([leaf.Thumbprint], thumbprints);
        await app.StopAsync();
    }

    // ---- metrics and the log line -----------------------------------------------------------------

    private sealed class CapturedLogs : ILoggerProvider
    {
        public ConcurrentQueue<(string Category, IReadOnlyList<KeyValuePair<string, object?>> State)> Entries { get; } = new();
        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
        public void Dispose() { }

        private sealed class Logger(CapturedLogs owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (state is IReadOnlyList<KeyValuePair<string, object?>> fields) owner.Entries.Enqueue((category, fields.ToList()));
            }
        }
    }

    [Fact]
    public async Task Metrics_count_a_known_sequence_of_admissions_by_result_and_reason_and_each_decision_logs_one_line()
    {
        var logs = new CapturedLogs();
        await using var app = WebhookHost.Build([.. Base], NoEnvironment, b =>
        {
            b.WebHost.UseTestServer();
            b.Logging.AddProvider(logs);
        });
        await app.StartAsync();
        var client = app.GetTestClient();
        var owner = FakeApiServer.OwnerRef("apps/v1", "StatefulSet", "db");
        string[] reviews =
        [
            PodReviews.Review(PodReviews.Pod("shop", owner, name: "db-0"), uid: "a-1"),
            PodReviews.Review(PodReviews.Pod("shop", owner, name: "db-1"), uid: "a-2"),
            PodReviews.Review(PodReviews.Pod("shop", owner, name: "db-2", hostNetwork: true), uid: "a-3"),
            PodReviews.Review(PodReviews.Pod("shop", owner, name: "db-3", annotations: new() { ["appmesh.k8s.aws/cpuRequest"] = "lots" }), uid: "a-4"),
            PodReviews.Review(PodReviews.Pod("shop", owner, name: "db-0"), uid: "a-5", operation: "UPDATE"),
        ];
        foreach (var review in reviews) (await client.PostAsync("/mutate", Json(review))).EnsureSuccessStatusCode();

        var scrape = PrometheusText.Parse(await client.GetStringAsync("/metrics"));

        // Every (result, reason) series exists, at 0 unless this sequence counted it.
        var admissions = scrape.Family("appmesh_inject_admission_requests");
        Assert.Equal(("counter", "Admission reviews answered, by result and reason."), (admissions.Type, admissions.Help));
        var expected = new Dictionary<string, double>
        {
            ["injected/injected"] = 2,
            ["skipped/host-network"] = 1,
            ["skipped/operation-not-create"] = 1,
            ["denied/invalid-annotation"] = 1,
        };
        Assert.Equal(
            Observability.InjectorMetrics.ResultOfReason.Select(p => $"{p.Value}/{p.Key}={expected.GetValueOrDefault($"{p.Value}/{p.Key}")}").Order(),
            admissions.Samples.Select(s => $"{s.Label("result")}/{s.Label("reason")}={s.Value}").Order());

        var histogram = scrape.Family("appmesh_inject_admission_duration_seconds");
        Assert.Equal("histogram", histogram.Type);
        var buckets = histogram.Samples.Where(s => s.Name.EndsWith("_bucket", StringComparison.Ordinal)).ToList();
        Assert.Equal(
            ["0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"],
            buckets.Select(b => b.Label("le")));
        var counts = buckets.Select(b => b.Value).ToList();
        Assert.Equal(counts.Order(), counts);
        Assert.Equal(5, counts[^1]);
        Assert.Equal(5, scrape.Value("appmesh_inject_admission_duration_seconds_count"));
        // No cluster configured: every API operation and Event outcome is there, at 0.
        Assert.Equal(Observability.InjectorMetrics.ApiOperations.Order(), scrape.Family("appmesh_inject_kubernetes_api_requests").Samples.Select(s => s.Label("operation")!).Order());
        Assert.All(scrape.Family("appmesh_inject_kubernetes_api_requests").Samples, s => Assert.Equal(0, s.Value));

        var decisions = logs.Entries.Where(e => e.Category == typeof(DecisionLog).FullName).Select(e => e.State.ToDictionary(p => p.Key, p => p.Value)).ToList();
        Assert.Equal(["a-1", "a-2", "a-3", "a-4", "a-5"], decisions.Select(d => d["Uid"]));
        var denied = decisions[3];
        // Fields in the order of the parameters, whether the message names them or not: the same for every decision.
        Assert.Equal("Uid,Namespace,Workload,Decision,Reason,Detail,DurationMs,dryRun,warnings,{OriginalFormat}", string.Join(",", denied.Keys));
        Assert.Equal(("shop", "db", "denied", "invalid-annotation", false), (denied["Namespace"], denied["Workload"], denied["Decision"], denied["Reason"], denied["dryRun"]));
        var injected = decisions[0];
        Assert.Equal("Uid,Namespace,Workload,decision,reason,Detail,DurationMs,dryRun,warnings,{OriginalFormat}", string.Join(",", injected.Keys));
        Assert.IsType<double>(denied["DurationMs"]);
        Assert.InRange((double)denied["DurationMs"]!, 0, 5000);
        await app.StopAsync();
    }

    // ---- graceful shutdown --------------------------------------------------------------------------

    [Fact]
    public async Task On_shutdown_readiness_turns_false_and_an_in_flight_review_still_completes()
    {
        using var dir = new TempDir();
        await using var api = await FakeApiServer.StartAsync();
        api.AddReplicaSet("shop", "web-canary", FakeApiServer.OwnerRef("argoproj.io/v1alpha1", "Rollout", "web"));
        api.Slow = path => path.Contains("/replicasets/");
        api.Delay = TimeSpan.FromSeconds(1.5);
        await using var app = WebhookHost.Build([.. Base, "--port", "0", "--kubeconfig", api.WriteKubeconfig(dir.Path), "--api-timeout", "8s"], NoEnvironment);
        await app.StartAsync();
        var readiness = app.Services.GetRequiredService<Readiness>();
        await Waiting.Until(() => readiness.NotReadyReason is null, "the namespaces are listed");

        using var client = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } });
        var review = PodReviews.Review(PodReviews.Pod("shop", FakeApiServer.OwnerRef("apps/v1", "ReplicaSet", "web-canary")), uid: "in-flight");
        var inFlight = client.PostAsync($"https://localhost:{Port(app)}/mutate", Json(review));
        await Waiting.Until(() => api.Count("GET", "/apis/apps/v1/namespaces/shop/replicasets/web-canary") == 1, "the review is waiting for the API");

        var stopping = app.StopAsync();
        await Waiting.Until(() => readiness.NotReadyReason == "shutting down", "readiness turns false");
        Assert.False(stopping.IsCompleted);

        using var response = await inFlight;
        await stopping;
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["response"]!;
        Assert.Equal((HttpStatusCode.OK, "in-flight", true), (response.StatusCode, body["uid"]!.GetValue<string>(), body["allowed"]!.GetValue<bool>()));
        var patch = JsonNode.Parse(Convert.FromBase64String(body["patch"]!.GetValue<string>()))!.AsArray();
        var annotations = patch.Single(op => (string?)op!["path"] == "/metadata/annotations")!["value"]!;
        Assert.Equal("web-shop", (string?)annotations["appmesh.k8s.aws/virtualNode"]);
    }
}
