using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Injector.Core.Json;

namespace Injector.Tests.Unit;

/// <summary>The engine reads the pod through these: a value of the wrong kind, or JSON null, reads as absent,
/// as <see cref="JsonNodes"/> reads nodes.</summary>
public class JsonElementsTests
{
    private static readonly JsonElement Pod = JsonDocument.Parse("""
        {"metadata":{"name":"web","labels":null,"annotations":{"a":"1","b":2}},
         "spec":{"containers":[{"name":"app","ports":[{"containerPort":8080},{"containerPort":80.5},{"containerPort":"x"}]}],
                 "volumes":"not a list","hostNetwork":true,"dnsPolicy":false}}
        """).RootElement;

    [Fact]
    public void Fields_of_the_wrong_kind_or_null_read_as_absent()
    {
        var metadata = JsonElements.Object(Pod, "metadata"u8);
        Assert.Equal("web", JsonElements.Str(JsonElements.Field(metadata, "name"u8)));
        Assert.Null(JsonElements.Field(metadata, "labels"u8));
        Assert.Null(JsonElements.Field(metadata, "missing"));
        Assert.Null(JsonElements.Field(JsonElements.Field(metadata, "name"u8), "x"u8)); // a string has no fields
        Assert.Null(JsonElements.Object(Pod, "spec"u8) is { } spec ? JsonElements.Array(spec, "volumes"u8) : throw new InvalidOperationException());
        Assert.Empty(JsonElements.Items(JsonElements.Object(Pod, "spec"u8), "volumes"));
        Assert.Empty(JsonElements.Items(null, "containers"u8));
    }

    [Fact]
    public void Scalars_are_read_only_from_their_own_kind()
    {
        var spec = JsonElements.Object(Pod, "spec"u8);
        var ports = JsonElements.Items(JsonElements.Items(spec, "containers"u8).First(), "ports"u8)
            .Select(p => JsonElements.Int(JsonElements.Field(p, "containerPort"u8))).ToList();
        Assert.Equal([8080, null, null], ports);
        Assert.Equal(true, JsonElements.Bool(JsonElements.Field(spec, "hostNetwork"u8)));
        Assert.Equal(false, JsonElements.Bool(JsonElements.Field(spec, "dnsPolicy"u8)));
        Assert.Null(JsonElements.Bool(JsonElements.Field(spec, "volumes"u8)));
        Assert.True(JsonElements.IsString(JsonElements.Field(JsonElements.Object(Pod, "metadata"u8), "name"u8), "web"));
        Assert.False(JsonElements.IsString(JsonElements.Field(spec, "hostNetwork"u8), "true"));
    }

    [Fact]
    public void String_maps_are_read_strictly_and_absent_reads_as_empty()
    {
        var metadata = JsonElements.Object(Pod, "metadata"u8);
        Assert.False(JsonElements.TryReadStringMap(JsonElements.Field(metadata, "annotations"u8), out _));
        Assert.True(JsonElements.TryReadStringMap(JsonElements.Field(metadata, "labels"u8), out var none));
        Assert.Empty(none);
        Assert.False(JsonElements.TryReadStringMap(JsonElements.Field(metadata, "name"u8), out _));
        Assert.True(JsonElements.TryReadStringMap(JsonDocument.Parse("""{"x":"1","y":""}""").RootElement, out var map));
        Assert.Equal(new Dictionary<string, string> { ["x"] = "1", ["y"] = "" }, map);
    }

