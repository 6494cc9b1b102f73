using System.Text.Json;
using System.Text.Json.Nodes;
using Injector.Core.Json;

namespace Injector.Tests.Unit;

public class JsonEditTests
{
    private static JsonElement Doc(string json) => JsonDocument.Parse(json).RootElement;

    // The edit changes nothing it reads: its patch, applied to the input, is the edited document.
    private static string Applied(string json, JsonEdit edit)
    {
        var doc = JsonNode.Parse(json)!;
        JsonPatch.Apply(doc, edit.Operations());
        return doc.ToJsonString();
    }

    [Fact]
    public void Writes_inside_an_added_object_go_out_in_the_operation_that_added_it()
    {
        const string Input = """{"spec":{"containers":[]}}""";
        var edit = new JsonEdit(Doc(Input));

        var spec = edit.Object(edit.Root, "spec");
        var securityContext = edit.Object(spec, "securityContext");
        edit.Set(securityContext, "fsGroup", 1337);

        Assert.Equal("""[{"op":"add","path":"/spec/securityContext","value":{"fsGroup":1337}}]""", JsonPatch.ToJson(edit.Operations()));
        Assert.Equal("""{"spec":{"containers":[],"securityContext":{"fsGroup":1337}}}""", Applied(Input, edit));
        Assert.Empty(edit.Replaced);
    }

    [Fact]
    public void A_null_or_wrongly_typed_member_is_replaced_and_an_equal_value_is_not_touched()
    {
        const string Input = """{"metadata":{"annotations":{"a":"1","b":"2"}},"spec":{"initContainers":null,"volumes":"x","securityContext":{"fsGroup":1337}}}""";
        var edit = new JsonEdit(Doc(Input));

        var annotations = edit.Object(edit.Object(edit.Root, "metadata"), "annotations");
        edit.Set(annotations, "a", "1");
        edit.Set(annotations, "b", "3");
        var spec = edit.Object(edit.Root, "spec");
        edit.Append(edit.Array(spec, "initContainers"), new JsonObject { ["name"] = "proxyinit" });
        edit.Append(edit.Array(spec, "volumes"), new JsonObject { ["name"] = "v" });
        edit.Set(edit.Object(spec, "securityContext"), "fsGroup", 1337);

        Assert.Equal(
            """[{"op":"replace","path":"/metadata/annotations/b","value":"3"},""" +
            """{"op":"replace","path":"/spec/initContainers","value":[{"name":"proxyinit"}]},""" +
            """{"op":"replace","path":"/spec/volumes","value":[{"name":"v"}]}]""",
            JsonPatch.ToJson(edit.Operations()));
        Assert.Equal(
            ["/metadata/annotations/b=\"2\"", "/spec/initContainers=null", "/spec/volumes=\"x\""],
            edit.Replaced.Select(r => $"{r.Pointer}={r.Old?.ToJsonString() ?? "null"}"));
    }

    [Fact]
    public void Operations_come_out_in_document_order_whatever_order_the_edits_were_made_in()
    {
        const string Input = """{"metadata":{"annotations":{"z":"0"}},"spec":{"containers":[{"name":"app"}],"initContainers":[{"name":"init"}]}}""";
        var edit = new JsonEdit(Doc(Input));

        var spec = edit.Object(edit.Root, "spec");
        var init = edit.Array(spec, "initContainers");
        edit.Insert(init, 0, new JsonObject { ["name"] = "first" });
        edit.Insert(init, 1, new JsonObject { ["name"] = "second" });
        var containers = edit.Array(spec, "containers");
        edit.Append(containers, new JsonObject { ["name"] = "envoy" });
        edit.Append(containers, new JsonObject { ["name"] = "xray" });
        var annotations = edit.Object(edit.Object(edit.Root, "metadata"), "annotations");
        edit.Set(annotations, "a/b~c", "1");
        edit.Set(edit.Object(edit.Root, "metadata"), "labels", new JsonObject { ["app"] = "web" });

        Assert.Equal(
            """[{"op":"add","path":"/metadata/annotations/a~1b~0c","value":"1"},""" +
            """{"op":"add","path":"/metadata/labels","value":{"app":"web"}},""" +
            """{"op":"add","path":"/spec/containers/1","value":{"name":"envoy"}},""" +
            """{"op":"add","path":"/spec/containers/2","value":{"name":"xray"}},""" +
            """{"op":"add","path":"/spec/initContainers/0","value":{"name":"first"}},""" +
            """{"op":"add","path":"/spec/initContainers/1","value":{"name":"second"}}]""",
            JsonPatch.ToJson(edit.Operations()));
        var edited = Applied(Input, edit);
        Assert.Equal(JsonPatch.ToJson(JsonPatch.Diff(JsonNode.Parse(Input), JsonNode.Parse(edited))), JsonPatch.ToJson(edit.Operations()));
        Assert.Equal(
            """{"metadata":{"annotations":{"z":"0","a/b~c":"1"},"labels":{"app":"web"}},"spec":""" +
            """{"containers":[{"name":"app"},{"name":"envoy"},{"name":"xray"}],"initContainers":[{"name":"first"},{"name":"second"},{"name":"init"}]}}""",
            edited);
    }

