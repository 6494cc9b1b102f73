namespace Injector.Webhook;

public static class HealthEndpoints
{
    /// <summary><c>/healthz</c>: the process serves; <c>/readyz</c>: it has a certificate and takes reviews.</summary>
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", (CertificateStore certificates) =>
            certificates.Current is not null ? Results.Text("ready\n") : Results.Text("no certificate\n", statusCode: 503));
        return app;
    }
}
