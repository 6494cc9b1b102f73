using Microsoft.AspNetCore.Connections;

namespace Injector.Webhook.Observability;

/// <summary>The plain-HTTP port (<c>--metrics-port</c>) for <c>/metrics</c>, <c>/healthz</c> and <c>/readyz</c>, as
/// controller-runtime serves them: Prometheus scrapes and the kubelet probes without TLS, so neither needs
/// to skip certificate verification. Admission reviews are never answered there.</summary>
public static class MetricsPort
{
    /// <summary>Set on the connections of the plain-HTTP listener.</summary>
    public sealed class Connection
    {
        public static readonly Connection Marker = new();
    }

    private static readonly string[] Paths = ["/metrics", "/healthz", "/readyz"];

    public static WebApplicationBuilder AddMetricsPort(this WebApplicationBuilder builder, WebhookOptions options)
    {
        if (options.MetricsPort is not { } port) return builder;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenAnyIP(port, listen => listen.Use(next => connection =>
        {
            connection.Features.Set(Connection.Marker);
            return next(connection);
        })));
        return builder;
    }

    /// <summary>On the plain-HTTP port, only the three paths, which routing answers (another method than GET: 405
    /// with <c>Allow: GET</c>); every other path is 404. Without that port there is nothing to gate; with it, a
    /// request over HTTPS (every review) is let through on one check, before the connection's features are searched
    /// for the port's mark.</summary>
    public static IApplicationBuilder UseMetricsPortGate(this IApplicationBuilder app, WebhookOptions options) => options.MetricsPort is null ? app : app.Use((http, next) =>
    {
        if (http.Request.IsHttps || http.Features.Get<Connection>() is null) return next(http);
        if (Paths.Contains(http.Request.Path.Value)) return next(http);
        http.Response.StatusCode = StatusCodes.Status404NotFound;
        http.Response.ContentType = "text/plain; charset=utf-8";
        return http.Response.WriteAsync("not found: this port serves GET /metrics, /healthz and /readyz; admission reviews go to the HTTPS port\n");
    });
}
