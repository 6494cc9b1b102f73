namespace Injector.Shipping.Tests;

/// <summary>The rendered chart as kubectl takes it: <c>kubectl apply --dry-run=client</c> of every document in each
/// certificate mode, against the fake API server (kubectl maps each kind through its discovery and asks
/// whether the object exists). Schema validation needs the cluster's OpenAPI, which the fake does not
/// serve, hence <c>--validate=false</c>; the strict loading of ChartTests checks the fields.</summary>
public sealed class KubectlDryRunTests : IDisposable
{
    private readonly TempDir _temp = new("kubectl");

    [Theory]
    [MemberData(nameof(ChartTests.CertificateModes), MemberType = typeof(ChartTests))]
    public async Task Kubectl_accepts_every_rendered_document(string mode, string[] values)
    {
        await using var api = await FakeApiServer.StartAsync();
        var manifests = Path.Combine(_temp.Path, "rendered.yaml");
        File.WriteAllText(manifests, Helm.Template(Helm.Namespace, values));
        var expected = new Rendered(Helm.LoadStrict(File.ReadAllText(manifests))).Objects.Count;

        var result = ProcessRunner.Run(Repo.Kubectl, ["apply", "--dry-run=client", "--validate=false", "-f", manifests],
            new Dictionary<string, string?> { ["KUBECONFIG"] = api.WriteKubeconfig(_temp.Path), ["HOME"] = _temp.Path });

        Assert.True(result.ExitCode == 0, $"{mode}: {result.StdErr}");
        var lines = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(expected, lines.Length);
        Assert.All(lines, l => Assert.EndsWith(" created (dry run)", l));
        Assert.Contains("mutatingwebhookconfiguration.admissionregistration.k8s.io/appmesh-inject created (dry run)", lines);
    }

    public void Dispose() => _temp.Dispose();
}
