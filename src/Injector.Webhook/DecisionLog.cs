using Injector.Core.Admission;

namespace Injector.Webhook;

/// <summary>One structured log line per admission decision.</summary>
public sealed partial class DecisionLog(ILogger<DecisionLog> logger) : IDecisionObserver
{
    public void OnDecision(AdmissionRequest request, AdmissionDecision decision) =>
        Log(logger, request.Uid, request.Namespace, decision.Workload, decision.Result, decision.Reason, decision.Message,
            decision.Duration.TotalMilliseconds, request.DryRun);

    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "admission {Uid} {Namespace}/{Workload}: {Decision} ({Reason}) {Detail} in {DurationMs} ms, dryRun={DryRun}")]
    private static partial void Log(ILogger logger, string uid, string Namespace, string? workload, string decision, string reason, string detail, double durationMs, bool dryRun);
}
