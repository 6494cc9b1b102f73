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
            new ManifestChunk(3, "a: 1\nb: \"---\"\nc: |\n  ---x\n", false) { Separator = "---\n" },
            new ManifestChunk(7, "--- # second\nd: 2\n", true),
            new ManifestChunk(10, "\n", false) { Separator = "---\n" },
            new ManifestChunk(12, "e: 3", false) { Separator = "---\n" },
        ], chunks);
        // Every piece is kept, blank ones too: the pieces put back together are the text.
        Assert.Equal(text, string.Concat(chunks.Select(c => c.Separator + c.Text)));
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
    public void A_document_that_ends_inside_a_flow_mapping_is_an_error_at_its_end_not_a_crash()
    {
        var chunks = ManifestSplitter.Split("a: 1\n---\nkind: Pod\nmetadata: {name: broken\nspec: [\n").Select(ManifestSplitter.Parse).ToList();

        Assert.False(chunks[0].Failed);
        Assert.Equal("invalid YAML: the document ends before a flow mapping or sequence ({ … } or [ … ]) is closed", chunks[1].Error);
        Assert.Equal((5, 8), (chunks[1].ErrorLine, chunks[1].ErrorColumn));
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
    public void Namespace_documents_give_their_labels_and_annotations_by_name()
    {
        var documents = YamlJson.ReadAll("kind: Namespace\nmetadata:\n  name: shop\n  labels: {team: a}\n  annotations:\n    appmesh.k8s.aws/mesh: m\n---\nkind: List\nitems:\n- kind: Namespace\n  metadata: {name: bare}\n").Select(d => d.Node);

        var namespaces = NamespaceScan.FromDocuments(documents).ToDictionary(n => n.Name, n => n.Info);

        Assert.Equal(["bare", "shop"], namespaces.Keys.Order());
        Assert.Equal("m", namespaces["shop"].Annotations!["appmesh.k8s.aws/mesh"]);
        Assert.Equal("a", namespaces["shop"].Labels!["team"]);
        Assert.Empty(namespaces["bare"].Annotations!);
    }

    /// <summary>What <c>jq '.items[]'</c> and <c>jq -c '.items[]'</c> write, which kubectl reads as one document per
    /// object: a stream that starts with <c>{</c> is split after each object that a later line's <c>{</c> follows
    /// (brackets in strings, escaped quotes included, do not count).</summary>
    [Fact]
    public void A_stream_of_JSON_objects_is_split_into_one_piece_per_object()
    {
        const string text = "{\"a\": \"}\\\"{[\"}\n{\n  \"b\": [1, {\"c\": 2}]\n}\r\n\n{\"d\": 3}";

        var chunks = ManifestSplitter.Split(text);

        Assert.Equal(
        [
            new ManifestChunk(1, "{\"a\": \"}\\\"{[\"}\n", false),
            new ManifestChunk(2, "{\n  \"b\": [1, {\"c\": 2}]\n}\r\n\n", false),
            new ManifestChunk(6, "{\"d\": 3}", false),
        ], chunks);
        Assert.Equal(text, string.Concat(chunks.Select(c => c.Separator + c.Text)));
    }

    /// <summary>Where kubectl would not read a stream of JSON objects either, the piece stays whole (and fails to
    /// parse as it did): a stream that starts as YAML, text after an object, a bracket too many.</summary>
    [Theory]
    [InlineData("# objects\n{\"a\": 1}\n{\"b\": 2}\n")]
    [InlineData("kind: A\n{\"a\": 1}\n{\"b\": 2}\n")]
    [InlineData("{\"a\": 1}\nb: 2\n{\"c\": 3}\n")]
    [InlineData("{\"a\": 1}}\n{\"b\": 2}\n")]
    [InlineData("{\"a\": 1} x\n{\"b\": 2}\n")]
    public void Text_that_is_not_a_stream_of_JSON_objects_is_not_split_between_them(string text) =>
        Assert.Equal([new ManifestChunk(1, text, false)], ManifestSplitter.Split(text));

    [Theory]
    [InlineData("a: 1\r\n---\r\nb: 2\r\n")]
    [InlineData("---\na: 1\n...\n---\n\n--- # c\nb: 2")]
    [InlineData("\n\n---\n---\n")]
    [InlineData("")]
    public void The_pieces_put_back_together_are_the_text_exactly(string text) =>
        Assert.Equal(text, string.Concat(ManifestSplitter.Split(text).Select(c => c.Separator + c.Text)));

    [Fact]
    public void A_tab_in_indentation_is_named_with_its_line()
    {
        var parsed = ManifestSplitter.Parse(ManifestSplitter.Split("kind: Pod\nmetadata:\n\tname: p\n")[0]);

        Assert.Equal(("YAML does not allow tabs for indentation; use spaces", 3, 1), (parsed.Error, parsed.ErrorLine, parsed.ErrorColumn));
    }

    [Fact]
    public void An_unrendered_helm_template_says_to_render_it_first()
    {
        var parsed = ManifestSplitter.Parse(ManifestSplitter.Split("kind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n  labels:\n{{ include \"labels\" . | indent 4 }}\n")[0]);

        Assert.EndsWith("; this looks like an unrendered Helm template ({{ … }} on line 3): render it with 'helm template' and give the result to appmesh-inject", parsed.Error);
        Assert.StartsWith("invalid YAML: ", parsed.Error);
    }

    [Fact]
    public void Binary_input_is_said_to_be_binary()
    {
        var parsed = ManifestSplitter.Parse(ManifestSplitter.Split("\u001f\u008b\b\0\0\0\0\0")[0]);

        Assert.Equal(("the input is binary (it holds NUL bytes), not YAML or JSON", 1, 4), (parsed.Error, parsed.ErrorLine, parsed.ErrorColumn));
    }
}
