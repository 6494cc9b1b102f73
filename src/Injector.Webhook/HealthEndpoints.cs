namespace Injector.Webhook;

/// <summary>Whether the process should receive reviews: false until the certificate is loaded and, with
/// a cluster, until the namespaces have been listed once (before that, a pod of a namespace with
/// <c>appmesh.k8s.aws/*</c> defaults would be injected without them), and from the moment shutdown
/// begins, so the Service stops routing here while in-flight reviews finish.</summary>
public sealed class Readiness(CertificateStore certificates, Kubernetes.KubernetesClusterState? cluster = null)
{
    private volatile bool _stopping;

    public void MarkStopping() => _stopping = true;

    /// <summary>Null when ready, else why not.</summary>
    public string? NotReadyReason =>
        _stopping ? "shutting down"
        : certificates.Current is null ? "no certificate loaded"
        : cluster is { NamespacesSynced.IsCompleted: false } ? "namespaces not listed yet"
        : null;
}

public static class HealthEndpoints
{
    /// <summary>Readiness, and graceful shutdown: on SIGTERM readiness turns false at once, Kestrel stops
    /// accepting, in-flight reviews finish (up to <paramref name="drainTimeout"/>), then the process exits.</summary>
    public static WebApplicationBuilder AddLifecycle(this WebApplicationBuilder builder, TimeSpan drainTimeout)
    {
        builder.Services.AddSingleton<Readiness>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = drainTimeout);
        return builder;
    }

    /// <summary><c>/healthz</c>: the process serves; <c>/readyz</c>: it has a certificate and is not stopping.</summary>
    public static WebApplication MapHealth(this WebApplication app)
    {
        var readiness = app.Services.GetRequiredService<Readiness>();
        var delay = TimeSpan.FromSeconds(app.Services.GetRequiredService<WebhookOptions>().ShutdownDelay);
        // Not ready at once, but keep serving for the delay: endpoints take a moment to drop this replica.
        app.Lifetime.ApplicationStopping.Register(() =>
        {
            readiness.MarkStopping();
            if (delay > TimeSpan.Zero) Thread.Sleep(delay);
        });
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", () => readiness.NotReadyReason is { } why ? Results.Text(why + "\n", statusCode: 503) : Results.Text("ready\n"));
        return app;
    }
}
