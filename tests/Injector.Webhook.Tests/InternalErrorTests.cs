using System.Text.Json.Nodes;
using Injector.Core.Naming;
using Injector.Webhook.Observability;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Injector.Webhook.Tests;

/// <summary>A failure inside the injector (a bug, an unexpected exception from a dependency) follows the operator's
/// failure policy (issue 13, B.9): Fail refuses the pod with the error's message, Ignore admits it without a sidecar
/// with a warning; either way it is counted and logged at error level once per cause.</summary>
public sealed class InternalErrorTests
{
    private sealed class BrokenLookup : IOwnerLookup
    {
        public ValueTask<OwnerReference?> GetControllerAsync(string apiVersion, string kind, string @namespace, string name, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("lookup exploded");
    }

    private static async Task<(string Body, IReadOnlyList<PrometheusFamily> Metrics, List<JsonObject> Lines)> ReviewWithABrokenLookup(string[] flags, int reviews = 1)
    {
        var output = new MemoryStream();
        var provider = new JsonLineLoggerProvider(output, FixedTime.LogTests);
        await using var app = WebhookHost.Build(["--mesh-name", "demo", "--region", "us-west-2", .. flags], new Dictionary<string, string>(), b =>
        {
            b.WebHost.UseTestServer();
            b.Services.AddSingleton<IOwnerLookup, BrokenLookup>();
            b.Logging.ClearProviders();
            b.Logging.AddProvider(provider);
        });
        await app.StartAsync();
        var client = app.GetTestClient();
        var pod = Reviews.SimplePod();
        pod["metadata"]!["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "apps/v1", ["kind"] = "ReplicaSet", ["name"] = "web-canary", ["uid"] = "u", ["controller"] = true });

        var body = "";
        for (var i = 0; i < reviews; i++)
        {
            using var response = await client.PostAsync("/mutate", new StringContent(Reviews.For(pod, uid: i == 0 ? "boom" : $"boom-{i}").ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            if (i == 0) body = await response.Content.ReadAsStringAsync();
        }
        var metrics = PrometheusText.Parse(await client.GetStringAsync("/metrics"));
        await app.StopAsync();
        provider.Dispose();
        var lines = LogLines.Parse(System.Text.Encoding.UTF8.GetString(output.ToArray()))
            .Where(l => (string?)l["category"] is "Injector.Webhook.FailurePolicy" or "Injector.Webhook.DecisionLog").ToList();
        return (body, metrics, lines);
    }

    [Fact]
    public async Task Under_the_default_policy_Fail_the_pod_is_refused_with_the_errors_message()
    {
        var (body, metrics, _) = await ReviewWithABrokenLookup([]);

        Assert.Equal(
            """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"boom","allowed":false,"status":{"code":500,"reason":"InternalError","message":"appmesh-inject could not process this pod (InvalidOperationException: lookup exploded); it is refused because the webhook\u0027s failure policy is Fail"}}}""",
            body);
        Assert.Equal(1, metrics.Value("appmesh_inject_admission_requests_total", "result=error", "reason=internal-error"));
    }

    [Fact]
    public async Task Under_policy_Ignore_the_pod_is_admitted_without_a_sidecar_with_a_warning()
    {
        var (body, metrics, _) = await ReviewWithABrokenLookup(["--failure-policy", "Ignore"]);

        Assert.Equal(
            """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"boom","allowed":true,"warnings":["appmesh-inject could not process this pod (InvalidOperationException: lookup exploded); it was admitted without a sidecar because the webhook\u0027s failure policy is Ignore"]}}""",
            body);
        Assert.Equal(1, metrics.Value("appmesh_inject_admission_requests_total", "result=error", "reason=internal-error"));
        Assert.Equal(1, metrics.Value("appmesh_inject_admission_warnings_total"));
    }

    [Fact]
    public async Task The_error_is_logged_with_its_stack_trace_once_per_cause_and_every_review_has_its_decision_line()
    {
        var (_, metrics, lines) = await ReviewWithABrokenLookup([], reviews: 5);

        var errors = lines.Where(l => (string?)l["category"] == "Injector.Webhook.FailurePolicy").ToList();
        var error = Assert.Single(errors);
        Assert.Equal(
            ("error", "admission boom failed inside the injector: InvalidOperationException: lookup exploded; failure policy Fail: the pod is refused", 0),
            ((string?)error["level"], (string?)error["message"], (int)error["suppressed"]!));
        Assert.StartsWith("System.InvalidOperationException: lookup exploded\n   at Injector.Webhook.Tests.InternalErrorTests.BrokenLookup.GetControllerAsync", (string?)error["exception"]);

        var decisions = lines.Where(l => (string?)l["category"] == "Injector.Webhook.DecisionLog").ToList();
        Assert.Equal(["boom", "boom-1", "boom-2", "boom-3", "boom-4"], decisions.Select(d => (string?)d["uid"]));
        Assert.All(decisions, d => Assert.Equal(("warning", "error", "internal-error"), ((string?)d["level"], (string?)d["decision"], (string?)d["reason"])));
        Assert.Equal("InvalidOperationException: lookup exploded; the pod is refused (failure policy Fail)", (string?)decisions[0]["detail"]);
        Assert.Equal(5, metrics.Value("appmesh_inject_admission_requests_total", "result=error", "reason=internal-error"));
    }

    [Fact]
    public void Another_cause_gets_its_own_line_and_the_same_cause_is_told_again_after_the_window_with_the_count()
    {
        var time = new ManualTime(DateTimeOffset.Parse("2026-11-25T20:15:30Z", System.Globalization.CultureInfo.InvariantCulture));
        var text = JsonLineLoggerTests.Capture(f =>
        {
            var policy = new FailurePolicy(new WebhookOptions(), f.CreateLogger<FailurePolicy>(), time);
            var request = new Injector.Core.Admission.AdmissionRequest { Uid = "u" };
            Exception Thrown(Func<Exception> make)
            {
                try { throw make(); } catch (Exception ex) { return ex; }
            }
            var lookup = Thrown(() => new InvalidOperationException("lookup exploded"));
            var other = Thrown(() => new KeyNotFoundException("no such key"));
            for (var i = 0; i < 3; i++) policy.OnInternalError(request, lookup, TimeSpan.Zero);
            policy.OnInternalError(request, other, TimeSpan.Zero);
            time.Advance(FailurePolicy.LogWindow);
            policy.OnInternalError(request, lookup, TimeSpan.Zero);
        });

        var lines = LogLines.Parse(text);
        Assert.Equal(
            [("InvalidOperationException: lookup exploded", 0), ("KeyNotFoundException: no such key", 0), ("InvalidOperationException: lookup exploded", 2)],
            lines.Select(l => ((string)l["error"]!, (int)l["suppressed"]!)));
    }
}
