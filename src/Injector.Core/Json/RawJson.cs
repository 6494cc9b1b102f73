using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Injector.Core.Json;

/// <summary>A JSON value kept as the text it was written as: a node that writes those bytes as they are,
/// never parsed. For values the caller only copies into output (the sidecars the webhook puts into its
/// patch): parsing the rendered containers into nodes and writing them out again was a tenth of the
/// webhook's CPU per review (docs/performance.md). Reading inside such a node is not supported: it is a
/// <see cref="JsonValue"/>, not an object.</summary>
public static class RawJson
{
    private static readonly JsonTypeInfo<Text> TypeInfo = JsonMetadataServices.CreateValueInfo<Text>(
        new JsonSerializerOptions { TypeInfoResolver = JsonTypeInfoResolver.Combine() }, new TextConverter());

    /// <summary>A node that writes <paramref name="json"/> (one complete, valid JSON value; copied) unchanged.</summary>
    public static JsonNode Node(ReadOnlySpan<byte> json) => JsonValue.Create(new Text(json.ToArray()), TypeInfo)!;

    private sealed record Text(byte[] Utf8);

    private sealed class TextConverter : JsonConverter<Text>
    {
        public override Text Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("raw JSON text is written only");

        // The bytes come from a Utf8JsonWriter with the same (default) encoder: checked once when written.
        public override void Write(Utf8JsonWriter writer, Text value, JsonSerializerOptions options) =>
            writer.WriteRawValue(value.Utf8, skipInputValidation: true);
    }
}
