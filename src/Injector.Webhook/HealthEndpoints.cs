using Microsoft.AspNetCore.Connections.Features;

namespace Injector.Webhook;

/// <summary>Whether the process should receive reviews: false until the certificate is loaded and, with
/// a cluster, until the namespaces have been listed once (before that, a pod of a namespace with
/// <c>appmesh.k8s.aws/*</c> defaults would be injected without them), and from the moment shutdown
/// begins, so the Service stops routing here while in-flight reviews finish.</summary>
public sealed class Readiness(CertificateStore certificates, Kubernetes.KubernetesClusterState? cluster = null)
{
    private volatile bool _stopping;

    public void MarkStopping() => _stopping = true;

    /// <summary>True from SIGTERM on.</summary>
    public bool Stopping => _stopping;

    /// <summary>Null when ready, else why not.</summary>
    public string? NotReadyReason =>
        _stopping ? "shutting down"
        : certificates.Current is null ? "no certificate loaded"
        : cluster is { NamespacesSynced.IsCompleted: false } ? "namespaces not listed yet"
        : null;
}

/// <summary>The shutdown delay as part of the host's stopping: <see cref="IHostedLifecycleService.StoppingAsync"/>
/// runs before any service stops, so Kestrel keeps serving (and telling clients to move) for the delay, and
/// only then stops accepting and drains. Awaited, not slept: no thread is blocked, SIGTERM or not.</summary>
public sealed class ShutdownDelay(WebhookOptions options, Readiness readiness) : IHostedLifecycleService
{
    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        // Here too, not only on ApplicationStopping: a host stopped by StopAsync (not by a signal) raises
        // that only after the lifecycle services' StoppingAsync.
        readiness.MarkStopping();
        return options.ShutdownDelay > 0 ? Task.Delay(TimeSpan.FromSeconds(options.ShutdownDelay), cancellationToken) : Task.CompletedTask;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

public static class HealthEndpoints
{
    /// <summary>Readiness, and graceful shutdown. On SIGTERM readiness turns false at once and every answer
    /// tells its client to move (HTTP/1.1 <c>Connection: close</c>, HTTP/2 GOAWAY) for
    /// <c>--shutdown-delay</c> seconds while the Service drops this replica; then Kestrel stops accepting,
    /// in-flight reviews finish (up to <paramref name="drainTimeout"/>), and the process exits: at most the
    /// delay plus the drain timeout after SIGTERM.</summary>
    public static WebApplicationBuilder AddLifecycle(this WebApplicationBuilder builder, WebhookOptions options, TimeSpan drainTimeout)
    {
        builder.Services.AddSingleton<Readiness>();
        builder.Services.AddHostedService<ShutdownDelay>();
        // The host's shutdown timeout starts before the delay: it covers both.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(options.ShutdownDelay) + drainTimeout);
        return builder;
    }

    /// <summary><c>/healthz</c>: the process serves; <c>/readyz</c>: it has a certificate and is not stopping.</summary>
    public static WebApplication MapHealth(this WebApplication app)
    {
        var readiness = app.Services.GetRequiredService<Readiness>();
        app.Lifetime.ApplicationStopping.Register(readiness.MarkStopping);
        // Once stopping, each connection is closed after the answer in hand (and HTTP/2 ones get a GOAWAY,
        // then linger until the client has read it: LingeringClose), so that clients reconnect — through the
        // Service, to another replica once endpoints have moved — instead of reusing a connection that this
        // process will cut when the delay ends.
        app.Use((http, next) =>
        {
            if (readiness.Stopping) http.Features.Get<IConnectionLifetimeNotificationFeature>()?.RequestClose();
            return next(http);
        });
        // Request delegates, not minimal-API handlers: those are compiled at the first request (any request,
        // the first review included), which cost start-up time measured in docs/performance.md.
        app.MapGet("/healthz", http => PlainText(http, StatusCodes.Status200OK, "ok\n"));
        app.MapGet("/readyz", http => readiness.NotReadyReason is { } why
            ? PlainText(http, StatusCodes.Status503ServiceUnavailable, why + "\n")
            : PlainText(http, StatusCodes.Status200OK, "ready\n"));
        return app;
    }

    private static Task PlainText(HttpContext http, int status, string text)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "text/plain; charset=utf-8";
        http.Response.ContentLength = System.Text.Encoding.UTF8.GetByteCount(text);
        return http.Response.WriteAsync(text, http.RequestAborted);
    }
}
