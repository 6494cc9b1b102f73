using System.Text.Json.Nodes;
using Injector.Core.Json;

namespace Injector.Tests.Unit;

/// <summary>SPEC §6: the RFC 6902 diff. Each case asserts the whole operation list and that an independent
/// applier turns the first document into exactly the second.</summary>
public class JsonPatchTests
{
    public static TheoryData<string, string, string> Cases => new()
    {
        // Insertions into arrays: "add" at each final index, ascending.
        {
            """{"c":[{"name":"app"}]}""",
            """{"c":[{"name":"app"},{"name":"envoy"}]}""",
            """[{"op":"add","path":"/c/1","value":{"name":"envoy"}}]"""
        },
        {
            """{"c":["b","d"]}""",
            """{"c":["a","b","c","d","e"]}""",
            """[{"op":"add","path":"/c/0","value":"a"},{"op":"add","path":"/c/2","value":"c"},{"op":"add","path":"/c/4","value":"e"}]"""
        },
        {
            """{"c":["a"]}""",
            """{"c":["a","a"]}""",
            """[{"op":"add","path":"/c/1","value":"a"}]"""
        },
        // Absent members: one "add" of the whole value.
        {
            """{"spec":{"containers":[{"name":"app"}]}}""",
            """{"spec":{"containers":[{"name":"app"}],"initContainers":[{"name":"proxyinit"}],"volumes":[{"name":"tls"}],"securityContext":{"fsGroup":1337}}}""",
            """[{"op":"add","path":"/spec/initContainers","value":[{"name":"proxyinit"}]},{"op":"add","path":"/spec/volumes","value":[{"name":"tls"}]},{"op":"add","path":"/spec/securityContext","value":{"fsGroup":1337}}]"""
        },
        {
            """{"metadata":{"name":"web"}}""",
            """{"metadata":{"name":"web","annotations":{"appmesh.k8s.aws/mesh":"demo"}}}""",
            """[{"op":"add","path":"/metadata/annotations","value":{"appmesh.k8s.aws/mesh":"demo"}}]"""
        },
        // Pointer escaping of keys with "/" and "~".
        {
            """{"metadata":{"annotations":{"a":"1"}}}""",
            """{"metadata":{"annotations":{"a":"1","appmesh.k8s.aws/mesh":"demo","x~y":"t","~1":"lit"}}}""",
            """[{"op":"add","path":"/metadata/annotations/appmesh.k8s.aws~1mesh","value":"demo"},{"op":"add","path":"/metadata/annotations/x~0y","value":"t"},{"op":"add","path":"/metadata/annotations/~01","value":"lit"}]"""
        },
        {
            """{"a/b":{"c~d":1}}""",
            """{"a/b":{"c~d":2}}""",
            """[{"op":"replace","path":"/a~1b/c~0d","value":2}]"""
        },
        // Values that need JSON escaping.
        {
            """{"env":[]}""",
            """{"env":[{"name":"MSG","value":"say \"hi\"\nline2\t\\ é ✓ 🚀 <&>"}]}""",
            """[{"op":"add","path":"/env/0","value":{"name":"MSG","value":"say \u0022hi\u0022\nline2\t\\ \u00E9 \u2713 \uD83D\uDE80 \u003C\u0026\u003E"}}]"""
        },
        // Replace of a scalar, also when the type changes.
        {
            """{"spec":{"replicas":1,"paused":false,"note":null}}""",
            """{"spec":{"replicas":2,"paused":"false","note":"x"}}""",
            """[{"op":"replace","path":"/spec/replicas","value":2},{"op":"replace","path":"/spec/paused","value":"false"},{"op":"replace","path":"/spec/note","value":"x"}]"""
        },
        // Removal of a key, and a value set to null.
        {
            """{"a":1,"b":2,"c":3}""",
            """{"a":1,"c":null}""",
            """[{"op":"remove","path":"/b"},{"op":"replace","path":"/c","value":null}]"""
        },
        // An array that shrank or could not be reached by insertions is replaced whole.
        {
            """{"c":[1,2,3]}""",
            """{"c":[1,3]}""",
            """[{"op":"replace","path":"/c","value":[1,3]}]"""
        },
        {
            """{"c":[1,2]}""",
            """{"c":[2,1,3]}""",
            """[{"op":"replace","path":"/c","value":[2,1,3]}]"""
        },
        // A reordered array of the same length: each changed element is replaced in place.
        {
            """{"c":["x","y"]}""",
            """{"c":["y","x"]}""",
            """[{"op":"replace","path":"/c/0","value":"y"},{"op":"replace","path":"/c/1","value":"x"}]"""
        },
        // An element changed in place is diffed into, not replaced.
        {
            """{"c":[{"name":"app","image":"a:1"}]}""",
            """{"c":[{"name":"app","image":"a:2"}]}""",
            """[{"op":"replace","path":"/c/0/image","value":"a:2"}]"""
        },
        // Identical documents, whatever the key order: no operation.
        {
            """{"a":{"x":1,"y":[1,{"z":true}]},"b":"s"}""",
            """{"b":"s","a":{"y":[1,{"z":true}],"x":1}}""",
            """[]"""
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Diff_gives_exactly_these_operations_and_they_turn_the_source_into_the_target(string before, string after, string expectedPatch)
    {
        var source = JsonNode.Parse(before)!;
        var target = JsonNode.Parse(after)!;

        var operations = JsonPatch.Diff(source, target);

        Assert.Equal(expectedPatch, JsonPatch.ToJson(operations));
        Assert.True(JsonNode.DeepEquals(target, TestPatch.Apply(source, operations)));
        Assert.Equal(before, source.ToJsonString());
    }

    [Fact]
    public void A_different_type_at_the_root_is_one_replace_of_the_whole_document()
    {
        // Not applied here: the independent applier cannot replace the root (pods are always objects).
        Assert.Equal("""[{"op":"replace","path":"","value":[1]}]""", JsonPatch.ToJson(JsonPatch.Diff(JsonNode.Parse("""{"a":1}"""), JsonNode.Parse("[1]"))));
    }

    [Fact]
    public void The_patch_values_are_copies_not_the_targets_nodes()
    {
        var target = JsonNode.Parse("""{"a":{"b":1}}""")!;

        var operations = JsonPatch.Diff(JsonNode.Parse("{}"), target);
        target["a"]!["b"] = 2;

        Assert.Equal("""[{"op":"add","path":"/a","value":{"b":1}}]""", JsonPatch.ToJson(operations));
    }

    [Fact]
    public void Serialize_writes_the_same_UTF8_JSON_as_ToJson()
    {
        var operations = new List<PatchOperation>
        {
            PatchOperation.Add("/a", JsonValue.Create("x")),
            PatchOperation.Replace("/b", null),
            PatchOperation.Remove("/c"),
        };

        Assert.Equal("""[{"op":"add","path":"/a","value":"x"},{"op":"replace","path":"/b","value":null},{"op":"remove","path":"/c"}]"""u8.ToArray(),
            JsonPatch.Serialize(operations));
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a/b", "a~1b")]
    [InlineData("a~b", "a~0b")]
    [InlineData("~/", "~0~1")]
    [InlineData("/~1", "~1~01")]
    public void EscapeToken_escapes_tilde_before_slash(string token, string expected)
    {
        Assert.Equal(expected, JsonPatch.EscapeToken(token));
    }

    [Fact]
    public void A_pointer_is_read_into_unescaped_tokens_and_followed_through_objects_and_arrays()
    {
        Assert.Equal(["metadata", "annotations", "appmesh.k8s.aws/mesh"], JsonPatch.PointerTokens("/metadata/annotations/appmesh.k8s.aws~1mesh"));
        Assert.Equal(["a~1b", ""], JsonPatch.PointerTokens("/a~01b/"));
        Assert.Empty(JsonPatch.PointerTokens(""));

        var doc = JsonNode.Parse("""{"spec":{"containers":[{"name":"app"},{"name":"envoy"}]},"a/b":{"~":1}}""");
        Assert.Equal("envoy", (string?)JsonPatch.Resolve(doc, JsonPatch.PointerTokens("/spec/containers/1/name")));
        Assert.Equal(1, (int?)JsonPatch.Resolve(doc, JsonPatch.PointerTokens("/a~1b/~0")));
        Assert.Same(doc, JsonPatch.Resolve(doc, []));
        foreach (var missing in new[] { "/spec/containers/2", "/spec/containers/01", "/spec/containers/-1", "/spec/containers/+1", "/spec/containers/name", "/spec/x/y" })
            Assert.Null(JsonPatch.Resolve(doc, JsonPatch.PointerTokens(missing)));
    }
}
