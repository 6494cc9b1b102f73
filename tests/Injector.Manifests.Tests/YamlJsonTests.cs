using System.Text.Json.Nodes;
using YamlDotNet.Core;

namespace Injector.Manifests.Tests;

/// <summary>YAML ↔ JSON as manifests need it: types as Kubernetes reads them, key order kept, strings
/// that look like other types written quoted.</summary>
public class YamlJsonTests
{
    [Theory]
    [InlineData("v: \"1\"", """{"v":"1"}""")]
    [InlineData("v: 'true'", """{"v":"true"}""")]
    [InlineData("v: \"on\"", """{"v":"on"}""")]
    [InlineData("v: \"0x1F\"", """{"v":"0x1F"}""")]
    [InlineData("v: \"\"", """{"v":""}""")]
    [InlineData("v: ''", """{"v":""}""")]
    [InlineData("v: !!str 5", """{"v":"5"}""")]
    [InlineData("v: \"null\"", """{"v":"null"}""")]
    [InlineData("v: 1", """{"v":1}""")]
    [InlineData("v: -2.5", """{"v":-2.5}""")]
    [InlineData("v: 1.0", """{"v":1.0}""")]
    [InlineData("v: 1e3", """{"v":1e3}""")]
    [InlineData("v: .5", """{"v":0.5}""")]
    [InlineData("v: -.5", """{"v":-0.5}""")]
    [InlineData("v: +1", """{"v":1}""")]
    [InlineData("v: 1.", """{"v":1.0}""")]
    [InlineData("v: 089", """{"v":89}""")]
    [InlineData("v: 00.5", """{"v":0.5}""")]
    [InlineData("v: 0644", """{"v":420}""")]
    [InlineData("v: 0o17", """{"v":15}""")]
    [InlineData("v: 0x1F", """{"v":31}""")]
    [InlineData("v: 0xFFFFFFFFFFFFFFFFFF", """{"v":"0xFFFFFFFFFFFFFFFFFF"}""")]
    [InlineData("v: true", """{"v":true}""")]
    [InlineData("v: False", """{"v":false}""")]
    [InlineData("v: null", """{"v":null}""")]
    [InlineData("v: ~", """{"v":null}""")]
    [InlineData("v:", """{"v":null}""")]
    [InlineData("v: on", """{"v":true}""")]
    [InlineData("v: yes", """{"v":true}""")]
    [InlineData("v: Y", """{"v":true}""")]
    [InlineData("v: Off", """{"v":false}""")]
    [InlineData("v: NO", """{"v":false}""")]
    [InlineData("v: n", """{"v":false}""")]
    [InlineData("v: 'yes'", """{"v":"yes"}""")]
    [InlineData("v: !!str on", """{"v":"on"}""")]
    [InlineData("v: 1_000", """{"v":"1_000"}""")]
    [InlineData("v: .inf", """{"v":".inf"}""")]
    [InlineData("v: 12:30", """{"v":"12:30"}""")]
    public void Scalars_are_typed_as_Kubernetes_reads_them(string yaml, string expectedJson)
    {
        Assert.Equal(expectedJson, YamlJson.Read(yaml)!.ToJsonString());
    }

    [Fact]
    public void Strings_that_another_reader_would_take_for_a_number_boolean_or_null_are_written_quoted()
    {
        var node = JsonNode.Parse("""
            {"one":"1","true":"true","on":"on","hex":"0x1F","empty":"","null":"null","tilde":"~","yes":"yes","oct":"0o17","zero-lead":"0644",
             "time":"12:30","inf":".inf","float":"1.5e3","under":"1_000","dash":"-","item":"- a","pair":"a: b","hash":"#x","plain":"hello world"}
            """);

        Assert.Equal("""
            one: "1"
            "true": "true"
            "on": "on"
            hex: "0x1F"
            empty: ""
            "null": "null"
            tilde: "~"
            "yes": "yes"
            oct: "0o17"
            zero-lead: "0644"
            time: "12:30"
            inf: ".inf"
            float: "1.5e3"
            under: "1_000"
            dash: '-'
            item: '- a'
            pair: 'a: b'
            hash: '#x'
            plain: hello world

            """.ReplaceLineEndings("\n"), YamlJson.Write(node));
    }

