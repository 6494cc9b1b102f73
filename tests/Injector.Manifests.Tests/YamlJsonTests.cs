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
    }
}
