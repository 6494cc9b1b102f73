using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Injector.Core.Admission;
using Injector.Webhook;
using Injector.Webhook.Kubernetes;
using Injector.Webhook.Observability;
using Microsoft.Extensions.Logging;

namespace Injector.Shipping.Tests;

/// <summary>docs/operations.md shows what the webhook really writes and serves: each example log line is the
/// line the webhook writes for that event, every metric and label the page names exists in a real scrape (and
/// every metric of the scrape is on the page), and its tables of alerts and handshake reasons are the chart's
/// and the code's.</summary>
public sealed partial class LogDocsTests
{
    private static string Doc => File.ReadAllText(Path.Combine(Repo.Root, "docs", "operations.md"));

    /// <summary>The section of docs/operations.md under <c>## heading</c>, up to the next one.</summary>
    internal static string Section(string heading)
    {
        var doc = Doc;
        var start = doc.IndexOf("\n## " + heading + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"docs/operations.md has no section {heading}");
        var end = doc.IndexOf("\n## ", start + 4, StringComparison.Ordinal);
        return doc[start..(end < 0 ? doc.Length : end)];
    }

    /// <summary>The lines the webhook writes for the events the Logs section shows, in its order.</summary>
    private static readonly Action<ILoggerFactory>[] DocumentedEvents =
    [
        f => WebhookLog.Started(f.CreateLogger<StartupReport>(), "0.1.0", 8443, ":8080", "demo", "us-west-2", "auto (native)", "Fail",
            "192 MiB", "workstation GC, ConserveMemory 7, gen0 budget at most 6 MiB", "32 MiB", "64 MiB", "https://172.20.0.1:443", "v1.31.4-eks-2d5f260", "in-cluster configuration"),
        f => new DecisionLog(f.CreateLogger<DecisionLog>()).OnDecision(
            new AdmissionRequest { Uid = "705ab4f5-6393-11e8-b7cc-42010a800002", Namespace = "bookinfo" },
            new AdmissionDecision(AdmissionResponse.Allow(), AdmissionDecision.ResultInjected, "injected", "injected into mesh demo as virtual node productpage-v1-bookinfo", TimeSpan.FromMilliseconds(0.41))
            {
                Workload = "productpage-v1",
            }),
        f =>
        {
            const string message = "annotation appmesh.k8s.aws/cpuRequest: \"lots\" is not valid; expected a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi";
            new DecisionLog(f.CreateLogger<DecisionLog>()).OnDecision(
                new AdmissionRequest { Uid = "9f1c2d3e-0000-4000-8000-000000000001", Namespace = "shop" },
                new AdmissionDecision(AdmissionResponse.Deny(message, ["unknown annotation appmesh.k8s.aws/cpuRequests is ignored; did you mean appmesh.k8s.aws/cpuRequest?"]),
                    AdmissionDecision.ResultDenied, "invalid-annotation", message, TimeSpan.FromMilliseconds(0.2)) { Workload = "web" });
        },
        f => new TlsHandshakeMonitor(new InjectorMetrics(), f.CreateLogger<TlsHandshakeMonitor>()).OnFailure(
            new System.Security.Authentication.AuthenticationException("Authentication failed, see inner exception.",
                new InvalidOperationException("SSL Handshake failed with OpenSSL error - SSL_ERROR_SSL.", new InvalidOperationException("error:0A000412:SSL routines::sslv3 alert bad certificate"))),
            new IPEndPoint(IPAddress.Parse("10.0.12.7"), 43210), certificateOffered: true),
        f => WebhookLog.ClientProblem(f.CreateLogger<RequestOutcomes>(), LogLevel.Warning, "10.0.12.7:43211", RequestOutcomes.BodyTimeout,
            "the review's body did not arrive in time (408)", "request body timeout", 41),
        f => WebhookLog.RequestRefused(f.CreateLogger<RequestOutcomes>(), "10.0.12.7:43212", 415, "content type must be application/json, not \"text/plain\"", 3),
        f => WebhookLog.ReviewUndecided(f.CreateLogger<RequestOutcomes>(), "10.0.12.7:43213", 429, "the pod is admitted without a sidecar (failure policy Ignore)",
            "appmesh-inject is busy: reviews being decided hold its whole memory budget for them (64 MiB) and this review waited 8 s of its 10 s timeout; retry", 0),
        f => new FailurePolicy(new WebhookOptions(), f.CreateLogger<FailurePolicy>()).OnInternalError(
            new AdmissionRequest { Uid = "9f1c2d3e-0000-4000-8000-000000000002" }, new InvalidOperationException("lookup exploded"), TimeSpan.Zero),
    ];

