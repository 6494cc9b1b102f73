using Injector.Core.Admission;

namespace Injector.Webhook.Observability;

/// <summary>Counts every admission decision in <see cref="InjectorMetrics"/>.</summary>
public sealed class MetricsObserver(InjectorMetrics metrics) : IDecisionObserver
{
    public void OnDecision(AdmissionRequest request, AdmissionDecision decision) =>
        metrics.RecordAdmission(decision.Result, decision.Reason, decision.Duration);
}

public static class ObservabilitySetup
{
    /// <summary>Metrics and the per-decision log line.</summary>
    public static WebApplicationBuilder AddObservability(this WebApplicationBuilder builder)
    {
        // The decision line is the per-request record; the framework's own per-request lines only add noise.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.AddSingleton<InjectorMetrics>();
        builder.Services.AddSingleton<IDecisionObserver, DecisionLog>();
        builder.Services.AddSingleton<IDecisionObserver, MetricsObserver>();
        return builder;
    }

    /// <summary><c>GET /metrics</c> in the Prometheus text format.</summary>
    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder app)
    {
        app.MapGet("/metrics", (InjectorMetrics metrics) =>
            Results.Text(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8"));
        return app;
    }
}