    [Fact]
    public void Numbers_booleans_null_and_empty_collections_are_written_plain()
    {
        var node = JsonNode.Parse("""{"n":[1,-2.5,1.0,1e3,true,false,null],"e":{},"a":[],"nested":[{"a":[{}]}]}""");

        Assert.Equal("""
            "n":
            - 1
            - -2.5
            - 1.0
            - 1e3
            - true
            - false
            - null
            e: {}
            a: []
            nested:
            - a:
              - {}

            """.ReplaceLineEndings("\n"), YamlJson.Write(node));
    }

    [Fact]
    public void WriteAll_separates_documents()
    {
        Assert.Equal("---\na: 1\n---\n- 1\n--- null\n", YamlJson.WriteAll([JsonNode.Parse("""{"a":1}"""), JsonNode.Parse("[1]"), null]));
    }

    [Fact]
    public void Writing_then_reading_gives_the_same_JSON()
    {
        var json = """
            {"metadata":{"name":"web","annotations":{"appmesh.k8s.aws/ports":"8080","a":"true","b":"0x1F","c":"","d":"~","e":"12:30","f":"- x","g":"multi\nline\n","h":"  padded  ","i":"é ✓ 🚀","j":"\"quoted\"","k":"tab\there"}},
             "spec":{"replicas":3,"ratio":0.25,"big":12345678901234567890,"flag":false,"none":null,"list":[[],{},[1,[2]],"x"]}}
            """;
        var node = JsonNode.Parse(json)!;

        var back = YamlJson.Read(YamlJson.Write(node))!;

        Assert.Equal(node.ToJsonString(), back.ToJsonString());
    }

    [Fact]
    public void Key_order_is_kept()
    {
        Assert.Equal("""{"z":1,"a":{"y":2,"b":3},"m":4}""", YamlJson.Read("z: 1\na:\n  y: 2\n  b: 3\nm: 4\n")!.ToJsonString());
        Assert.Equal("z: 1\na:\n  \"y\": 2\n  b: 3\nm: 4\n", YamlJson.Write(JsonNode.Parse("""{"z":1,"a":{"y":2,"b":3},"m":4}""")));
    }

    [Fact]
    public void ReadAll_returns_every_document_with_the_line_it_starts_on()
    {
        var documents = YamlJson.ReadAll("a: 1\n---\nb: 2\n---\n# a comment\n- x\n");

        Assert.Equal(["1 {\"a\":1}", "3 {\"b\":2}", "6 [\"x\"]"], documents.Select(d => $"{d.Line} {d.Node!.ToJsonString()}"));
    }

    [Fact]
    public void ReadAll_skips_blank_lines_and_document_end_markers_when_counting()
    {
        var documents = YamlJson.ReadAll("---\nkind: Pod\n...\n---\n\n\nkind: List\n");

        Assert.Equal(["2 {\"kind\":\"Pod\"}", "7 {\"kind\":\"List\"}"], documents.Select(d => $"{d.Line} {d.Node!.ToJsonString()}"));
    }

    [Fact]
    public void JSON_text_is_read_too()
    {
        Assert.Equal("""{"a":[1,"2",true,null],"b":{"c":"d"}}""", YamlJson.Read("""{"a": [1, "2", true, null], "b": {"c": "d"}}""")!.ToJsonString());
    }

    [Fact]
    public void An_empty_text_has_no_documents()
    {
        Assert.Empty(YamlJson.ReadAll(""));
        Assert.Null(YamlJson.Read(""));
    }

    [Fact]
    public void A_duplicate_key_is_rejected_with_its_position()
    {
        var error = Assert.ThrowsAny<YamlException>(() => YamlJson.Read("a: 1\nb:\n  c: 2\n  c: 3\n"));

        Assert.Equal("Duplicate key c", error.Message);
        Assert.Equal((4L, 3L), (error.Start.Line, error.Start.Column));
    }

