using System.Text;
using Injector.Core.Admission;
using Injector.Webhook;
using Injector.Webhook.Observability;
using Microsoft.Extensions.Logging;

namespace Injector.Shipping.Tests;

public sealed class LogDocsTests
{
    [Fact]
    public void The_decision_line_in_docs_operations_is_the_line_the_webhook_writes_for_that_decision()
    {
        var doc = File.ReadAllText(Path.Combine(Repo.Root, "docs", "operations.md"));
        var logs = doc[doc.IndexOf("## Logs", StringComparison.Ordinal)..];
        var start = logs.IndexOf("```json\n", StringComparison.Ordinal) + "```json\n".Length;
        var documented = logs[start..logs.IndexOf("\n```", start, StringComparison.Ordinal)];

        var output = new MemoryStream();
        var provider = new JsonLineLoggerProvider(output, FixedTime.LogTests);
        using (var factory = LoggerFactory.Create(b => b.AddProvider(provider)))
        {
            var request = new AdmissionRequest { Uid = "705ab4f5-6393-11e8-b7cc-42010a800002", Namespace = "bookinfo" };
            var message = "injected into mesh demo as virtual node productpage-v1-bookinfo";
            var decision = new AdmissionDecision(AdmissionResponse.Allow(), AdmissionDecision.ResultInjected, "injected", message, TimeSpan.FromMilliseconds(0.41))
            {
                Workload = "productpage-v1",
            };
            new DecisionLog(factory.CreateLogger<DecisionLog>()).OnDecision(request, decision);
        }
        provider.Dispose();

        Assert.Equal(documented + "\n", Encoding.UTF8.GetString(output.ToArray()));
    }
}