    [Fact]
    public void A_member_asked_for_twice_is_one_place_whether_the_input_had_it_or_the_edit_added_it()
    {
        const string Input = """{"spec":{"containers":[{"name":"app"}]}}""";
        var edit = new JsonEdit(Doc(Input));

        edit.Append(edit.Array(edit.Object(edit.Root, "spec"), "containers"), new JsonObject { ["name"] = "envoy" });
        edit.Append(edit.Array(edit.Object(edit.Root, "spec"), "containers"), new JsonObject { ["name"] = "xray" });
        edit.Set(edit.Object(edit.Object(edit.Root, "metadata"), "annotations"), "a", "1");
        edit.Set(edit.Object(edit.Object(edit.Root, "metadata"), "annotations"), "b", "2");

        Assert.Equal(
            """[{"op":"add","path":"/spec/containers/1","value":{"name":"envoy"}},""" +
            """{"op":"add","path":"/spec/containers/2","value":{"name":"xray"}},""" +
            """{"op":"add","path":"/metadata","value":{"annotations":{"a":"1","b":"2"}}}]""",
            JsonPatch.ToJson(edit.Operations()));
        Assert.Equal("""{"spec":{"containers":[{"name":"app"},{"name":"envoy"},{"name":"xray"}]},"metadata":{"annotations":{"a":"1","b":"2"}}}""", Applied(Input, edit));
    }

    [Fact]
    public void Applying_a_patch_whose_path_does_not_lead_into_the_document_throws()
    {
        var doc = JsonNode.Parse("""{"spec":{"containers":[]}}""")!;

        var error = Assert.Throws<InvalidOperationException>(() => JsonPatch.Apply(doc, [PatchOperation.Add("/spec/volumes/0", new JsonObject())]));

        Assert.Equal("patch add /spec/volumes/0: the path does not lead into the document", error.Message);
        Assert.Equal("""{"spec":{"containers":[]}}""", doc.ToJsonString());
    }

    [Fact]
    public void A_members_pointer_is_escaped_the_same_whether_its_key_is_a_constant_kept_once_or_made_at_run_time()
    {
        const string Input = """{"metadata":{"annotations":{"x":"1"}}}""";
        // A key made at run time is not interned, so its pointer is built each time; a constant's is kept.
        var madeKey = string.Concat("a/b", "~c");
        var operations = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var edit = new JsonEdit(Doc(Input));
            var annotations = edit.Object(edit.Object(edit.Root, "metadata"), "annotations");
            edit.Set(annotations, "k8s.io/x~y", "constant");
            edit.Set(annotations, madeKey, "made");
            edit.Set(annotations, "x", "2");
            operations.Add(JsonPatch.ToJson(edit.Operations()));
        }

        Assert.Equal(
            """[{"op":"replace","path":"/metadata/annotations/x","value":"2"},{"op":"add","path":"/metadata/annotations/k8s.io~1x~0y","value":"constant"},{"op":"add","path":"/metadata/annotations/a~1b~0c","value":"made"}]""",
            operations[0]);
        Assert.Equal(operations[0], operations[1]);
    }

    [Fact]
    public void A_member_given_as_the_caller_found_it_edits_as_one_looked_up_in_document_order()
    {
        // Members of each kind in a mixed order (one written with an escape, one null, one of the wrong kind, the
        // metadata after the spec), edited through lookups and again through the members as found: the same patch.
        const string Input = """{"spec":{"volumes":"x","\u0063ontainers":[{"name":"app"}],"initContainers":null},"kind":"Pod","metadata":{"labels":{"app":"web"},"annotations":{"b":"2","a":"1"}}}""";
        var patches = new List<string>();
        var replaced = new List<string>();
        foreach (var given in (bool[])[false, true])
        {
            using var doc = JsonDocument.Parse(Input);
            var root = doc.RootElement;
            var edit = new JsonEdit(root);
            JsonElement Found(JsonElement obj, string key) => obj.TryGetProperty(key, out var value) ? value : default;
            JsonPlace Object(JsonPlace parent, string key) => given ? edit.Object(parent, key, Found(parent.Element, key)) : edit.Object(parent, key);
            JsonPlace Array(JsonPlace parent, string key) => given ? edit.Array(parent, key, Found(parent.Element, key)) : edit.Array(parent, key);
            void Set(JsonPlace parent, string key, JsonNode value)
            {
                if (given) edit.Set(parent, key, value, Found(parent.Element, key));
                else edit.Set(parent, key, value);
            }

            var annotations = Object(Object(edit.Root, "metadata"), "annotations");
            Set(annotations, "c", "3");
            Set(annotations, "a", "1");
            Set(annotations, "b", "two");
            var spec = Object(edit.Root, "spec");
            Object(spec, "securityContext");
            edit.Append(Array(spec, "volumes"), new JsonObject { ["name"] = "v" });
            edit.Insert(Array(spec, "initContainers"), 0, new JsonObject { ["name"] = "init" });
            edit.Insert(Array(spec, "containers"), 0, new JsonObject { ["name"] = "envoy" });
            Set(edit.Root, "kind", "Pod");
            patches.Add(JsonPatch.ToJson(edit.Operations()));
            replaced.Add(string.Join(" ", edit.Replaced.Select(r => $"{r.Pointer}={r.Old?.ToJsonString() ?? "null"}")));
        }

        Assert.Equal(
            """[{"op":"replace","path":"/spec/volumes","value":[{"name":"v"}]},""" +
            """{"op":"add","path":"/spec/containers/0","value":{"name":"envoy"}},""" +
            """{"op":"replace","path":"/spec/initContainers","value":[{"name":"init"}]},""" +
            """{"op":"add","path":"/spec/securityContext","value":{}},""" +
            """{"op":"replace","path":"/metadata/annotations/b","value":"two"},""" +
            """{"op":"add","path":"/metadata/annotations/c","value":"3"}]""",
            patches[0]);
        Assert.Equal(patches[0], patches[1]);
        Assert.Equal("""/metadata/annotations/b="2" /spec/volumes="x" /spec/initContainers=null""", replaced[0]);
        Assert.Equal(replaced[0], replaced[1]);
    }
}
