using Injector.Core.Admission;
using Injector.Webhook.Observability;
using Microsoft.Extensions.Logging;

namespace Injector.Webhook.Tests;

public sealed class JsonLineLoggerTests
{
    /// <summary>What the JSON line logger writes for <paramref name="log"/> (every level on), at a fixed time.</summary>
    internal static string Capture(Action<ILoggerFactory> log)
    {
        var output = new MemoryStream();
        var provider = new JsonLineLoggerProvider(output, FixedTime.LogTests);
        using (var factory = LoggerFactory.Create(b => b.AddProvider(provider).SetMinimumLevel(LogLevel.Trace))) log(factory);
        provider.Dispose();
        return System.Text.Encoding.UTF8.GetString(output.ToArray());
    }

    [Fact]
    public void A_decision_is_one_flat_json_line_with_its_fields()
    {
        var request = new AdmissionRequest { Uid = "u-1", Namespace = "shop", DryRun = true };
        var decision = new AdmissionDecision(AdmissionResponse.Allow(), "skipped", "host-network", "the pod uses the host network", TimeSpan.FromMilliseconds(1.5))
        {
            Workload = "agent",
        };

        var text = Capture(f => new DecisionLog(f.CreateLogger<DecisionLog>()).OnDecision(request, decision));

        Assert.Equal(
            """{"time":"2026-11-25T20:15:30.123Z","level":"info","category":"Injector.Webhook.DecisionLog","message":"admission u-1 shop/agent: skipped (host-network): the pod uses the host network in 1.5 ms","uid":"u-1","namespace":"shop","workload":"agent","decision":"skipped","reason":"host-network","detail":"the pod uses the host network","durationMs":1.5,"dryRun":true,"warnings":[]}""" + "\n",
            text);
    }

    [Fact]
    public void A_denial_is_a_warning_and_carries_the_answers_admission_warnings()
    {
        var request = new AdmissionRequest { Uid = "u-2", Namespace = "shop" };
        var message = "annotation appmesh.k8s.aws/cpuRequest: \"lots\" is not valid";
        var response = AdmissionResponse.Deny(message, ["unknown annotation appmesh.k8s.aws/cpuRequests is ignored; did you mean appmesh.k8s.aws/cpuRequest?"]);
        var decision = new AdmissionDecision(response, "denied", "invalid-annotation", message, TimeSpan.FromMilliseconds(0.25)) { Workload = "web" };

        var text = Capture(f => new DecisionLog(f.CreateLogger<DecisionLog>()).OnDecision(request, decision));

        Assert.Equal(
            """{"time":"2026-11-25T20:15:30.123Z","level":"warning","category":"Injector.Webhook.DecisionLog","message":"admission u-2 shop/web: denied (invalid-annotation): annotation appmesh.k8s.aws/cpuRequest: \"lots\" is not valid in 0.25 ms","uid":"u-2","namespace":"shop","workload":"web","decision":"denied","reason":"invalid-annotation","detail":"annotation appmesh.k8s.aws/cpuRequest: \"lots\" is not valid","durationMs":0.25,"dryRun":false,"warnings":["unknown annotation appmesh.k8s.aws/cpuRequests is ignored; did you mean appmesh.k8s.aws/cpuRequest?"]}""" + "\n",
            text);
    }

    [Fact]
    public void An_injection_line_does_not_repeat_the_decision_in_its_message()
    {
        var request = new AdmissionRequest { Uid = "u-3", Namespace = "bookinfo" };
        var decision = new AdmissionDecision(AdmissionResponse.Allow(), "injected", "injected", "injected into mesh demo as virtual node details-v1-bookinfo", TimeSpan.FromMilliseconds(0.123456))
        {
            Workload = "details-v1",
        };

        var line = LogLines.Parse(Capture(f => new DecisionLog(f.CreateLogger<DecisionLog>()).OnDecision(request, decision))).Single();

        Assert.Equal("admission u-3 bookinfo/details-v1: injected into mesh demo as virtual node details-v1-bookinfo in 0.123 ms", (string?)line["message"]);
        var words = ((string)line["message"]!).Split(' ');
        Assert.Equal(1, words.Count(w => w == "injected"));
        Assert.Equal(("info", "injected", "injected"), ((string?)line["level"], (string?)line["decision"], (string?)line["reason"]));
    }

    [Fact]
    public void Every_entry_is_written_in_order_and_exceptions_are_included()
    {
        var text = Capture(f =>
        {
            var logger = f.CreateLogger("Test");
            for (var i = 0; i < 500; i++) logger.LogWarning("line {Number}", i);
            logger.LogError(new InvalidOperationException("boom"), "failed");
        });

        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(501, lines.Length);
        Assert.Equal("""{"time":"2026-11-25T20:15:30.123Z","level":"warning","category":"Test","message":"line 499","number":499}""", lines[499]);
        Assert.Equal("""{"time":"2026-11-25T20:15:30.123Z","level":"error","category":"Test","message":"failed","exception":"System.InvalidOperationException: boom"}""", lines[500]);
    }
}
