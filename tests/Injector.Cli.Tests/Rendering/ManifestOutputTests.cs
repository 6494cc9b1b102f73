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

    private static ManifestRun Run(string text, string name = "m.yaml") => new([ManifestSource.FromText(name, text)], new ManifestInjector(Engine));

    [Fact]
    public void Yaml_copies_unchanged_documents_verbatim_and_leaves_unreadable_ones_out()
    {
        const string untouched = "# keep me\nkind: Service   # and me\nmetadata: {name: s}\n";

        var yaml = ManifestWriter.Render(Run(untouched + "---\nkind: ConfigMap\nmetadata: {name: [oops\n---\n" + untouched), "yaml");

        Assert.Equal(untouched + "---\n" + untouched, yaml);
    }

    [Fact]
    public void Yaml_writes_what_injection_adds_into_the_document_keeping_comments_and_quoting()
    {
        const string input = """
            # the pod
            kind: Pod
            metadata:
              name: p     # its name
              labels:
                app: "p"
            spec:
              containers:
                - name: a   # indented sequence
                  image: 'b'
            """;

        var yaml = ManifestWriter.Render(Run(input + "\n"), "yaml");

        Assert.StartsWith("# the pod\nkind: Pod\nmetadata:\n  name: p     # its name\n  labels:\n    app: \"p\"\n  annotations:\n    appmesh.k8s.aws/mesh: demo\n", yaml);
        Assert.Contains("    - name: a   # indented sequence\n      image: 'b'\n    - name: envoy\n", yaml);
        Cli.AssertJsonEqual(new ManifestInjector(Engine).InjectDocument(YamlJson.Read(input)).Output, YamlJson.Read(yaml));
    }

    [Fact]
    public void Json_of_several_documents_is_a_v1_list_of_them_written_as_system_text_json_indents_it()
    {
        var json = ManifestWriter.Render(Run("kind: Service\nmetadata: {name: s}\n---\nkind: ConfigMap\nmetadata: {name: c}\n"), "json");

        Assert.Equal("""
            {
              "apiVersion": "v1",
              "kind": "List",
              "items": [
                {
                  "kind": "Service",
                  "metadata": {
                    "name": "s"
                  }
                },
                {
                  "kind": "ConfigMap",
                  "metadata": {
                    "name": "c"
                  }
                }
              ]
            }

            """, json);
    }

    [Fact]
    public void The_patch_entry_of_a_bare_pod_has_an_empty_template_path_and_applies_to_the_pod()
    {
        var entry = Assert.Single(JsonNode.Parse(ManifestWriter.Render(Run(Pod), "patch"))!.AsArray())!;

        Assert.Equal(("m.yaml", 1, "Pod", "default", "p", ""),
            (entry["source"]!.GetValue<string>(), entry["line"]!.GetValue<int>(), entry["kind"]!.GetValue<string>(), entry["namespace"]!.GetValue<string>(), entry["name"]!.GetValue<string>(), entry["template"]!.GetValue<string>()));
        var expected = new ManifestInjector(Engine).InjectDocument(YamlJson.Read(Pod)).Output;
        Assert.True(JsonNode.DeepEquals(expected, TestPatch.Apply(YamlJson.Read(Pod)!, entry["patch"]!.ToJsonString())));
        Assert.Equal("[]\n", ManifestWriter.Render(Run("kind: Service\nmetadata: {name: s}\n"), "patch"));
    }

    [Fact]
    public void A_source_without_changes_gives_no_diff_and_one_with_changes_names_both_sides_without_a_leading_slash()
    {
        Assert.Equal("", ManifestWriter.Render(Run("kind: Service\nmetadata: {name: s}\n"), "diff"));

        var diff = ManifestWriter.Render(Run(Pod, "/abs/m.yaml"), "diff");

        Assert.StartsWith("--- a/abs/m.yaml\n+++ b/abs/m.yaml\n@@ ", diff);
    }

    /// <summary>GNU patch ends a name at its first space unless a tab follows it: "can't find file to patch" for
    /// a file named "my app.yaml". git writes the tab for such names, and so does the diff.</summary>
    [Fact]
    public void A_file_name_with_a_space_is_followed_by_a_tab_so_that_patch_reads_all_of_it()
    {
        Assert.StartsWith("--- a/k8s/my app.yaml\t\n+++ b/k8s/my app.yaml\t\n@@ ", ManifestWriter.Render(Run(Pod, "k8s/my app.yaml"), "diff"));
        Assert.StartsWith("--- a/my app.yaml\t\n+++ b/my app.yaml\t\n@@ ", UnifiedDiff.Create("a/my app.yaml", "b/my app.yaml", "a\n", "b\n"));
    }

    [Fact]
    public void The_streaming_diff_splits_hunks_where_changes_are_more_than_six_lines_apart_and_merges_them_otherwise()
    {
        var before = string.Concat(Enumerable.Range(1, 30).Select(i => $"line {i}\n"));
        string After(params int[] changed) => string.Concat(Enumerable.Range(1, 30).Select(i => changed.Contains(i) ? $"line {i}\nnew {i}\n" : $"line {i}\n"));

        string Diff(string after)
        {
            using var text = new StringWriter();
            var diff = new StreamingUnifiedDiff(text, "a/f", "b/f");
            // Piece by piece, as a run gives them.
            var a = before.Split('\n')[..^1];
            var b = after.Split('\n')[..^1];
            diff.Add(string.Concat(a.Take(10).Select(l => l + "\n")), string.Concat(b.TakeWhile(l => l != "line 11").Select(l => l + "\n")));
            diff.Add(string.Concat(a.Skip(10).Select(l => l + "\n")), string.Concat(b.SkipWhile(l => l != "line 11").Select(l => l + "\n")));
            diff.Finish();
            return text.ToString();
        }

        Assert.Equal(UnifiedDiff.Create("a/f", "b/f", before, After(5, 12)), Diff(After(5, 12)));
        Assert.Equal(UnifiedDiff.Create("a/f", "b/f", before, After(5, 11)), Diff(After(5, 11)));
        Assert.Equal(2, Diff(After(5, 12)).Split('\n').Count(l => l.StartsWith("@@", StringComparison.Ordinal)));
        Assert.Equal(1, Diff(After(5, 11)).Split('\n').Count(l => l.StartsWith("@@", StringComparison.Ordinal)));
    }
}