    [Fact]
    public void Each_example_line_in_docs_operations_is_the_line_the_webhook_writes_for_that_event()
    {
        var documented = JsonBlock().Matches(Section("Logs")).Select(m => m.Groups[1].Value).ToList();

        var written = DocumentedEvents.Select(Write).ToList();

        Assert.Equal(written.Count, documented.Count);
        for (var i = 0; i < written.Count; i++) Assert.Equal(documented[i] + "\n", written[i]);
    }

    private static string Write(Action<ILoggerFactory> log)
    {
        var output = new MemoryStream();
        var provider = new JsonLineLoggerProvider(output, FixedTime.LogTests);
        using (var factory = LoggerFactory.Create(b => b.AddProvider(provider).SetMinimumLevel(LogLevel.Trace))) log(factory);
        provider.Dispose();
        return Encoding.UTF8.GetString(output.ToArray());
    }

    [Fact]
    public async Task Every_metric_and_label_the_page_names_is_in_a_real_scrape_and_every_scraped_metric_is_on_the_page()
    {
        await using var app = WebhookHost.Build(["--mesh-name", "demo", "--region", "us-west-2", "--port", "0", "--metrics-port", "0"], new Dictionary<string, string>(),
            b => b.Logging.ClearProviders());
        await app.StartAsync();
        var metricsPort = new Uri(Listening.Addresses(app).Single(a => a.StartsWith("http://", StringComparison.Ordinal)).Replace("[::]", "localhost", StringComparison.Ordinal)).Port;
        using var client = new HttpClient();
        var text = await client.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");
        await app.StopAsync();
        var scrape = PrometheusText.Parse(text);

        var rows = Section("Metrics").Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal)).Select(l => l.Split('|')).ToList();
        var documented = rows.SelectMany(r => Code().Matches(r[1]).Select(m => m.Groups[1].Value)).ToList();
        static bool Names(string documentedName, PrometheusFamily family) =>
            documentedName == family.Name || documentedName == family.Name + "_total";

        var missingFromScrape = documented.Where(d => !scrape.Any(f => Names(d, f))).ToList();
        var missingFromPage = scrape.Where(f => !documented.Any(d => Names(d, f))).Select(f => f.Name).ToList();
        Assert.True(missingFromScrape.Count == 0, "named on the page, not scraped: " + string.Join(", ", missingFromScrape));
        Assert.True(missingFromPage.Count == 0, "scraped, not on the page: " + string.Join(", ", missingFromPage));
        // The injector's own label names are in their row.
        foreach (var family in scrape.Where(f => f.Name.StartsWith("appmesh_inject_", StringComparison.Ordinal)))
        {
            var row = rows.Single(r => Code().Matches(r[1]).Any(m => Names(m.Groups[1].Value, family)));
            var labels = family.Samples.SelectMany(s => s.Labels.Keys).Where(k => k != "le").Distinct();
            Assert.All(labels, label => Assert.Contains($"`{label}`", row[3]));
            // And every value those labels take (build_info's are the configuration's, not a fixed set).
            if (family.Name == "appmesh_inject_build_info") continue;
            var values = family.Samples.SelectMany(s => s.Labels).Where(l => l.Key != "le").Select(l => l.Value).Distinct();
            var listed = row[3].Contains("as above", StringComparison.Ordinal) ? rows[rows.IndexOf(row) - 1][3] : row[3];
            Assert.All(values, value => Assert.True(listed.Contains($"`{value}`", StringComparison.Ordinal), $"{family.Name}: label value {value} is not in its row"));
        }

        // The README's "reasons" row names every reason a skip, denial or error is counted under.
        var readmeReasons = File.ReadAllLines(Path.Combine(Repo.Root, "README.md")).Single(l => l.StartsWith("| reasons |", StringComparison.Ordinal));
        var counted = scrape.Single(f => f.Name.StartsWith("appmesh_inject_admission_requests", StringComparison.Ordinal)).Samples
            .Where(s => s.Labels["result"] != "injected").Select(s => s.Labels["reason"]);
        Assert.All(counted, reason => Assert.True(readmeReasons.Contains($"`{reason}`", StringComparison.Ordinal), $"the README's reasons row leaves out {reason}"));

        // And promtool, Prometheus' own linter, has nothing to say about the scrape.
        var lint = ProcessRunner.Run("/bin/sh", ["-c", "promtool check metrics < \"$0\"", WriteTemp(text)]);
        Assert.True(lint.ExitCode == 0, lint.StdOut + lint.StdErr);
    }

    private static string WriteTemp(string text)
    {
        var path = Path.Combine(Path.GetTempPath(), $"appmesh-inject-scrape-{Guid.NewGuid():N}.txt");
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Every kind of Event the webhook records — one per decision result, and the warnings' — is in the
    /// Events table under its reason, with its type and an example its message starts with.</summary>
    [Fact]
    public void The_events_table_shows_every_event_the_webhook_records()
    {
        var rows = Section("Events").Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal)).Select(l => l.Split('|')).ToList();
        var request = new AdmissionRequest { Uid = "u", Namespace = "shop" };
        AdmissionDecision Decision(AdmissionResponse response, string result, string reason, string message) =>
            new(response, result, reason, message, TimeSpan.Zero) { OwnerKind = "Deployment", OwnerName = "web", Mesh = "demo", VirtualNode = "web-shop" };
        const string Warning = "annotation appmesh.k8s.aws/preview: \"0\" is not valid; expected enabled or disabled";
        var events = new[]
        {
            EventRecorder.Describe(request, Decision(AdmissionResponse.Allow(), AdmissionDecision.ResultInjected, "injected", "injected")),
            EventRecorder.Describe(request, Decision(AdmissionResponse.Allow(), AdmissionDecision.ResultSkipped, "host-network", "the pod uses the host network")),
            EventRecorder.Describe(request, Decision(AdmissionResponse.Deny("bad"), AdmissionDecision.ResultDenied, "invalid-annotation", "bad")),
            EventRecorder.Describe(request, Decision(AdmissionResponse.Allow(), AdmissionDecision.ResultError, "internal-error", "lookup exploded")),
            EventRecorder.DescribeWarnings(request, Decision(AdmissionResponse.Allow([Warning]), AdmissionDecision.ResultInjected, "injected", "injected")),
        };

        foreach (var (type, reason, message) in events.Select(e => e!.Value))
        {
            var row = rows.SingleOrDefault(r => FirstCell().Match(string.Join('|', r)).Groups[1].Value == reason);
            Assert.True(row is not null, $"no row for {reason}");
            Assert.Equal(type, row[2].Trim());
            var examples = Example().Matches(row[3]).Select(m => m.Groups[1].Value.TrimEnd('…').TrimEnd()).ToList();
            Assert.True(examples.Any(message.StartsWith), $"{reason}: no example in the table starts '{message}' ({string.Join(" | ", examples)})");
        }
    }

    [Fact]
    public void The_alerts_table_lists_the_charts_alerts()
    {
        var documented = Section("Alerts").Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal)).Select(l => FirstCell().Match(l).Groups[1].Value);

        var rule = Helm.Render("--set", "metrics.prometheusRule.enabled=true").Single<PrometheusRule>();

        Assert.Equal(Assert.Single(rule.Spec.Groups).Rules.Select(r => r.Alert), documented);
    }

    [Fact]
    public void The_handshake_reasons_table_lists_every_reason_the_counter_has()
    {
        var documented = Section("Failed TLS handshakes").Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal)).Select(l => FirstCell().Match(l).Groups[1].Value);

        Assert.Equal(HandshakeFailure.Reasons, documented);
    }

    [GeneratedRegex("```json\n(.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();

    [GeneratedRegex("`([a-z0-9_]+)`")]
    private static partial Regex Code();

    [GeneratedRegex("^\\| `([^`]+)`")]
    private static partial Regex FirstCell();

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Example();
}