    [Fact]
    public void A_string_map_read_by_key_prefix_keeps_those_keys_however_written_and_still_checks_every_value()
    {
        var annotations = JsonDocument.Parse("""{"a":"1","appmesh.k8s.aws/mesh":"m","appmesh.k8s.aws\/ports":"80","appmesh.k8s.awsX":"x","\u0061ppmesh.k8s.aws/cpu":"1"}""").RootElement;
        Assert.True(JsonElements.TryReadStringMap(annotations, "appmesh.k8s.aws/", out var ours));
        Assert.Equal(new Dictionary<string, string> { ["appmesh.k8s.aws/mesh"] = "m", ["appmesh.k8s.aws/ports"] = "80", ["appmesh.k8s.aws/cpu"] = "1" }, ours);

        Assert.True(JsonElements.TryReadStringMap(JsonDocument.Parse("""{"a":"1"}""").RootElement, "appmesh.k8s.aws/", out var none));
        Assert.Null(none);
        Assert.True(JsonElements.TryReadStringMap(null, "appmesh.k8s.aws/", out var absent));
        Assert.Null(absent);
        // A value that is not a string is refused even under a key the prefix leaves out.
        Assert.False(JsonElements.TryReadStringMap(JsonDocument.Parse("""{"a":1}""").RootElement, "appmesh.k8s.aws/", out _));
        Assert.False(JsonElements.TryReadStringMap(JsonDocument.Parse("[]").RootElement, "appmesh.k8s.aws/", out _));
    }

    [Fact]
    public void Nodes_parse_to_the_same_json_and_elements_copy_back_to_nodes()
    {
        var node = JsonNode.Parse("""{"a":[1,"two",null],"b":{"c":true}}""")!;
        using var parsed = JsonElements.Parse(node);
        Assert.Equal(node.ToJsonString(), parsed.RootElement.GetRawText());
        Assert.Equal("""[1,"two",null]""", JsonElements.ToNode(parsed.RootElement.GetProperty("a"))!.ToJsonString());
        Assert.Null(JsonElements.ToNode(parsed.RootElement.GetProperty("a")[2]));
    }
}

public class DeferredJsonTests
{
    [Fact]
    public void A_deferred_value_is_written_by_its_function_each_time_its_document_is_written()
    {
        var calls = new System.Runtime.CompilerServices.StrongBox<int>();
        var patch = new JsonArray(new JsonObject
        {
            ["value"] = DeferredJson.Node(calls, static (w, calls) =>
            {
                calls.Value++;
                w.WriteStartObject();
                w.WriteString("name", "envoy");
                w.WriteEndObject();
            }),
            ["status"] = DeferredJson.String("{\"a\":\"<b>\"}"u8),
        });

        Assert.Equal("""[{"value":{"name":"envoy"},"status":"{\u0022a\u0022:\u0022\u003Cb\u003E\u0022}"}]""", patch.ToJsonString());
        Assert.Equal(1, calls.Value);
        // A copy (JsonPatch.Apply copies each value in) is made by writing the value once more: it holds the JSON.
        var copy = patch.DeepClone();
        Assert.Equal(2, calls.Value);
        Assert.Equal(patch.ToJsonString(), copy.ToJsonString());
        Assert.Equal(3, calls.Value);
        Assert.Throws<InvalidOperationException>(() => patch[0]!["value"]!.GetValue<string>());
    }

    [Fact]
    public void A_name_read_in_one_pass_compares_as_a_lookup_does()
    {
        using var document = JsonDocument.Parse("""{"spec":1,"\u0073pec":2,"spe":3,"specs":4,"sp\"ec":5}""");
        var matches = document.RootElement.EnumerateObject().Select(p => new PropertyName(p).Is("spec"u8)).ToList();
        Assert.Equal([true, true, false, false, false], matches);
        Assert.True(new PropertyName(document.RootElement.EnumerateObject().Last()).Escaped);
        Assert.Null(JsonElements.Present(default));
        Assert.Null(JsonElements.Present(JsonDocument.Parse("null").RootElement));
        Assert.Equal(JsonValueKind.False, JsonElements.Present(JsonDocument.Parse("false").RootElement)?.ValueKind);
        Assert.Empty(JsonElements.Items((JsonElement?)null));
        Assert.Single(JsonElements.Items(JsonDocument.Parse("[1]").RootElement));
    }
}

