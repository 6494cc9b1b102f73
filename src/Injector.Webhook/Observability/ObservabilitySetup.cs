using Injector.Core.Admission;
using Injector.Core.Injection;
using Injector.Core.Settings;

namespace Injector.Webhook.Observability;

/// <summary>Counts every admission decision (and its warnings) in <see cref="InjectorMetrics"/>.</summary>
public sealed class MetricsObserver(InjectorMetrics metrics) : IDecisionObserver
{
    public void OnDecision(AdmissionRequest request, AdmissionDecision decision) =>
        metrics.RecordAdmission(decision.Result, decision.Reason, decision.Duration, decision.Response.Warnings.Count);
}

public static class ObservabilitySetup
{
    /// <summary>Metrics, the per-decision log line, failed handshakes, client problems and the start-up line.</summary>
    public static WebApplicationBuilder AddObservability(this WebApplicationBuilder builder, InjectorSettings settings, OptionSources sources)
    {
        // The decision line is the per-request record; the framework's own per-request lines only add noise,
        // and its four start-up lines are replaced by the webhook's one (StartupReport).
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        // Kestrel reports failed TLS handshakes only as debug events: those reach KestrelHandshakeEvents (added
        // to the logger factory in UseObservability, so that no ClearProviders removes it), no other provider.
        builder.Logging.AddFilter<KestrelHandshakeEvents>(TlsHandshakeMonitor.KestrelHttpsCategory, LogLevel.Debug);
        builder.Logging.AddFilter<KestrelHandshakeEvents>((category, _) => category == TlsHandshakeMonitor.KestrelHttpsCategory);

        builder.Services.AddSingleton(_ =>
        {
            var metrics = new InjectorMetrics();
            metrics.SetBuildInfo(PodInjector.Version, settings.MeshName, settings.Region, settings.SidecarMode.ToString().ToLowerInvariant(), settings.SidecarImage);
            return metrics;
        });
        builder.Services.AddSingleton<IDecisionObserver, DecisionLog>();
        builder.Services.AddSingleton<IDecisionObserver, MetricsObserver>();
        builder.Services.AddSingleton<TlsHandshakeMonitor>();
        builder.Services.AddSingleton<RequestOutcomes>();
        builder.Services.AddSingleton<FailurePolicy>();
        builder.Services.AddSingleton(sources);
        builder.Services.AddHostedService<StartupReport>();
        return builder;
    }

    /// <summary>The plain-HTTP port's gate, then the bookkeeping of requests that never reach a decision.</summary>
    public static WebApplication UseObservability(this WebApplication app)
    {
        app.Services.GetRequiredService<ILoggerFactory>().AddProvider(new KestrelHandshakeEvents(app.Services));
        app.UseMetricsPortGate(app.Services.GetRequiredService<WebhookOptions>());
        var outcomes = app.Services.GetRequiredService<RequestOutcomes>();
        app.Use((http, next) => outcomes.InvokeAsync(http, next));
        return app;
    }

    /// <summary><c>GET /metrics</c> in the Prometheus text format.</summary>
    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder app)
    {
        var metrics = app.ServiceProvider.GetRequiredService<InjectorMetrics>();
        app.MapGet("/metrics", async http =>
        {
            http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await metrics.WriteAsync(http.Response.Body, http.RequestAborted);
        });
        return app;
    }
}
