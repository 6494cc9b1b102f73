using System.Text.Json.Nodes;
using Injector.Core.Json;

namespace Injector.Tests.Unit;

public class JsonEditTests
{
    private static JsonObject Doc(string json) => JsonNode.Parse(json)!.AsObject();

    [Fact]
    public void Writes_inside_an_added_object_go_out_in_the_operation_that_added_it()
    {
        var doc = Doc("""{"spec":{"containers":[]}}""");
        var edit = new JsonEdit(doc);

        var spec = edit.Object(edit.Root, "spec");
        var securityContext = edit.Object(spec, "securityContext");
        edit.Set(securityContext, "fsGroup", 1337);

        Assert.Equal("""[{"op":"add","path":"/spec/securityContext","value":{"fsGroup":1337}}]""", JsonPatch.ToJson(edit.Operations()));
        Assert.Equal("""{"spec":{"containers":[],"securityContext":{"fsGroup":1337}}}""", doc.ToJsonString());
    }

    [Fact]
    public void A_null_or_wrongly_typed_member_is_replaced_and_an_equal_value_is_not_touched()
    {
        var doc = Doc("""{"metadata":{"annotations":{"a":"1","b":"2"}},"spec":{"initContainers":null,"volumes":"x"}}""");
        var edit = new JsonEdit(doc);

        var annotations = edit.Object(edit.Object(edit.Root, "metadata"), "annotations");
        edit.Set(annotations, "a", "1");
        edit.Set(annotations, "b", "3");
        var spec = edit.Object(edit.Root, "spec");
        edit.Append(edit.Array(spec, "initContainers"), new JsonObject { ["name"] = "proxyinit" });
        edit.Append(edit.Array(spec, "volumes"), new JsonObject { ["name"] = "v" });

        Assert.Equal(
            """[{"op":"replace","path":"/metadata/annotations/b","value":"3"},""" +
            """{"op":"replace","path":"/spec/initContainers","value":[{"name":"proxyinit"}]},""" +
            """{"op":"replace","path":"/spec/volumes","value":[{"name":"v"}]}]""",
            JsonPatch.ToJson(edit.Operations()));
    }

    [Fact]
    public void Operations_come_out_in_document_order_whatever_order_the_edits_were_made_in()
    {
        var doc = Doc("""{"metadata":{"annotations":{"z":"0"}},"spec":{"containers":[{"name":"app"}],"initContainers":[{"name":"init"}]}}""");
        var edit = new JsonEdit(doc);

        var spec = edit.Object(edit.Root, "spec");
        var init = edit.Array(spec, "initContainers");
        edit.Insert(init, 0, new JsonObject { ["name"] = "first" });
        edit.Insert(init, 1, new JsonObject { ["name"] = "second" });
        edit.Append(edit.Array(spec, "containers"), new JsonObject { ["name"] = "envoy" });
        var annotations = edit.Object(edit.Object(edit.Root, "metadata"), "annotations");
        edit.Set(annotations, "a/b~c", "1");

        Assert.Equal(
            """[{"op":"add","path":"/metadata/annotations/a~1b~0c","value":"1"},""" +
            """{"op":"add","path":"/spec/containers/1","value":{"name":"envoy"}},""" +
            """{"op":"add","path":"/spec/initContainers/0","value":{"name":"first"}},""" +
            """{"op":"add","path":"/spec/initContainers/1","value":{"name":"second"}}]""",
            JsonPatch.ToJson(edit.Operations()));
        Assert.Equal(JsonPatch.ToJson(JsonPatch.Diff(Doc("""{"metadata":{"annotations":{"z":"0"}},"spec":{"containers":[{"name":"app"}],"initContainers":[{"name":"init"}]}}"""), doc)),
            JsonPatch.ToJson(edit.Operations()));
    }
}