public class DeferredJsonWritingTests
{
    private static string Written(JsonNode node, JsonWriterOptions options = default)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, options)) node.WriteTo(writer);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static TheoryData<string> Strings()
    {
        var data = new TheoryData<string>
        {
            "",
            """{"added":["/spec/securityContext"],"replaced":{"/a~1b":"x\\y"},"version":"1.0"}""",
            "\"\"\\\\",
            "tab\there",
            "é and 😀",
            "a+b<c>d&e'f`g",
        };
        // Every ASCII character alone and between quotes, through writers of each kind.
        for (var c = 0; c < 128; c++)
        {
            data.Add(((char)c).ToString());
            data.Add($"\"{(char)c}\\");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Strings))]
    public void A_deferred_string_is_written_byte_for_byte_as_the_writer_writes_that_string(string text)
    {
        var deferred = new JsonObject { ["status"] = DeferredJson.String(Encoding.UTF8.GetBytes(text)) };
        var plain = new JsonObject { ["status"] = text };
        Assert.Equal(Written(plain), Written(deferred));
        var relaxed = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        Assert.Equal(Written(plain, relaxed), Written(deferred, relaxed));
        Assert.Equal(Written(plain, new JsonWriterOptions { Indented = true }), Written(deferred, new JsonWriterOptions { Indented = true }));
    }

    [Fact]
    public void Each_kind_of_deferred_value_goes_into_a_patch_as_its_node_writes_it_whatever_the_writer()
    {
        // The patch writes these values itself (not through the serializer) into a writer of the default options.
        var ahead = JsonSerializer.SerializeToUtf8Bytes(new { name = "a<b>", list = new[] { 1 } });
        IReadOnlyList<PatchOperation> patch =
        [
            PatchOperation.Add("/b", DeferredJson.Node(ahead, static (w, json) => w.WriteRawValue(json, skipInputValidation: true))),
            PatchOperation.Add("/c", DeferredJson.Node(("x<y", 2), static (w, state) => w.WriteStringValue(state.Item1 + state.Item2))),
            PatchOperation.Add("/d", DeferredJson.String("é<"u8)),
            PatchOperation.Add("/e", DeferredJson.Raw(ahead)),
        ];
        var nodes = new JsonArray(patch.Select(op => (JsonNode?)new JsonObject { ["op"] = op.Op, ["path"] = op.Path, ["value"] = op.Value!.DeepClone() }).ToArray());
        foreach (var options in new[] { default, new JsonWriterOptions { Indented = true }, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping } })
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, options)) JsonPatch.Write(writer, patch);
            Assert.Equal(Written(nodes, options), Encoding.UTF8.GetString(buffer.ToArray()));
        }
        Assert.Contains("\"value\":\"x\\u003Cy2\"", JsonPatch.ToJson(patch), StringComparison.Ordinal);
    }

    [Fact]
    public void A_deferred_value_written_into_a_writer_of_other_options_is_what_that_writer_would_write()
    {
        // The function may copy in JSON written ahead by a default writer: another writer gets its own escaping and layout.
        var ahead = JsonSerializer.SerializeToUtf8Bytes(new { name = "a<b>+c", list = new[] { 1, 2 } });
        var deferred = new JsonArray(DeferredJson.Node(ahead, static (w, json) => w.WriteRawValue(json, skipInputValidation: true)));
        var nodes = new JsonArray(JsonNode.Parse(ahead));
        foreach (var options in new[] { default, new JsonWriterOptions { Indented = true }, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = true } })
        {
            Assert.Equal(Written(nodes, options), Written(deferred, options));
        }
        Assert.Equal("""[{"name":"a\u003Cb\u003E\u002Bc","list":[1,2]}]""", Written(deferred));
        Assert.Equal("[\n  {\n    \"name\": \"a<b>+c\",\n    \"list\": [\n      1,\n      2\n    ]\n  }\n]", Written(deferred, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = true }).ReplaceLineEndings("\n"));
    }
}