    [Fact]
    public void Invalid_YAML_is_rejected_with_its_position()
    {
        var error = Assert.ThrowsAny<YamlException>(() => YamlJson.Read("a: [1\n"));

        Assert.Equal("While parsing a flow sequence, did not find expected ',' or ']'.", error.Message);
        Assert.Equal((2L, 1L), (error.Start.Line, error.Start.Column));
    }

    /// <summary>YamlDotNet's parser gives an entry with nothing before its ':' that starts a nested block mapping as
    /// a key without a value, and its loader then threw an ArgumentException without a position (the command ended
    /// with a stack trace); anywhere else in a mapping the parser itself reports the entry with these words.</summary>
    [Theory]
    [InlineData("metadata:\n  : web\n", 2L, 4L)]
    [InlineData("- : web\n", 1L, 4L)]
    [InlineData("metadata:\n  name: web\n  : x\n", 3L, 5L)]
    public void An_entry_without_a_key_is_rejected_with_its_position(string yaml, long line, long column)
    {
        var error = Assert.ThrowsAny<YamlException>(() => YamlJson.Read(yaml));

        Assert.Equal(("While parsing a block mapping, did not find expected key.", line, column), (error.Message, error.Start.Line, error.Start.Column));
    }

    [Theory]
    [InlineData("<<: {a: 1}\n", "merge keys (<<) are not supported", 1)]
    [InlineData("x: 1\n? [a]\n: 1\n", "mapping keys must be plain strings", 2)]
    public void Constructs_JSON_cannot_hold_are_rejected_with_their_position(string yaml, string message, long line)
    {
        var error = Assert.ThrowsAny<YamlException>(() => YamlJson.Read(yaml));

        Assert.Equal((message, line), (error.Message, error.Start.Line));
    }

    [Fact]
    public void Aliases_are_expanded()
    {
        Assert.Equal("""{"a":1,"b":1}""", YamlJson.Read("a: &x 1\nb: *x\n")!.ToJsonString());
        Assert.Equal("""{"base":{"image":"web:1","ports":[80]},"a":{"image":"web:1","ports":[80]},"b":[{"image":"web:1","ports":[80]}]}""",
            YamlJson.Read("base: &c {image: 'web:1', ports: [80]}\na: *c\nb: [*c]\n")!.ToJsonString());
    }

    /// <summary>An alias bomb: ten levels of nine aliases of the level before, 10^9 values from ~500 bytes.</summary>
    private static string AliasBomb()
    {
        var lines = new List<string> { "a0: &a0 [x, x, x, x, x, x, x, x, x]" };
        for (var level = 1; level < 10; level++) lines.Add($"a{level}: &a{level} [{string.Join(", ", Enumerable.Repeat($"*a{level - 1}", 9))}]");
        return string.Join("\n", lines) + "\n";
    }

    public static TheoryData<string, string, long, long> Limits => new()
    {
        { "a: &x [*x]\n", "the node anchored &x holds an alias to itself (*x), so it never ends", 1, 4 },
        { "a: &x {b: [1, {c: *x}]}\n", "the node anchored &x holds an alias to itself (*x), so it never ends", 1, 4 },
        { AliasBomb(), "aliases stand for more than 100000 values (the document writes out 16); refused as an alias bomb", 1, 31 },
        { "a: " + new string('[', 513) + new string(']', 513) + "\n", "mappings and sequences nested more than 512 deep; no Kubernetes object is", 1, 515 },
        { "a: " + new string('[', 200_000) + new string(']', 200_000) + "\n", "mappings and sequences nested more than 512 deep; no Kubernetes object is", 1, 515 },
        { "a: " + string.Concat(Enumerable.Repeat("{a: ", 100_000)) + "1" + new string('}', 100_000) + "\n", "mappings and sequences nested more than 512 deep; no Kubernetes object is", 1, 2048 },
    };

