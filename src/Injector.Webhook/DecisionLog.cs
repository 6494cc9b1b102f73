using Injector.Core.Admission;
using Injector.Webhook.Observability;

namespace Injector.Webhook;

/// <summary>One structured log line per admission decision: injected and skipped pods at information level,
/// denials and failures at warning level, with the answer's admission warnings.</summary>
public sealed class DecisionLog(ILogger<DecisionLog> logger) : IDecisionObserver
{
    public void OnDecision(AdmissionRequest request, AdmissionDecision decision)
    {
        var milliseconds = Math.Round(decision.Duration.TotalMilliseconds, 3);
        var warnings = decision.Response.Warnings;
        if (decision.Result == AdmissionDecision.ResultInjected)
        {
            WebhookLog.Injected(logger, request.Uid, request.Namespace, decision.Workload, decision.Result, decision.Reason, decision.Message, milliseconds, request.DryRun, warnings);
            return;
        }
        var level = decision.Result == AdmissionDecision.ResultSkipped ? LogLevel.Information : LogLevel.Warning;
        WebhookLog.Decision(logger, level, request.Uid, request.Namespace, decision.Workload, decision.Result, decision.Reason, decision.Message, milliseconds, request.DryRun, warnings);
    }
}
