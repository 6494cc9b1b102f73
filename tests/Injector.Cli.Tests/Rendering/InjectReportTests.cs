using Injector.Cli.Rendering;
using Injector.Core.Injection;
using Injector.Core.Settings;
using Injector.Manifests;

namespace Injector.Cli.Tests.Rendering;

public sealed class InjectReportTests
{
    private static readonly PodInjector Engine = new(new InjectorSettings { MeshName = "demo", Region = "us-west-2", SidecarMode = SidecarMode.Classic });

    private static ManifestRun Run(string text) => new([ManifestSource.FromText("m.yaml", text)], new ManifestInjector(Engine));

    [Fact]
    public void Each_resource_gets_a_line_with_its_place_and_outcome_and_each_warning_its_own_line()
    {
        var run = Run("""
            kind: Deployment
            metadata:
              name: api
              annotations: {appmesh.k8s.aws/mesh: wrong-place}
            spec:
              template:
                spec:
                  containers: [{name: api, image: x}]
            ---
            kind: ConfigMap
            metadata: {name: [oops
            ---
            kind: List
            items:
            - kind: Service
              metadata: {name: s}
            - kind: Pod
              metadata: {annotations: {appmesh.k8s.aws/sidecarInjectorWebhook: disabled}}
              spec:
                containers: [{name: a, image: b}]
            ---
            - not
            - an object
            ---
            ~
            """);

        Assert.Equal(
        [
            "m.yaml:1: Deployment default/api: injected (mesh demo, virtual node api-default)",
            "m.yaml:1: Deployment default/api: warning: annotation appmesh.k8s.aws/mesh is on the Deployment's own metadata, where the injector does not read it; move it to spec.template.metadata.annotations",
            "m.yaml:12:1: failed: invalid YAML: While parsing a flow sequence, did not find expected ',' or ']' (in the document starting at line 10); the document is left out of the output",
            "m.yaml:13: Service s: passed through",
            "m.yaml:13: Pod default/(no name): skipped (disabled-by-annotation): appmesh.k8s.aws/sidecarInjectorWebhook is disabled",
            "m.yaml:22: document: passed through (not a Kubernetes object)",
        ], InjectReport.Lines(run));
        Assert.Equal("1 injected, 1 skipped, 2 passed through, 0 failed, 1 unreadable", InjectReport.Summary(run.Counts));
    }

    [Fact]
    public void A_denied_pod_is_a_failed_line_with_the_reason_code_and_message()
    {
        var run = Run("kind: Pod\nmetadata:\n  name: p\n  namespace: shop\n  annotations: {appmesh.k8s.aws/cpuLimit: lots}\nspec:\n  containers: [{name: a, image: b}]\n");

        Assert.Equal(
            ["m.yaml:1: Pod shop/p: failed (invalid-annotation): annotation appmesh.k8s.aws/cpuLimit: \"lots\" is not valid; expected a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi"],
            InjectReport.Lines(run));
        Assert.Equal("0 injected, 0 skipped, 0 passed through, 1 failed, 0 unreadable", InjectReport.Summary(run.Counts));
    }
}
