using Injector.Core.Admission;
using Injector.Core.Naming;
using k8s;

namespace Injector.Webhook.Kubernetes;

public static class KubernetesSetup
{
    /// <summary>Kubernetes API access when there is a cluster to talk to (in-cluster or <c>--kubeconfig</c>):
    /// owner lookups, the namespace and version caches, Events and caBundle patching. Without one, the
    /// defaults registered by <see cref="WebhookHost"/> stay: no lookups, no namespace defaults, classic.
    /// </summary>
    public static WebApplicationBuilder AddKubernetes(this WebApplicationBuilder builder, WebhookOptions options)
    {
        IKubernetes? client;
        // Before the host exists: a short-lived logger with the same line format as the host's.
        using (var loggers = LoggerFactory.Create(l => l.AddProvider(new Observability.JsonLineLoggerProvider(Console.OpenStandardOutput()))))
            client = KubernetesApi.CreateClient(options, loggers.CreateLogger("Injector.Webhook.Kubernetes"));
        if (client is null) return builder;
        var services = builder.Services;
        services.AddSingleton(client);
        services.AddSingleton(new ClusterConnection(client.BaseUri, options.Kubeconfig));
        services.AddSingleton<KubernetesApi>();
        services.AddSingleton<ObjectReferences>();
        services.AddSingleton<IOwnerLookup, KubernetesOwnerLookup>();

        services.AddSingleton<KubernetesClusterState>();
        services.AddSingleton<IClusterState>(sp => sp.GetRequiredService<KubernetesClusterState>());
        services.AddHostedService(sp => sp.GetRequiredService<KubernetesClusterState>());

        services.AddSingleton<EventRecorder>();
        services.AddSingleton<IDecisionObserver>(sp => sp.GetRequiredService<EventRecorder>());
        services.AddHostedService(sp => sp.GetRequiredService<EventRecorder>());

        services.AddSingleton<CaBundleSync>();
        services.AddHostedService(sp => sp.GetRequiredService<CaBundleSync>());
        return builder;
    }
}

/// <summary>Which API server the webhook talks to, and through which configuration (for the start-up line).</summary>
/// <param name="ApiServer">The API server's address.</param>
/// <param name="Kubeconfig">The kubeconfig file, or null for the in-cluster configuration.</param>
public sealed record ClusterConnection(Uri ApiServer, string? Kubeconfig);
