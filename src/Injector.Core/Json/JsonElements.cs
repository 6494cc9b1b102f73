using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Injector.Core.Json;

/// <summary>Reading values out of an untrusted parsed document without throwing, as <see cref="JsonNodes"/>
/// reads nodes: a value of the wrong kind, or JSON <c>null</c>, reads as absent. The engine reads the pod
/// through these, so that nothing it only reads is materialised as nodes.</summary>
public static class JsonElements
{
    /// <summary>A property of a value that should be an object; null when it is not one, or when the property
    /// is absent or JSON <c>null</c>.</summary>
    public static JsonElement? Field(JsonElement? element, string name) =>
        element is { ValueKind: JsonValueKind.Object } obj && obj.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    /// <inheritdoc cref="Field(JsonElement?, string)"/>
    public static JsonElement? Field(JsonElement? element, ReadOnlySpan<byte> utf8Name) =>
        element is { ValueKind: JsonValueKind.Object } obj && obj.TryGetProperty(utf8Name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    /// <summary>A value read in such a pass, as <see cref="Field(JsonElement?, ReadOnlySpan{byte})"/> gives it: null
    /// when it was not there (<c>default</c>) or is JSON <c>null</c>.</summary>
    public static JsonElement? Present(JsonElement value) => value.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null ? null : value;

    /// <summary>The property when it is an object, else null.</summary>
    public static JsonElement? Object(JsonElement? element, ReadOnlySpan<byte> utf8Name) => Field(element, utf8Name) is { ValueKind: JsonValueKind.Object } value ? value : null;

    /// <summary>The property when it is an array, else null.</summary>
    public static JsonElement? Array(JsonElement? element, string name) => Field(element, name) is { ValueKind: JsonValueKind.Array } value ? value : null;

    /// <summary>The property when it is an array, else null.</summary>
    public static JsonElement? Array(JsonElement? element, ReadOnlySpan<byte> utf8Name) => Field(element, utf8Name) is { ValueKind: JsonValueKind.Array } value ? value : null;

    /// <summary>The elements of the property when it is an array; none otherwise.</summary>
    public static JsonElement.ArrayEnumerator Items(JsonElement? element, ReadOnlySpan<byte> utf8Name) =>
        (Array(element, utf8Name) ?? EmptyArray).EnumerateArray();

    /// <summary>The elements of the property when it is an array; none otherwise.</summary>
    public static JsonElement.ArrayEnumerator Items(JsonElement? element, string name) =>
        (Array(element, name) ?? EmptyArray).EnumerateArray();

    /// <summary>The elements of the value when it is an array; none otherwise.</summary>
    public static JsonElement.ArrayEnumerator Items(JsonElement? list) =>
        (list is { ValueKind: JsonValueKind.Array } array ? array : EmptyArray).EnumerateArray();

    private static readonly JsonElement EmptyArray = JsonDocument.Parse("[]").RootElement;

    /// <summary>The string value, or null when absent or not a string.</summary>
    public static string? Str(JsonElement? element) => element is { ValueKind: JsonValueKind.String } s ? s.GetString() : null;

    /// <summary>Whether the value is the string <paramref name="text"/>, without making a string of it.</summary>
    public static bool IsString(JsonElement? element, string text) => element is { ValueKind: JsonValueKind.String } s && s.ValueEquals(text);

    /// <summary>The whole-number value when it fits an <see cref="int"/>, else null.</summary>
    public static int? Int(JsonElement? element) => element is { ValueKind: JsonValueKind.Number } n && n.TryGetInt32(out var i) ? i : null;

    /// <summary>The boolean value, or null when absent or not a boolean.</summary>
    public static bool? Bool(JsonElement? element) => element?.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    /// <summary>Reads an object of strings (annotations, labels) strictly, as <see cref="JsonNodes.TryReadStringMap"/>:
    /// false when the value is neither absent nor an object, or when any value is not a string.</summary>
    public static bool TryReadStringMap(JsonElement? element, out Dictionary<string, string> map)
    {
        var ok = TryReadStringMap(element, "", out var read);
        map = read ?? new Dictionary<string, string>(StringComparer.Ordinal);
        return ok;
    }

    /// <summary>As <see cref="TryReadStringMap(JsonElement?, out Dictionary{string, string})"/>, keeping only the keys
    /// that start with <paramref name="keyPrefix"/> (ASCII); null when none does, and the other keys and values are
    /// not read into strings (most pods carry none of the engine's annotations).</summary>
    public static bool TryReadStringMap(JsonElement? element, string keyPrefix, out Dictionary<string, string>? map)
    {
        map = null;
        if (element is null) return true;
        if (element.Value.ValueKind != JsonValueKind.Object) return false;
        foreach (var property in element.Value.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String) return false;
            if (keyPrefix.Length > 0 && !StartsWith(property, keyPrefix)) continue;
            (map ??= new Dictionary<string, string>(StringComparer.Ordinal))[property.Name] = property.Value.GetString()!;
        }
        return true;
    }

    // Whether the property's name starts with the ASCII prefix; compared as written unless written with an escape.
    private static bool StartsWith(JsonProperty property, string prefix)
    {
        var name = new PropertyName(property);
        if (name.Escaped) return property.Name.StartsWith(prefix, StringComparison.Ordinal);
        return name.Raw.Length >= prefix.Length && System.Text.Ascii.Equals(name.Raw[..prefix.Length], prefix);
    }

    /// <summary>A node's value as a parsed element (the command-line tool holds nodes; the engine reads elements).
    /// The document is returned so that the caller can give its buffers back when done.</summary>
    public static JsonDocument Parse(JsonNode node)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer)) node.WriteTo(writer);
        return JsonDocument.Parse(buffer.WrittenMemory);
    }

    /// <summary>A copy of an element as a node (a value replaced by a patch, kept to be restored).</summary>
    public static JsonNode? ToNode(JsonElement element) => element.ValueKind == JsonValueKind.Null ? null : JsonNode.Parse(element.GetRawText());
}

/// <summary>A property's name, for a reader that takes several properties of an object in one pass over it rather
/// than a lookup (a scan of the object) for each: read once, then compared with each wanted name as
/// <see cref="JsonElement.TryGetProperty(ReadOnlySpan{byte}, out JsonElement)"/> compares (a name written with an
/// escape by its text).</summary>
public readonly ref struct PropertyName
{
    private readonly JsonProperty _property;

    public PropertyName(JsonProperty property)
    {
        _property = property;
        Raw = JsonMarshal.GetRawUtf8PropertyName(property);
        Escaped = Raw.Contains((byte)'\\');
    }

    /// <summary>The name as written, between its quotes.</summary>
    public ReadOnlySpan<byte> Raw { get; }

    /// <summary>Whether the name is written with an escape (then <see cref="Raw"/> is not its text).</summary>
    public bool Escaped { get; }

    public bool Is(ReadOnlySpan<byte> utf8Name) => Escaped ? _property.NameEquals(utf8Name) : Raw.SequenceEqual(utf8Name);
}