    [Theory]
    [MemberData(nameof(Limits))]
    public void Valid_YAML_that_would_never_end_or_not_fit_is_refused_with_its_position(string yaml, string message, long line, long column)
    {
        var error = Assert.Throws<YamlLimitException>(() => YamlJson.Read(yaml));

        Assert.Equal((message, line, column), (error.Message, error.Start.Line, error.Start.Column));
    }

    [Fact]
    public void Nesting_up_to_the_limit_is_read()
    {
        // The document's mapping is the first level.
        var yaml = "a: " + new string('[', YamlJson.MaxDepth - 1) + new string(']', YamlJson.MaxDepth - 1) + "\n";

        var json = YamlJson.Read(yaml)!.ToJsonString();

        Assert.Equal("{\"a\":" + new string('[', YamlJson.MaxDepth - 1) + new string(']', YamlJson.MaxDepth - 1) + "}", json);
    }
}

/// <summary>The block writer that in-place edits use reads back as what it wrote, for every golden pod and for
/// strings a YAML reader could take for something else.</summary>
public sealed class YamlBlockWriterTests
{
    private static JsonNode? RoundTrip(JsonNode? node, string prefix = "")
    {
        var text = new System.Text.StringBuilder();
        YamlJson.WriteBlock(text, node, 0, "\n", prefix);
        return YamlJson.Read(text.ToString());
    }

    public static TheoryData<string> Goldens => GoldenCases.Names();

    [Theory]
    [MemberData(nameof(Goldens))]
    public void An_injected_golden_pod_reads_back_as_written(string name)
    {
        var pod = GoldenCases.ReadGolden(name);

        Assert.Equal(pod.ToJsonString(), RoundTrip(pod)!.ToJsonString());
        Assert.Equal(new JsonArray(pod.DeepClone(), pod.DeepClone()).ToJsonString(), RoundTrip(new JsonArray(pod.DeepClone(), pod.DeepClone()))!.ToJsonString());
    }

    [Theory]
    [InlineData("true")]
    [InlineData("Yes")]
    [InlineData("null")]
    [InlineData("~")]
    [InlineData("123")]
    [InlineData("0o17")]
    [InlineData("0x1F")]
    [InlineData("1e3")]
    [InlineData(".inf")]
    [InlineData("12:30")]
    [InlineData("-c")]
    [InlineData("- x")]
    [InlineData(": x")]
    [InlineData("a: b")]
    [InlineData("a #b")]
    [InlineData("# c")]
    [InlineData("")]
    [InlineData(" lead")]
    [InlineData("trail ")]
    [InlineData("key:")]
    [InlineData("tab\there")]
    [InlineData("line\nbreak")]
    [InlineData("\u0085next")]
    [InlineData("é ü 日本")]
    [InlineData("{a}")]
    [InlineData("[x]")]
    [InlineData("'q'")]
    [InlineData("\"d\"")]
    [InlineData("@at")]
    [InlineData("`tick")]
    [InlineData("%pct")]
    [InlineData("&anchor")]
    [InlineData("*alias")]
    [InlineData("!tag")]
    [InlineData("|")]
    [InlineData(">")]
    [InlineData("http://x:80/y?z=1#f")]
    [InlineData("a\\b")]
    [InlineData("sleep 20")]
    public void A_string_that_could_be_misread_reads_back_as_the_string(string value)
    {
        var asValue = new JsonObject { ["k"] = value, ["list"] = new JsonArray(value), [value] = "key" };

        Assert.Equal(asValue.ToJsonString(), RoundTrip(asValue)!.ToJsonString());
        // Written as a sequence item ("- k: …"): the document is a list of it.
        Assert.Equal(new JsonArray(asValue.DeepClone()).ToJsonString(), RoundTrip(asValue, "- ")!.ToJsonString());
    }

    [Fact]
    public void Numbers_booleans_nulls_and_empty_collections_keep_their_types_and_nested_lists_their_shape()
    {
        var node = JsonNode.Parse("""{"n":1,"f":0.5,"b":false,"z":null,"o":{},"a":[],"nested":[[1,[2,3]],[{"x":[]}]]}""");

        Assert.Equal(node!.ToJsonString(), RoundTrip(node)!.ToJsonString());
    }
}
