using System.Net;
using System.Text;
using Injector.Webhook.Observability;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Injector.Webhook.Tests.Operations;

/// <summary>Metrics and health on their own plain-HTTP port, every bounded series present at 0 from start-up,
/// requests refused before admission counted, and the one start-up line that says what the webhook runs with.</summary>
public sealed class MetricsAndStartupTests
{
    private const string Startup = "Injector.Webhook.Observability.StartupReport";

    /// <summary>Budgets of their own, so that the line does not depend on this machine's memory; the heap limit
    /// and the GC's kind are this test process's (the process-level test in StartupMemoryTests pins them).</summary>
    private static void WithBudgets(WebApplicationBuilder builder) =>
        builder.Services.AddSingleton(new ReviewMemory(new ReviewBudget(24 * 1024 * 1024), new ReviewBudget(40 * 1024 * 1024)));

    private static readonly string HeapLimit = $"{GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1048576} MiB";
    private static readonly string Gc = (System.Runtime.GCSettings.IsServerGC ? "server GC" : "workstation GC")
        + $", gen0 budget at most {Convert.ToInt64(GC.GetConfigurationVariables()["GCGen0MaxBudget"], System.Globalization.CultureInfo.InvariantCulture) / 1048576} MiB";

    [Fact]
    public async Task The_plain_http_port_serves_metrics_and_health_and_never_an_admission()
    {
        await using var webhook = await LoggedWebhook.StartAsync();
        using var client = new HttpClient();
        var plain = $"http://127.0.0.1:{webhook.MetricsPort}";

        using var metrics = await client.GetAsync($"{plain}/metrics");
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", metrics.Content.Headers.ContentType!.ToString());
        Assert.Equal("ok\n", await client.GetStringAsync($"{plain}/healthz"));
        Assert.Equal("ready\n", await client.GetStringAsync($"{plain}/readyz"));

        using var review = await client.PostAsync($"{plain}/mutate", new StringContent(Reviews.For(Reviews.SimplePod()).ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, review.StatusCode);
        Assert.Equal("not found: this port serves GET /metrics, /healthz and /readyz; admission reviews go to the HTTPS port\n", await review.Content.ReadAsStringAsync());
        using var root = await client.PostAsync($"{plain}/", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, root.StatusCode);
        Assert.Equal(0, (await webhook.ScrapeAsync()).Family("appmesh_inject_admission_requests").Samples.Sum(s => s.Value));
    }

    /// <summary>docs/operations.md: on the plain-HTTP port "any other path there is a 404 … and another method on
    /// those three a 405" (the gate answered 404, "not found", for a POST to /metrics).</summary>
    [Fact]
    public async Task Another_method_on_the_plain_http_ports_three_paths_is_405_allowing_GET_and_not_counted()
    {
        await using var webhook = await LoggedWebhook.StartAsync();
        using var client = new HttpClient();
        var plain = $"http://127.0.0.1:{webhook.MetricsPort}";

        foreach (var (method, path) in new[] { (HttpMethod.Post, "/metrics"), (HttpMethod.Put, "/healthz"), (HttpMethod.Delete, "/readyz"), (HttpMethod.Head, "/healthz") })
        {
            using var answer = await client.SendAsync(new HttpRequestMessage(method, plain + path));
            Assert.Equal((HttpStatusCode.MethodNotAllowed, "GET"), (answer.StatusCode, string.Join(",", answer.Content.Headers.Allow)));
        }
        using var other = await client.PostAsync($"{plain}/metricz", new StringContent(""));
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Equal(0, (await webhook.ScrapeAsync()).Family("appmesh_inject_requests_refused").Samples.Sum(s => s.Value));
    }

    [Fact]
    public async Task Every_bounded_series_is_there_at_zero_from_start_up_with_process_runtime_and_build_metrics()
    {
        await using var webhook = await LoggedWebhook.StartAsync(["--sidecar-mode", "native"]);

        var scrape = await webhook.ScrapeAsync();

        Assert.Equal(InjectorMetrics.ResultOfReason.Select(p => $"{p.Value}/{p.Key}").Order(),
            scrape.Family("appmesh_inject_admission_requests").Samples.Select(s => $"{s.Label("result")}/{s.Label("reason")}").Order());
        Assert.Equal(["400", "405", "408", "413", "415", "429"], scrape.Family("appmesh_inject_requests_refused").Samples.Select(s => s.Label("code")));
        Assert.Equal(HandshakeFailure.Reasons, scrape.Family("appmesh_inject_tls_handshake_failures").Samples.Select(s => s.Label("reason")));
        Assert.Equal(InjectorMetrics.ApiOperations, scrape.Family("appmesh_inject_kubernetes_api_failures").Samples.Select(s => s.Label("operation")));
        Assert.Equal(InjectorMetrics.EventOutcomes, scrape.Family("appmesh_inject_events").Samples.Select(s => s.Label("outcome")));
        foreach (var counter in new[] { "admission_requests", "admission_warnings", "requests_refused", "requests_aborted", "tls_handshake_failures", "kubernetes_api_requests", "kubernetes_api_failures", "events" })
        {
            var family = scrape.Family("appmesh_inject_" + counter);
            Assert.Equal("counter", family.Type);
            Assert.All(family.Samples.Where(s => s.Name.EndsWith("_total", StringComparison.Ordinal)), s => Assert.Equal(0, s.Value));
        }
        var build = Assert.Single(scrape.Family("appmesh_inject_build_info").Samples);
        Assert.Equal(1, build.Value);
        Assert.Equal(
            new Dictionary<string, string> { ["version"] = "0.1.0", ["mesh"] = "demo", ["region"] = "us-west-2", ["sidecar_mode"] = "native", ["sidecar_image"] = "public.ecr.aws/appmesh/aws-appmesh-envoy:v1.34.13.3-prod" },
            build.Labels);
        var notAfter = new DateTimeOffset(webhook.Services.GetService(typeof(CertificateStore)) is CertificateStore { Current: { } c } ? c.NotAfter.ToUniversalTime() : default);
        Assert.Equal(notAfter.ToUnixTimeSeconds(), scrape.Value("appmesh_inject_certificate_expiry_timestamp_seconds"));
        foreach (var name in new[] { "process_cpu_seconds", "process_working_set_bytes", "process_num_threads", "dotnet_collection_count", "dotnet_gc_heap_size_bytes", "dotnet_gc_pause_seconds", "dotnet_threadpool_threads", "dotnet_threadpool_queue_length" })
            Assert.NotEmpty(scrape.Family(name).Samples);
        Assert.True(scrape.Value("process_working_set_bytes") > 10_000_000);
    }

    [Fact]
    public void Every_reason_code_of_the_engine_has_its_series_from_start_up_under_its_result()
    {
        Assert.Equal(InjectorMetrics.KnownReasons.Order(), InjectorMetrics.ResultOfReason.Keys.Order());
        Assert.All(InjectorMetrics.ResultOfReason.Values, result => Assert.Contains(result, InjectorMetrics.Results));
    }

    [Fact]
    public void Every_Kubernetes_API_operation_the_webhook_performs_has_its_series_from_start_up()
    {
        var source = Directory.GetFiles(Path.Combine(RepoPaths.Root, "src", "Injector.Webhook"), "*.cs", SearchOption.AllDirectories).Select(File.ReadAllText);

        var operations = source.SelectMany(text => System.Text.RegularExpressions.Regex.Matches(text, "(?:CallAsync|Record)\\(\"([a-z-]+)\"").Select(m => m.Groups[1].Value)).ToHashSet();

        Assert.Equal(InjectorMetrics.ApiOperations.Order(), operations.Order());
    }

    [Fact]
    public async Task Requests_refused_before_admission_are_counted_by_status()
    {
        await using var webhook = await LoggedWebhook.StartAsync();
        using var client = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } });
        var https = $"https://127.0.0.1:{webhook.Port}";

        (await client.GetAsync($"{https}/mutate")).Dispose();                                                    // 405
        (await client.PostAsync($"{https}/mutate", new StringContent("{}", Encoding.UTF8, "text/plain"))).Dispose(); // 415
        (await client.PostAsync($"{https}/mutate", new StringContent("{", Encoding.UTF8, "application/json"))).Dispose(); // 400
        (await client.PostAsync($"{https}/", new StringContent("[]", Encoding.UTF8, "application/json"))).Dispose();  // 400
        var big = new ByteArrayContent(new byte[AdmissionEndpoints.MaxBodyBytes + 1]);
        big.Headers.ContentType = new("application/json");
        (await client.PostAsync($"{https}/mutate", big)).Dispose();                                               // 413

        var scrape = await webhook.ScrapeAsync();
        Assert.Equal(
            [("400", 2.0), ("405", 1.0), ("408", 0.0), ("413", 1.0), ("415", 1.0), ("429", 0.0)],
            scrape.Family("appmesh_inject_requests_refused").Samples.Select(s => (s.Label("code")!, s.Value)));
        Assert.Equal(0, scrape.Family("appmesh_inject_admission_requests").Samples.Sum(s => s.Value));
    }

    [Fact]
    public async Task Without_a_cluster_the_start_up_line_says_so_and_the_frameworks_own_lines_are_gone()
    {
        await using var webhook = await LoggedWebhook.StartAsync(configure: WithBudgets);

        var line = Assert.Single(await webhook.LinesOf(Startup));
        Assert.Equal(
            $$"""{"level":"info","category":"{{Startup}}","message":"appmesh-inject 0.1.0 started: HTTPS on :{{webhook.Port}}, metrics and health on :{{webhook.MetricsPort}}; mesh demo, region us-west-2, sidecar mode auto (classic), failure policy Fail; memory {{HeapLimit}} for the heap ({{Gc}}), of which reviews in flight may hold 24 MiB arriving and 40 MiB being decided; no Kubernetes API (not in a cluster and no --kubeconfig)","version":"0.1.0","port":{{webhook.Port}},"metricsAddress":":{{webhook.MetricsPort}}","mesh":"demo","region":"us-west-2","sidecarMode":"auto (classic)","failurePolicy":"Fail","heapLimit":"{{HeapLimit}}","gc":"{{Gc}}","arrivingBudget":"24 MiB","decidingBudget":"40 MiB"}""",
            line);
        Assert.DoesNotContain(webhook.Lines(), l => l.Contains("Microsoft.Hosting.Lifetime", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_run_that_picked_up_KUBECONFIG_names_the_API_server_its_version_and_where_the_kubeconfig_came_from()
    {
        using var dir = new TempDir("startup");
        await using var api = await FakeApiServer.StartAsync();
        var kubeconfig = api.WriteKubeconfig(dir.Path);
        await using var webhook = await LoggedWebhook.StartAsync(environment: new Dictionary<string, string> { ["KUBECONFIG"] = kubeconfig }, configure: WithBudgets);

        var line = Assert.Single(await webhook.LinesOf(Startup));
        Assert.Equal(
            $$"""{"level":"info","category":"{{Startup}}","message":"appmesh-inject 0.1.0 started: HTTPS on :{{webhook.Port}}, metrics and health on :{{webhook.MetricsPort}}; mesh demo, region us-west-2, sidecar mode auto (native), failure policy Fail; memory {{HeapLimit}} for the heap ({{Gc}}), of which reviews in flight may hold 24 MiB arriving and 40 MiB being decided; Kubernetes API {{api.Url.TrimEnd('/')}} version v1.30.4-eks-a737599 (kubeconfig {{kubeconfig}} from environment variable KUBECONFIG)","version":"0.1.0","port":{{webhook.Port}},"metricsAddress":":{{webhook.MetricsPort}}","mesh":"demo","region":"us-west-2","sidecarMode":"auto (native)","failurePolicy":"Fail","heapLimit":"{{HeapLimit}}","gc":"{{Gc}}","arrivingBudget":"24 MiB","decidingBudget":"40 MiB","apiServer":"{{api.Url.TrimEnd('/')}}","apiServerVersion":"v1.30.4-eks-a737599","kubeconfig":"kubeconfig {{kubeconfig}} from environment variable KUBECONFIG"}""",
            line);
        // The version is in the start-up line; the version line is for later changes only.
        Assert.DoesNotContain(webhook.Lines(), l => l.Contains("Kubernetes API server v1.30", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_KUBECONFIG_list_is_read_as_kubectl_reads_it_missing_files_passed_over()
    {
        using var dir = new TempDir("startup");
        await using var api = await FakeApiServer.StartAsync();
        var list = string.Join(Path.PathSeparator, Path.Combine(dir.Path, "missing"), api.WriteKubeconfig(dir.Path));
        await using var webhook = await LoggedWebhook.StartAsync(environment: new Dictionary<string, string> { ["KUBECONFIG"] = list });

        var line = Assert.Single(await webhook.LinesOf(Startup));
        Assert.Contains($$"""; Kubernetes API {{api.Url.TrimEnd('/')}} version v1.30.4-eks-a737599 (kubeconfig {{list}} from environment variable KUBECONFIG)","version":"0.1.0",""", line, StringComparison.Ordinal);
    }
}
