using System.Text.Json;
using System.Text.Json.Nodes;

namespace Injector.Core.Json;

/// <summary>Reading values out of untrusted JSON nodes without throwing: a node of the wrong kind reads as
/// absent. The one set of accessors used by the engine, the hosts and the manifest walkers.</summary>
public static class JsonNodes
{
    /// <summary>A property of a node that should be an object, or null when it is not one (input is
    /// untrusted: the indexer of a JsonNode throws on arrays and values).</summary>
    public static JsonNode? Field(JsonNode? node, string name) => node is JsonObject o ? o[name] : null;

    /// <summary>The node at a path of property names, or null when a node on the way is not an object.</summary>
    public static JsonNode? Path(JsonNode? node, params ReadOnlySpan<string> names)
    {
        foreach (var name in names) node = Field(node, name);
        return node;
    }

    /// <summary>The string value of a node, or null when it is absent or not a string.</summary>
    public static string? Str(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>The whole-number value of a node, however it was created (parsed, or set from an int or a long).</summary>
    public static int? Int(JsonNode? node)
    {
        if (node is not JsonValue v) return null;
        if (v.TryGetValue<int>(out var i)) return i;
        if (v.TryGetValue<long>(out var l) && l is >= int.MinValue and <= int.MaxValue) return (int)l;
        if (v.TryGetValue<JsonElement>(out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out i)) return i;
        return null;
    }

    /// <summary>The boolean value of a node, or null when it is absent or not a boolean.</summary>
    public static bool? Bool(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;

    /// <summary>Reads an object of strings (annotations, labels) strictly: false when the node is neither
    /// absent nor an object, or when any value is not a string. Absent reads as an empty map.</summary>
    public static bool TryReadStringMap(JsonNode? node, out Dictionary<string, string> map)
    {
        map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is null) return true;
        if (node is not JsonObject obj) return false;
        foreach (var (key, value) in obj)
        {
            if (Str(value) is not { } s) return false;
            map[key] = s;
        }
        return true;
    }

    /// <summary>The string-valued properties of an object, leniently: other values are skipped, and a node
    /// that is not an object reads as an empty map.</summary>
    public static Dictionary<string, string> StringProperties(JsonNode? node)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is not JsonObject obj) return map;
        foreach (var (key, value) in obj)
        {
            if (Str(value) is { } s) map[key] = s;
        }
        return map;
    }
}
