namespace Injector.Manifests.Tests;

public sealed class ManifestSplitterTests
{
    [Fact]
    public void Only_lines_that_are_exactly_three_dashes_or_start_with_three_dashes_and_a_space_split_documents()
    {
        const string text = "# header\n---\na: 1\nb: \"---\"\nc: |\n  ---x\n--- # second\nd: 2\n---\n\n---\ne: 3";

        var chunks = ManifestSplitter.Split(text);

        Assert.Equal(
        [
            new ManifestChunk(1, "# header\n", false),
            new ManifestChunk(3, "a: 1\nb: \"---\"\nc: |\n  ---x\n", false),
            new ManifestChunk(7, "--- # second\nd: 2\n", true),
            new ManifestChunk(12, "e: 3", false),
        ], chunks);
    }

    [Fact]
    public void Line_numbers_of_documents_and_errors_are_those_of_the_whole_stream()
    {
        var chunks = ManifestSplitter.Split("a: 1\n---\n\nb: 2\n---\nc: [1\n").Select(ManifestSplitter.Parse).ToList();

        Assert.Equal(4, Assert.Single(chunks[1].Documents).Line);
        Assert.True(chunks[2].Failed);
        Assert.Equal("invalid YAML: While parsing a flow sequence, did not find expected ',' or ']'.", chunks[2].Error);
        Assert.Equal((7, 1), (chunks[2].ErrorLine, chunks[2].ErrorColumn));
    }

    [Fact]
    public void Duplicate_keys_are_reported_as_errors_with_their_position()
    {
        var parsed = ManifestSplitter.Parse(ManifestSplitter.Split("---\nkind: Pod\nkind: Service\n")[0]);

        Assert.Equal("invalid YAML: Duplicate key kind", parsed.Error);
        Assert.Equal(3, parsed.ErrorLine);
    }

    [Fact]
    public void Leading_comments_are_the_comment_and_blank_lines_before_the_content()
    {
        var chunk = ManifestSplitter.Split("---\n\n# one\n  # two\nkind: Pod # not this\n# nor this\n")[0];

        Assert.Equal("# one\n  # two\n", chunk.LeadingComments);
    }

    [Fact]
    public void Namespace_documents_give_their_annotations_by_name()
    {
        var documents = YamlJson.ReadAll("kind: Namespace\nmetadata:\n  name: shop\n  annotations:\n    appmesh.k8s.aws/mesh: m\n---\nkind: List\nitems:\n- kind: Namespace\n  metadata: {name: bare}\n").Select(d => d.Node);

        var annotations = ManifestSplitter.NamespaceAnnotations(documents);

        Assert.Equal(["bare", "shop"], annotations.Keys.Order());
        Assert.Equal("m", annotations["shop"]["appmesh.k8s.aws/mesh"]);
        Assert.Empty(annotations["bare"]);
    }
}
