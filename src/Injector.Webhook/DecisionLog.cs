using Injector.Core.Admission;
using Injector.Webhook.Observability;

namespace Injector.Webhook;

/// <summary>One structured log line per admission decision.</summary>
public sealed class DecisionLog(ILogger<DecisionLog> logger) : IDecisionObserver
{
    public void OnDecision(AdmissionRequest request, AdmissionDecision decision) =>
        WebhookLog.Decision(logger, request.Uid, request.Namespace, decision.Workload, decision.Result, decision.Reason, decision.Message,
            decision.Duration.TotalMilliseconds, request.DryRun);
}
