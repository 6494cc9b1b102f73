using System.Text.Json.Nodes;
using Injector.Core.Admission;
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

    private static ManifestInjector Injector(string defaultNamespace = "default", Dictionary<string, NamespaceInfo>? namespaces = null) =>
        new(Engine, new ManifestOptions { DefaultNamespace = defaultNamespace, Namespaces = namespaces ?? [] });

    private static (ManifestRun Run, List<SourceChunk> Pieces) Process(IDocumentTransform transform, params ManifestSource[] sources)
    {
        var run = new ManifestRun(sources, transform);
        return (run, run.Process().ToList());
    }

    [Fact]
    public void Every_resource_is_kept_in_input_order_with_its_outcome_reason_and_document_line()
    {
        var (_, pieces) = Process(Injector("team"), ManifestSource.FromText("m.yaml", Mixed));

        Assert.Equal(
        [
            "m.yaml:1 Deployment team/api Injected injected",
            "m.yaml:12 Pod team/p Failed invalid-annotation",
            "m.yaml:19 Service team/s PassedThrough",
            "m.yaml:19 Job team/j Skipped disabled-by-annotation",
        ], pieces.SelectMany(p => p.Chunk.Documents.SelectMany(d => d.Result.Resources.Where(r => r.Input is not null).Select(r => $"{p.Source.Name}:{d.Line} {r.Kind} {r.Namespace}/{r.Name} {r.Outcome} {r.Reason}".TrimEnd()))));
        var broken = Assert.Single(pieces, p => p.Chunk.Parsed.Failed).Chunk.Parsed;
        Assert.Equal((11, 1, 9), (broken.ErrorLine, broken.ErrorColumn, broken.Chunk.Line));
    }

    [Fact]
    public void Counts_leave_out_empty_documents_and_count_unreadable_chunks()
    {
        var (run, pieces) = Process(Injector(), ManifestSource.FromText("m.yaml", Mixed));

        Assert.Equal(new ManifestCounts(Injected: 1, Skipped: 1, PassedThrough: 1, Failed: 1, Unreadable: 1), run.Counts);
        Assert.True(run.HasFailures);
        // The empty document is still there, passed through as it came, for the output.
        Assert.Null(pieces[^1].Chunk.Documents.Single().Result.Output);
    }

    [Fact]
    public void Skipped_and_passed_through_resources_are_not_failures_but_an_unreadable_document_is()
    {
        var skipped = "kind: Pod\nmetadata:\n  name: p\n  annotations: {appmesh.k8s.aws/sidecarInjectorWebhook: disabled}\nspec:\n  containers: [{name: a, image: b}]\n---\nkind: Service\nmetadata: {name: s}\n";

        Assert.False(Process(Injector(), ManifestSource.FromText("a", skipped)).Run.HasFailures);
        Assert.True(Process(Injector(), ManifestSource.FromText("a", skipped), ManifestSource.FromText("b", "a: [")).Run.HasFailures);
    }

    [Fact]
    public void A_namespace_document_in_one_source_gives_defaults_to_workloads_in_another()
    {
        ManifestSource[] sources =
        [
            ManifestSource.FromText("app.yaml", "kind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  template:\n    spec:\n      containers: [{name: api, image: x}]\n"),
            ManifestSource.FromText("ns.yaml", "kind: Namespace\nmetadata:\n  name: shop\n  labels: {appmesh.k8s.aws/sidecarInjectorWebhook: enabled}\n  annotations: {appmesh.k8s.aws/mesh: shop-mesh}\n"),
        ];

        var namespaces = NamespaceScan.Read(sources);
        var (_, pieces) = Process(Injector(namespaces: namespaces), sources);

        Assert.Equal("shop-mesh", namespaces["shop"].Annotations!["appmesh.k8s.aws/mesh"]);
        Assert.Equal("enabled", namespaces["shop"].Labels!["appmesh.k8s.aws/sidecarInjectorWebhook"]);
        var result = Assert.Single(pieces[0].Chunk.Documents[0].Result.Resources);
        Assert.Equal((ResourceOutcome.Injected, "shop-mesh"), (result.Outcome, result.Mesh));
    }

    [Fact]
    public void The_namespace_labels_and_the_workload_kind_reach_the_engine()
    {
        var injector = Injector(namespaces: new() { ["shop"] = new NamespaceInfo(new Dictionary<string, string> { ["appmesh.k8s.aws/sidecarInjectorWebhook"] = "disabled" }, null) });
        var job = JsonNode.Parse("""{"kind":"Job","metadata":{"name":"j","namespace":"shop"},"spec":{"template":{"spec":{"containers":[{"name":"a","image":"b"}]}}}}""")!.AsObject();

        var (_, context) = injector.PodOf(job);

        Assert.Equal("disabled", context!.NamespaceLabels["appmesh.k8s.aws/sidecarInjectorWebhook"]);
        Assert.Equal("Job", context.WorkloadKind);
    }

    [Fact]
    public void A_namespace_the_selection_leaves_out_is_skipped_without_running_the_engine()
    {
        var injector = new ManifestInjector(Engine, new ManifestOptions { Selection = ns => ns == "kube-system" ? new NamespaceSelection(SelectionOutcome.NotSelected, "namespace-excluded", "never sent") : NamespaceSelection.Selected });

        var result = Assert.Single(injector.InjectDocument(JsonNode.Parse("""{"kind":"DaemonSet","metadata":{"name":"d","namespace":"kube-system"},"spec":{"template":{"spec":{"containers":[{"name":"a","image":"b"}]}}}}""")).Resources);

        Assert.Equal((ResourceOutcome.Skipped, "namespace-excluded", "never sent"), (result.Outcome, result.Reason, result.Message));
        Assert.Null(result.Injection);
    }

    [Fact]
    public void Sources_are_read_a_piece_at_a_time_as_the_run_is_enumerated()
    {
        var opened = 0;
        const string Piece = "kind: Service\nmetadata: {name: s}\n---\n";
        CountingReader? reader = null;
        var source = new ManifestSource("big.yaml", () => { opened++; return reader = new CountingReader(string.Concat(Enumerable.Repeat(Piece, 10_000))); });
        var run = new ManifestRun([source], Injector());

        using var pieces = run.Process().GetEnumerator();
        Assert.True(pieces.MoveNext());

        // The first piece comes back after at most the pieces in work at once have been read (and one read buffer),
        // not after the whole input: a run that read everything first fails here.
        Assert.Equal(1, opened);
        Assert.Equal(new ManifestCounts(0, 0, 1, 0, 0), run.Counts);
        Assert.InRange(reader!.Consumed, Piece.Length, (ManifestRun.Window + 1) * Piece.Length + 64 * 1024);
        Assert.True(reader.Consumed < 10_000 * Piece.Length / 2, $"{reader.Consumed} characters read before the first piece");
    }

    /// <summary>A reader that counts the characters it has handed out.</summary>
    private sealed class CountingReader(string text) : StringReader(text)
    {
        public long Consumed { get; private set; }

        public override int Read(char[] buffer, int index, int count) => Count(base.Read(buffer, index, count));

        public override int Read(Span<char> buffer) => Count(base.Read(buffer));

        public override int Read()
        {
            var c = base.Read();
            if (c >= 0) Consumed++;
            return c;
        }

        public override string? ReadLine() => base.ReadLine() is { } line ? Counted(line) : null;

        private string Counted(string line)
        {
            Consumed += line.Length + 1;
            return line;
        }

        private int Count(int read)
        {
            Consumed += Math.Max(read, 0);
            return read;
        }
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
