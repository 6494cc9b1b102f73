using System.Text.Json.Nodes;
using k8s.Models;

namespace Injector.Shipping.Tests;

/// <summary>
/// tls.mode=generate must not hand the API servers a new CA on every `helm upgrade`. The chart's
/// `lookup` only runs against a cluster, so these render with `--dry-run=server` against a fake
/// API server that holds (or lacks) the previous release's secret.
/// </summary>
public sealed class GeneratedCertificateUpgradeTests : IDisposable
{
    private const string SecretPath = "/api/v1/namespaces/appmesh-system/secrets/appmesh-inject-tls";
    private readonly TempDir _temp = new("lookup");
    private string Dir => _temp.Path;

    [Fact]
    public async Task An_upgrade_reuses_the_stored_certificate_and_caBundle()
    {
        await using var api = await FakeApiServer.StartAsync();
        var kubeconfig = api.WriteKubeconfig(Dir);

        var install = RenderAgainst(kubeconfig);
        var installed = install.Single<V1Secret>();
        Assert.Contains(api.Requests, r => r is { Method: "GET", Path: SecretPath });

        api.Objects[SecretPath] = StoredSecret(installed.Data);
        var upgrade = RenderAgainst(kubeconfig);
        var upgraded = upgrade.Single<V1Secret>();

        Assert.Equal(installed.Data["tls.crt"], upgraded.Data["tls.crt"]);
        Assert.Equal(installed.Data["tls.key"], upgraded.Data["tls.key"]);
        Assert.Equal(installed.Data["ca.crt"], upgraded.Data["ca.crt"]);
        Assert.Equal(installed.Data["ca.crt"], upgrade.Webhook.ClientConfig.CaBundle);
    }

    [Fact]
    public async Task A_stored_secret_without_its_CA_is_replaced_by_a_fresh_consistent_pair()
    {
        await using var api = await FakeApiServer.StartAsync();
        var kubeconfig = api.WriteKubeconfig(Dir);
        var first = RenderAgainst(kubeconfig).Single<V1Secret>();
        var incomplete = new Dictionary<string, byte[]> { ["tls.crt"] = first.Data["tls.crt"], ["tls.key"] = first.Data["tls.key"] };
        api.Objects[SecretPath] = StoredSecret(incomplete);

        var rendered = RenderAgainst(kubeconfig);
        var secret = rendered.Single<V1Secret>();

        Assert.NotEqual(first.Data["tls.crt"], secret.Data["tls.crt"]);
        Assert.Equal(secret.Data["ca.crt"], rendered.Webhook.ClientConfig.CaBundle);
    }

    private static Rendered RenderAgainst(string kubeconfig)
    {
        var result = Helm.Run(
            ["template", Helm.Release, Repo.ChartDir, "--namespace", Helm.Namespace, .. Helm.Required, "--dry-run=server", "--disable-openapi-validation"],
            new Dictionary<string, string?> { ["KUBECONFIG"] = kubeconfig });
        return new Rendered(Helm.LoadStrict(result.EnsureSuccess().StdOut));
    }

    /// <summary>The secret as the previous release left it, with the ownership Helm checks before adopting it.</summary>
    private static JsonObject StoredSecret(IDictionary<string, byte[]> data)
    {
        var encoded = new JsonObject();
        foreach (var (k, v) in data) encoded[k] = Convert.ToBase64String(v);
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["type"] = "kubernetes.io/tls",
            ["metadata"] = new JsonObject
            {
                ["name"] = "appmesh-inject-tls",
                ["namespace"] = Helm.Namespace,
                ["labels"] = new JsonObject { ["app.kubernetes.io/managed-by"] = "Helm" },
                ["annotations"] = new JsonObject { ["meta.helm.sh/release-name"] = Helm.Release, ["meta.helm.sh/release-namespace"] = Helm.Namespace },
            },
            ["data"] = encoded,
        };
    }

    public void Dispose() => _temp.Dispose();
}
