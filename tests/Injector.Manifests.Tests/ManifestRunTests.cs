using System.Text.Json.Nodes;
using Injector.Core.Injection;
using Injector.Core.Settings;

namespace Injector.Manifests.Tests;

public sealed class ManifestRunTests
{
    private static readonly PodInjector Engine = new(new InjectorSettings { MeshName = "demo", Region = "us-west-2", SidecarMode = SidecarMode.Classic });

    private const string Mixed = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: api}
        spec:
          template:
            spec:
              containers: [{name: api, image: x}]
        ---
        kind: ConfigMap
        metadata: {name: [oops
        ---
        kind: Pod
        metadata:
          name: p
          annotations: {appmesh.k8s.aws/cpuRequest: lots}
        spec:
          containers: [{name: a, image: b}]
        ---
        kind: List
        items:
        - kind: Service
          metadata: {name: s}
        - kind: Job
          metadata: {name: j, annotations: {appmesh.k8s.aws/sidecarInjectorWebhook: disabled}}
          spec:
            template:
              metadata:
                annotations: {appmesh.k8s.aws/sidecarInjectorWebhook: disabled}
              spec:
                containers: [{name: a, image: b}]
        ---
        ~
        """;

    [Fact]
    public void Every_resource_is_kept_in_input_order_with_its_outcome_reason_and_document_line()
    {
        var run = ManifestRun.Inject([new ManifestSource("m.yaml", Mixed)], Engine, "team");

        Assert.Equal(
        [
            "m.yaml:1 Deployment team/api Injected injected",
            "m.yaml:12 Pod team/p Failed invalid-annotation",
            "m.yaml:19 Service team/s PassedThrough",
            "m.yaml:19 Job team/j Skipped disabled-by-annotation",
        ], run.Resources().Select(r => $"{r.Source.Name}:{r.Document.Line} {r.Resource.Kind} {r.Resource.Namespace}/{r.Resource.Name} {r.Resource.Outcome} {r.Resource.Reason}".TrimEnd()));
        var broken = Assert.Single(run.Sources[0].Chunks, c => c.Parsed.Failed).Parsed;
        Assert.Equal((11, 1, 9), (broken.ErrorLine, broken.ErrorColumn, broken.Chunk.Line));
    }

    [Fact]
    public void Counts_leave_out_empty_documents_and_count_unreadable_chunks()
    {
        var run = ManifestRun.Inject([new ManifestSource("m.yaml", Mixed)], Engine);

        Assert.Equal(new ManifestCounts(Injected: 1, Skipped: 1, PassedThrough: 1, Failed: 1, Unreadable: 1), run.Counts());
        Assert.True(run.HasFailures);
        // The empty document is still there, passed through as it came, for the output.
        Assert.Null(run.Sources[0].Chunks[^1].Documents.Single().Result.Output);
    }

    [Fact]
    public void Skipped_and_passed_through_resources_are_not_failures_but_an_unreadable_document_is()
    {
        var skipped = "kind: Pod\nmetadata:\n  name: p\n  annotations: {appmesh.k8s.aws/sidecarInjectorWebhook: disabled}\nspec:\n  containers: [{name: a, image: b}]\n---\nkind: Service\nmetadata: {name: s}\n";

        Assert.False(ManifestRun.Inject([new ManifestSource("a", skipped)], Engine).HasFailures);
        Assert.True(ManifestRun.Inject([new ManifestSource("a", skipped), new ManifestSource("b", "a: [")], Engine).HasFailures);
    }

    [Fact]
    public void A_namespace_document_in_one_source_gives_defaults_to_workloads_in_another()
    {
        var parsed = ParsedManifests.Read(
        [
            new ManifestSource("app.yaml", "kind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  template:\n    spec:\n      containers: [{name: api, image: x}]\n"),
            new ManifestSource("ns.yaml", "kind: Namespace\nmetadata:\n  name: shop\n  annotations: {appmesh.k8s.aws/mesh: shop-mesh}\n"),
        ]);

        Assert.Equal("shop-mesh", parsed.NamespaceAnnotations["shop"]["appmesh.k8s.aws/mesh"]);
        var deployment = parsed.Sources[0].Chunks[0].Documents[0].Node;
        var result = Assert.Single(parsed.InjectorFor(Engine).InjectDocument(deployment).Resources);
        Assert.Equal((ResourceOutcome.Injected, "shop-mesh"), (result.Outcome, result.Mesh));
    }

    [Fact]
    public void The_resources_of_a_document_are_itself_or_the_items_of_its_lists_at_any_depth()
    {
        var document = JsonNode.Parse("""{"kind":"List","items":[{"kind":"Pod"},{"kind":"PodList","items":[{"kind":"Pod","n":2}]},"text",null]}""");

        Assert.Equal(["""{"kind":"Pod"}""", """{"kind":"Pod","n":2}"""], PodTemplates.Resources(document).Select(r => r.ToJsonString()));
        Assert.Equal(["""{"kind":"Service"}"""], PodTemplates.Resources(JsonNode.Parse("""{"kind":"Service"}""")).Select(r => r.ToJsonString()));
        Assert.Empty(PodTemplates.Resources(JsonValue.Create("text")));
    }
}
