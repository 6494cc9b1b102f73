using System.Text.Json.Nodes;
using Injector.Core.Json;

namespace Injector.Tests.Unit;

public class JsonNodesTests
{
    private static JsonNode Parse(string json) => JsonNode.Parse(json)!;

    [Fact]
    public void Str_reads_strings_only()
    {
        Assert.Equal("web", JsonNodes.Str(Parse("\"web\"")));
        Assert.Equal("web", JsonNodes.Str(JsonValue.Create("web")));
        Assert.Null(JsonNodes.Str(Parse("8080")));
        Assert.Null(JsonNodes.Str(Parse("true")));
        Assert.Null(JsonNodes.Str(Parse("""{"a":"b"}""")));
        Assert.Null(JsonNodes.Str(Parse("""["a"]""")));
        Assert.Null(JsonNodes.Str(null));
    }

    [Fact]
    public void Int_reads_whole_numbers_whether_parsed_or_created_from_an_int_or_a_long()
    {
        Assert.Equal(8080, JsonNodes.Int(Parse("8080")));
        Assert.Equal(8080, JsonNodes.Int(JsonValue.Create(8080)));
        Assert.Equal(8080, JsonNodes.Int(JsonValue.Create(8080L)));
        Assert.Null(JsonNodes.Int(JsonValue.Create(5_000_000_000L)));
        Assert.Null(JsonNodes.Int(Parse("5000000000")));
        Assert.Null(JsonNodes.Int(Parse("80.5")));
        Assert.Null(JsonNodes.Int(Parse("\"8080\"")));
        Assert.Null(JsonNodes.Int(null));
    }

    [Fact]
    public void Bool_reads_booleans_only()
    {
        Assert.True(JsonNodes.Bool(Parse("true")));
        Assert.False(JsonNodes.Bool(JsonValue.Create(false)));
        Assert.Null(JsonNodes.Bool(Parse("\"true\"")));
        Assert.Null(JsonNodes.Bool(Parse("1")));
        Assert.Null(JsonNodes.Bool(null));
    }

    [Fact]
    public void Field_reads_a_property_of_an_object_and_nothing_of_an_array_or_a_value()
    {
        Assert.Equal("b", JsonNodes.Str(JsonNodes.Field(Parse("""{"a":"b"}"""), "a")));
        Assert.Null(JsonNodes.Field(Parse("""{"a":"b"}"""), "c"));
        Assert.Null(JsonNodes.Field(Parse("""["a"]"""), "a"));
        Assert.Null(JsonNodes.Field(Parse("\"a\""), "a"));
        Assert.Null(JsonNodes.Field(null, "a"));
    }

    [Fact]
    public void A_strict_string_map_rejects_any_value_that_is_not_a_string()
    {
        Assert.True(JsonNodes.TryReadStringMap(Parse("""{"a":"1","b":"2"}"""), out var map));
        Assert.Equal(["a=1", "b=2"], map.Select(e => $"{e.Key}={e.Value}"));

        Assert.True(JsonNodes.TryReadStringMap(null, out var absent));
        Assert.Empty(absent);

        Assert.False(JsonNodes.TryReadStringMap(Parse("""{"a":"1","b":2}"""), out _));
        Assert.False(JsonNodes.TryReadStringMap(Parse("""{"a":null}"""), out _));
        Assert.False(JsonNodes.TryReadStringMap(Parse("""["a"]"""), out _));
        Assert.False(JsonNodes.TryReadStringMap(Parse("\"a\""), out _));
    }

    [Fact]
    public void String_properties_keep_the_strings_and_skip_everything_else()
    {
        Assert.Equal(["a=1", "c=3"], JsonNodes.StringProperties(Parse("""{"a":"1","b":2,"c":"3","d":null,"e":{}}""")).Select(e => $"{e.Key}={e.Value}"));
        Assert.Empty(JsonNodes.StringProperties(Parse("""["a"]""")));
        Assert.Empty(JsonNodes.StringProperties(null));
    }
}
