using Injector.Core.Admission;
using Injector.Core.Injection;
using Injector.Webhook.Observability;

namespace Injector.Webhook;

/// <summary>What an internal error (a bug, an unexpected exception from a dependency) does to the pod: the
/// operator's <c>failurePolicy</c> decides, as the API server decides it when the webhook cannot be reached.
/// <c>Fail</c> refuses the pod with the error's message — the operator chose "no pod outside the mesh";
/// <c>Ignore</c> admits it without a sidecar, with a warning. Either way the decision is counted (result
/// <c>error</c>, reason <c>internal-error</c>) and the error is logged with its stack trace, once per cause
/// per <see cref="LogWindow"/>.</summary>
public sealed class FailurePolicy(WebhookOptions options, ILogger<FailurePolicy> logger, TimeProvider? time = null)
{
    public static readonly TimeSpan LogWindow = TimeSpan.FromMinutes(10);

    private readonly LogRateLimiter _lines = new(LogWindow, time);

    public FailurePolicyMode Mode { get; } = options.FailurePolicy;

    /// <summary>The answer to a review the webhook will not decide — its memory budget stayed busy until the review's
    /// deadline (429), or its JSON values could never fit (413) — and what that does to the pod, for the log. Under
    /// <c>Fail</c> the refusal; under <c>Ignore</c> the pod is admitted without a sidecar with a warning, as the API
    /// server admits it when the webhook cannot answer in time.</summary>
    public (AdmissionResponse Response, string Outcome) OnUndecided(AdmissionResponse refusal) => Mode == FailurePolicyMode.Fail
        ? (refusal, "the pod is refused (failure policy Fail)")
        : (AdmissionResponse.Allow([$"appmesh-inject did not decide this pod ({refusal.Message}); it was admitted without a sidecar because the webhook's failure policy is Ignore"]),
            "the pod is admitted without a sidecar (failure policy Ignore)");

    /// <summary>The decision for <paramref name="request"/>, whose handling threw <paramref name="exception"/>.</summary>
    public AdmissionDecision OnInternalError(AdmissionRequest request, Exception exception, TimeSpan duration)
    {
        var error = $"{exception.GetType().Name}: {exception.Message}";
        var (response, outcome) = Mode == FailurePolicyMode.Fail
            ? (AdmissionResponse.InternalError($"appmesh-inject could not process this pod ({error}); it is refused because the webhook's failure policy is Fail"), "the pod is refused")
            : (AdmissionResponse.Allow([$"appmesh-inject could not process this pod ({error}); it was admitted without a sidecar because the webhook's failure policy is Ignore"]),
                "the pod is admitted without a sidecar");
        // One cause: the same exception type thrown from the same place.
        if (_lines.TryAcquire($"{exception.GetType().FullName} {exception.TargetSite}", out var suppressed))
            WebhookLog.AdmissionFailed(logger, exception, request.Uid, error, Mode.ToString(), outcome, suppressed);
        return new AdmissionDecision(response, AdmissionDecision.ResultError, Reasons.InternalError, $"{error}; {outcome} (failure policy {Mode})", duration);
    }
}
