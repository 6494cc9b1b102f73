using Injector.Core.Injection;
using Injector.Core.Settings;
using Injector.Webhook.Kubernetes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Injector.Webhook.Observability;

/// <summary>Where each option that is not a default came from (<c>flag --x</c>, <c>environment variable X</c>,
/// <c>config file 'path'</c>), by option name.</summary>
public sealed record OptionSources(IReadOnlyDictionary<string, string> Sources);

/// <summary>Writes the one start-up line: version, ports, mesh, region, sidecar mode, failure policy and the
/// cluster — the API server's address and version and the configuration that named it, so that a local run
/// that picked up <c>KUBECONFIG</c> says so. It waits for the server to listen and for the API server's
/// first <c>/version</c> answer (at most the API timeout), so the line holds what the webhook will act on.</summary>
public sealed class StartupReport(
    IServiceProvider services, InjectorSettings settings, WebhookOptions options, OptionSources sources,
    IHostApplicationLifetime lifetime, ILogger<StartupReport> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            try
            {
                await started.Task.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        var cluster = services.GetService<KubernetesClusterState>();
        if (cluster is not null)
        {
            try
            {
                await cluster.FirstVersionAnswer.WaitAsync(options.ApiTimeout + TimeSpan.FromSeconds(1), stoppingToken);
            }
            catch (TimeoutException)
            {
                // Report what is known; the version line follows when the API server answers.
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        Report(cluster);
    }

    private void Report(KubernetesClusterState? cluster)
    {
        var (port, metricsPort) = ListeningPorts();
        var connection = services.GetService<ClusterConnection>();
        var mode = settings.SidecarMode switch
        {
            SidecarMode.Auto => cluster?.NativeSidecarsSupported == true ? "auto (native)" : "auto (classic)",
            var fixedMode => fixedMode.ToString().ToLowerInvariant(),
        };
        var metricsAddress = metricsPort is { } m ? $":{m}" : "the HTTPS port";
        var policy = options.FailurePolicy.ToString();
        var memory = services.GetRequiredService<ReviewMemory>();
        var heapLimit = ReviewMemory.InMebibytes(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
        var gc = GarbageCollector(GC.GetConfigurationVariables());
        var arriving = ReviewMemory.InMebibytes(memory.Arrival.Capacity);
        var deciding = ReviewMemory.InMebibytes(memory.Processing.Capacity);
        if (connection is null)
        {
            WebhookLog.StartedWithoutCluster(logger, PodInjector.Version, port, metricsAddress, settings.MeshName, settings.Region, mode, policy, heapLimit, gc, arriving, deciding);
            return;
        }
        var apiServer = connection.ApiServer.ToString().TrimEnd('/');
        var apiServerVersion = cluster?.ServerVersion ?? "unknown";
        var configuration = Configuration(connection);
        WebhookLog.Started(logger, PodInjector.Version, port, metricsAddress, settings.MeshName, settings.Region, mode, policy, heapLimit, gc, arriving, deciding, apiServer, apiServerVersion, configuration);
    }

    /// <summary>The GC as the runtime runs it (what took effect, not what a configuration file asked for): its kind,
    /// and the project's two settings when set (docs/operations.md, Resources).</summary>
    internal static string GarbageCollector(IReadOnlyDictionary<string, object> variables)
    {
        long Number(string name) => variables.TryGetValue(name, out var value) ? Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        var kind = variables.TryGetValue("ServerGC", out var server) && server is true ? "server GC" : "workstation GC";
        var conserve = Number("GCConserveMem");
        var gen0 = Number("GCGen0MaxBudget");
        return kind + (conserve > 0 ? $", ConserveMemory {conserve}" : "") + (gen0 > 0 ? $", gen0 budget at most {ReviewMemory.InMebibytes(gen0)}" : "");
    }

    /// <summary>How the cluster was found: in-cluster, or a kubeconfig file and who named it.</summary>
    private string Configuration(ClusterConnection connection)
    {
        if (connection.Kubeconfig is not { } path) return "in-cluster configuration";
        return sources.Sources.TryGetValue("kubeconfig", out var from) ? $"kubeconfig {path} from {from}" : $"kubeconfig {path}";
    }

    /// <summary>The ports actually listened on (a configured 0 becomes the port the system chose).</summary>
    private (int Https, int? Metrics) ListeningPorts()
    {
        var addresses = services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        int? Port(string scheme) => addresses.Where(a => a.StartsWith(scheme + "://", StringComparison.Ordinal))
            .Select(a => (int?)new Uri(a.Replace("[::]", "localhost", StringComparison.Ordinal).Replace("0.0.0.0", "localhost", StringComparison.Ordinal)).Port)
            .FirstOrDefault();
        return (Port("https") ?? options.Port, options.MetricsPort is null ? null : Port("http") ?? options.MetricsPort);
    }
}
