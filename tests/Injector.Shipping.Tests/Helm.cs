using k8s;
using k8s.Models;

namespace Injector.Shipping.Tests;

/// <summary>Runs helm against the chart and loads what it renders.</summary>
internal static class Helm
{
    public const string Release = "appmesh-inject";
    public const string Namespace = "appmesh-system";
    public const string Image = "registry.example.com/appmesh-inject-webhook";

    /// <summary>The values the chart refuses to render without (a mesh, a region, an image that is not the placeholder).</summary>
    public static readonly string[] Required = ["--set", "mesh.name=demo", "--set", "region=us-west-2", "--set", $"image.repository={Image}"];

    private static readonly Dictionary<string, Type> ModelTypes = new()
    {
        ["cert-manager.io/v1/Certificate"] = typeof(CertManagerCertificate),
        ["cert-manager.io/v1/Issuer"] = typeof(CertManagerIssuer),
        ["monitoring.coreos.com/v1/ServiceMonitor"] = typeof(ServiceMonitor),
        ["monitoring.coreos.com/v1/PrometheusRule"] = typeof(PrometheusRule),
    };

    public static ProcessResult Run(IEnumerable<string> args, IDictionary<string, string?>? env = null)
    {
        var environment = new Dictionary<string, string?>
        {
            // No cluster: a kubeconfig nothing listens behind, and helm's own state in a throwaway place.
            ["KUBECONFIG"] = Path.Combine(Path.GetTempPath(), "appmesh-inject-tests-no-cluster"),
            ["HELM_CACHE_HOME"] = Path.Combine(Path.GetTempPath(), "appmesh-inject-tests-helm", "cache"),
            ["HELM_CONFIG_HOME"] = Path.Combine(Path.GetTempPath(), "appmesh-inject-tests-helm", "config"),
            ["HELM_DATA_HOME"] = Path.Combine(Path.GetTempPath(), "appmesh-inject-tests-helm", "data"),
        };
        if (env is not null) foreach (var (k, v) in env) environment[k] = v;
        return ProcessRunner.Run(Repo.Helm, args, environment);
    }

    public static string Template(params string[] extra) => Template(Namespace, extra);

    /// <summary>The rendered manifests with <see cref="Required"/> and then <paramref name="extra"/> values.</summary>
    public static string Template(string ns, params string[] extra) =>
        Run(["template", Release, Repo.ChartDir, "--namespace", ns, .. Required, .. extra]).EnsureSuccess().StdOut;

    /// <summary>Every document, loaded strictly: an unknown field or an unknown kind throws.</summary>
    public static List<object> LoadStrict(string manifests) =>
        KubernetesYaml.LoadAllFromString(manifests, ModelTypes, strict: true);

    public static Rendered Render(params string[] extra) => new(LoadStrict(Template(extra)));
    public static Rendered RenderIn(string ns, params string[] extra) => new(LoadStrict(Template(ns, extra)));
}

internal sealed class Rendered(List<object> objects)
{
    public List<object> Objects { get; } = objects;

    public T Single<T>() => Assert.Single(Objects.OfType<T>());

    public IEnumerable<T> All<T>() => Objects.OfType<T>();

    /// <summary>"apiVersion kind name" of every object, in render order.</summary>
    public List<string> Inventory() => Objects
        .Cast<IKubernetesObject<V1ObjectMeta>>()
        .Select(o => $"{o.ApiVersion} {o.Kind} {o.Metadata.Name}")
        .ToList();

    public V1Deployment Deployment => Single<V1Deployment>();
    public V1Container Container => Assert.Single(Deployment.Spec.Template.Spec.Containers);
    public V1MutatingWebhook Webhook => Assert.Single(Single<V1MutatingWebhookConfiguration>().Webhooks);
}
