using System.Net;
using Injector.Configuration;
using Injector.Webhook.Observability;
using k8s;
using k8s.Autorest;

namespace Injector.Webhook.Kubernetes;

/// <summary>A Kubernetes API call failed, timed out or answered with an error status.</summary>
public sealed class KubernetesApiException(string operation, string message, HttpStatusCode? status = null, Exception? inner = null)
    : Exception($"{operation}: {message}", inner)
{
    public string Operation { get; } = operation;
    public HttpStatusCode? Status { get; } = status;
}

/// <summary>The one way this process talks to the Kubernetes API: every call is bounded by
/// <see cref="WebhookOptions.ApiTimeout"/> (and the caller's token), counted in the metrics, and
/// every failure becomes a <see cref="KubernetesApiException"/> with a short message.</summary>
public sealed class KubernetesApi(IKubernetes client, WebhookOptions options, InjectorMetrics metrics)
{
    public IKubernetes Client { get; } = client;
    public TimeSpan Timeout { get; } = options.ApiTimeout;

    /// <summary>Creates a client from <c>--kubeconfig</c>, else the in-cluster configuration, else null
    /// (the webhook then runs without the API and uses the documented fallbacks).</summary>
    public static IKubernetes? CreateClient(WebhookOptions options, ILogger logger)
    {
        try
        {
            // A list of files, as kubectl reads KUBECONFIG.
            if (options.Kubeconfig is { } path) return Create(KubernetesClientConfiguration.BuildConfigFromConfigObject(KubeconfigFiles.Read(path)));
            if (KubernetesClientConfiguration.IsInCluster()) return Create(KubernetesClientConfiguration.InClusterConfig());
            WebhookLog.NoKubernetesApi(logger);
            return null;
        }
        // Creating the client loads the certificates the configuration names or holds: its failures are the configuration's.
        catch (Exception ex) when (KubeconfigFiles.IsUnusable(ex))
        {
            throw new ConfigurationException([$"cannot read the Kubernetes configuration{(options.Kubeconfig is null ? "" : $" '{options.Kubeconfig}'")}: {KubeconfigFiles.Problem(ex)}"]);
        }
    }

    /// <summary>A client for <paramref name="config"/>; per-call timeouts come from tokens, so the
    /// HttpClient's own timeout is lifted (watches are long-lived).</summary>
    public static IKubernetes Create(KubernetesClientConfiguration config)
    {
        config.HttpClientTimeout = System.Threading.Timeout.InfiniteTimeSpan;
        config.UserAgent ??= "appmesh-inject";
        return new k8s.Kubernetes(config);
    }

    /// <summary>Counts a call made without <see cref="CallAsync{T}(string, Func{IKubernetes, CancellationToken, Task{T}}, CancellationToken)"/> (a watch stream).</summary>
    public void Record(string operation, bool failed) => metrics.RecordApiCall(operation, failed);

    /// <summary>Runs one call bounded by the API timeout and <paramref name="cancellationToken"/>.</summary>
    public Task<T> CallAsync<T>(string operation, Func<IKubernetes, CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        CallAsync(operation, call, Timeout, cancellationToken);

    /// <summary>Runs one call bounded by <paramref name="timeout"/> and <paramref name="cancellationToken"/>.</summary>
    public async Task<T> CallAsync<T>(string operation, Func<IKubernetes, CancellationToken, Task<T>> call, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        try
        {
            // Task.Run and WaitAsync: neither the client's synchronous start (a cold first call spends a while
            // building serializers) nor a client that ignores its token may hold the caller past the bound.
            var token = bounded.Token;
            var result = await Task.Run(() => call(Client, token), token).WaitAsync(token);
            metrics.RecordApiCall(operation, failed: false);
            return result;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            metrics.RecordApiCall(operation, failed: true);
            throw new KubernetesApiException(operation, $"no answer within {Seconds(timeout)}");
        }
        catch (OperationCanceledException)
        {
            metrics.RecordApiCall(operation, failed: true);
            throw new KubernetesApiException(operation, "cancelled: the admission deadline passed");
        }
        catch (HttpOperationException ex)
        {
            metrics.RecordApiCall(operation, failed: true);
            var status = ex.Response.StatusCode;
            throw new KubernetesApiException(operation, $"the API server answered {(int)status} {ex.Response.ReasonPhrase ?? status.ToString()}", status, ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or System.Text.Json.JsonException or InvalidOperationException)
        {
            metrics.RecordApiCall(operation, failed: true);
            throw new KubernetesApiException(operation, ex.Message, null, ex);
        }
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds >= 1 ? $"{t.TotalSeconds:0.#}s" : $"{t.TotalMilliseconds:0}ms";
}
