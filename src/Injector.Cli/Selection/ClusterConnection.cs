using Injector.Configuration;
using k8s;
using k8s.Autorest;

namespace Injector.Cli.Selection;

/// <summary>The cluster in the kubeconfig, found as kubectl finds it: <c>--kubeconfig</c>, else the
/// <c>KUBECONFIG</c> variable (a list of files, merged), else <c>~/.kube/config</c> where a command needs a cluster.</summary>
internal sealed class ClusterConnection(IKubernetes client, string server, string source) : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public IKubernetes Client { get; } = client;

    /// <summary>The API server's URL.</summary>
    public string Server { get; } = server;

    /// <summary>Where the configuration came from, for messages (<c>--kubeconfig x</c>, <c>KUBECONFIG</c>).</summary>
    public string Source { get; } = source;

    private static string? DefaultKubeconfig(IReadOnlyDictionary<string, string> environment) =>
        environment.TryGetValue("HOME", out var home) && home.Length > 0 ? Path.Combine(home, ".kube", "config") : null;

    /// <summary>The connection, or null when no kubeconfig is named and <paramref name="required"/> is false.</summary>
    /// <exception cref="UsageException">The kubeconfig cannot be read.</exception>
    public static ClusterConnection? Open(string? kubeconfigFlag, IReadOnlyDictionary<string, string> environment, bool required)
    {
        string? paths;
        string source;
        if (kubeconfigFlag is { Length: > 0 })
        {
            paths = kubeconfigFlag;
            source = $"--kubeconfig {kubeconfigFlag}";
        }
        else if (environment.TryGetValue("KUBECONFIG", out var variable) && variable.Length > 0)
        {
            paths = variable;
            source = $"KUBECONFIG={variable}";
        }
        else if (required && DefaultKubeconfig(environment) is { } fallback && File.Exists(fallback))
        {
            paths = fallback;
            source = paths;
        }
        else
        {
            // kubectl's last resort is ~/.kube/config: say that it was looked for too.
            if (required) throw new UsageException("no cluster: give --kubeconfig FILE or set KUBECONFIG" + (DefaultKubeconfig(environment) is { } missing ? $" (there is no {missing} either)" : ""), pointToHelp: false);
            return null;
        }
        try
        {
            var config = KubernetesClientConfiguration.BuildConfigFromConfigObject(KubeconfigFiles.Read(paths));
            var client = new Kubernetes(config);
            client.HttpClient.Timeout = Timeout;
            return new ClusterConnection(client, config.Host ?? "", source);
        }
        catch (Exception ex) when (KubeconfigFiles.IsUnusable(ex))
        {
            throw new UsageException($"cannot read the kubeconfig ({source}): {KubeconfigFiles.Problem(ex)}", pointToHelp: false);
        }
    }

    /// <summary>Runs an API call; a failure becomes a message that names the server and what failed.</summary>
    public async Task<T> CallAsync<T>(string what, Func<IKubernetes, CancellationToken, Task<T>> call)
    {
        using var cancel = new CancellationTokenSource(Timeout);
        try
        {
            return await call(Client, cancel.Token).ConfigureAwait(false);
        }
        catch (HttpOperationException ex)
        {
            throw new ClusterException($"{what}: {Status(ex)}", ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or OperationCanceledException or IOException)
        {
            throw new ClusterException($"{what}: {(ex is OperationCanceledException ? $"no answer within {Timeout.TotalSeconds:0} s" : ex.Message)} ({Server})", ex);
        }
    }

    public static bool IsNotFound(ClusterException ex) => ex.InnerException is HttpOperationException { Response.StatusCode: System.Net.HttpStatusCode.NotFound };

    private static string Status(HttpOperationException ex)
    {
        var body = ex.Response?.Content;
        try
        {
            if (body is not null && System.Text.Json.Nodes.JsonNode.Parse(body)?["message"]?.GetValue<string>() is { } message) return message;
        }
        catch (System.Text.Json.JsonException)
        {
        }
        return $"HTTP {(int?)ex.Response?.StatusCode}";
    }

    public void Dispose() => Client.Dispose();
}

/// <summary>A Kubernetes API call failed; the message says which and why.</summary>
internal sealed class ClusterException(string message, Exception? inner = null) : Exception(message, inner);
