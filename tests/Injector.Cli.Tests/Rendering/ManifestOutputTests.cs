using System.Text.Json.Nodes;
using Injector.Cli.Rendering;
using Injector.Core.Injection;
using Injector.Core.Settings;
using Injector.Manifests;

namespace Injector.Cli.Tests.Rendering;

public sealed class ManifestOutputTests
{
    private static readonly PodInjector Engine = new(new InjectorSettings { MeshName = "demo", Region = "us-west-2", SidecarMode = SidecarMode.Classic });

    private const string Pod = "kind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: b}]\n";

    private static ManifestRun Run(string text) => ManifestRun.Inject([new ManifestSource("m.yaml", text)], Engine);

    [Fact]
    public void Yaml_copies_unchanged_documents_verbatim_and_leaves_unreadable_ones_out()
    {
        const string untouched = "# keep me\nkind: Service   # and me\nmetadata: {name: s}\n";

        var yaml = ManifestOutput.Yaml(Run(untouched + "---\nkind: ConfigMap\nmetadata: {name: [oops\n---\n" + untouched));

        Assert.Equal(untouched + "---\n" + untouched, yaml);
    }

    [Fact]
    public void Yaml_rewrites_an_injected_document_keeping_its_leading_comments()
    {
        var yaml = ManifestOutput.Yaml(Run("# the pod\n" + Pod));

        Assert.StartsWith("# the pod\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n", yaml);
    }

    [Fact]
    public void Json_of_several_documents_is_a_v1_list_of_them()
    {
        var json = JsonNode.Parse(ManifestOutput.Json(Run("kind: Service\nmetadata: {name: s}\n---\nkind: ConfigMap\nmetadata: {name: c}\n")))!;

        Assert.Equal("""{"apiVersion":"v1","kind":"List","items":[{"kind":"Service","metadata":{"name":"s"}},{"kind":"ConfigMap","metadata":{"name":"c"}}]}""", json.ToJsonString());
    }

    [Fact]
    public void The_patch_entry_of_a_bare_pod_has_an_empty_template_path_and_applies_to_the_pod()
    {
        var run = Run(Pod);

        var entry = Assert.Single(JsonNode.Parse(ManifestOutput.Patch(run))!.AsArray())!;
        Assert.Equal(("m.yaml", 1, "Pod", "default", "p", ""),
            (entry["source"]!.GetValue<string>(), entry["line"]!.GetValue<int>(), entry["kind"]!.GetValue<string>(), entry["namespace"]!.GetValue<string>(), entry["name"]!.GetValue<string>(), entry["template"]!.GetValue<string>()));
        var document = run.Sources[0].Chunks[0].Documents[0];
        Assert.True(JsonNode.DeepEquals(document.Result.Output, TestPatch.Apply(document.Input!, entry["patch"]!.ToJsonString())));
    }

    [Fact]
    public void A_source_without_changes_gives_no_diff_and_one_with_changes_names_both_sides_without_a_leading_slash()
    {
        Assert.Equal("", ManifestOutput.Diff(Run("kind: Service\nmetadata: {name: s}\n")));

        var diff = ManifestOutput.Diff(ManifestRun.Inject([new ManifestSource("/abs/m.yaml", Pod)], Engine));

        Assert.StartsWith("--- a/abs/m.yaml\n+++ b/abs/m.yaml\n@@ ", diff);
    }
}
