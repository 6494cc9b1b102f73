using Injector.Webhook.Kubernetes;
using Injector.Webhook.Observability;
using Microsoft.Extensions.Logging.Abstractions;

namespace Injector.Webhook.Tests;

/// <summary>Runs only when <c>APPMESH_INJECT_TEST_KUBECONFIG</c> names a kubeconfig of a real (test) cluster.</summary>
public sealed class RealClusterFactAttribute : FactAttribute
{
    public const string Variable = "APPMESH_INJECT_TEST_KUBECONFIG";

    public RealClusterFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable))) Skip = $"set {Variable} to a kubeconfig to run against a real cluster";
    }
}

public sealed class RealClusterTests
{
    [RealClusterFact]
    public async Task The_real_api_server_answers_version_namespaces_and_the_cluster_state_syncs()
    {
        var options = new WebhookOptions { Kubeconfig = Environment.GetEnvironmentVariable(RealClusterFactAttribute.Variable), ApiTimeout = TimeSpan.FromSeconds(10) };
        var metrics = new InjectorMetrics();
        var api = new KubernetesApi(KubernetesApi.CreateClient(options, NullLogger.Instance)!, options, metrics);
        var state = new KubernetesClusterState(api, NullLogger<KubernetesClusterState>.Instance);
        using var stop = new CancellationTokenSource();
        await state.StartAsync(stop.Token);
        await state.NamespacesSynced.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotNull(state.CachedNamespace("kube-system")?.Annotations);
        Assert.Equal(0, metrics.ApiFailureCount("list-namespaces"));
        await stop.CancelAsync();
        await state.StopAsync(CancellationToken.None);
    }
}
