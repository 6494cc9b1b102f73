using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Injector.Core.Json;

/// <summary>A JSON value written by a function at the moment its document is written out: a node that holds
/// neither nodes nor text. For values the caller only copies into output (the sidecars the webhook puts into
/// its patch): parsing the rendered containers into nodes and writing them out again was a tenth of the
/// webhook's CPU per review, and keeping them as text a copy of each (docs/performance.md). Reading inside such
/// a node is not supported: it is a <see cref="JsonValue"/>, not an object.</summary>
public static class DeferredJson
{
    private static readonly JsonTypeInfo<Writer> TypeInfo = JsonMetadataServices.CreateValueInfo<Writer>(
        new JsonSerializerOptions { TypeInfoResolver = JsonTypeInfoResolver.Combine() }, new WriterConverter());

    /// <summary>A node whose value is what <paramref name="write"/> writes (one complete JSON value, the same each
    /// time it is called). <paramref name="write"/> always gets a writer of the default options (the default
    /// encoder, not indented), so it may copy in JSON written ahead with such a writer: into any other writer the
    /// value is written through a default one and written again from what that gave, as that writer would write it.</summary>
    public static JsonNode Node(Action<Utf8JsonWriter> write) => JsonValue.Create(new Writer(write), TypeInfo)!;

    /// <summary>A node whose value is the JSON string of <paramref name="utf8"/> (copied): a string written out as
    /// UTF-8, never held as UTF-16.</summary>
    public static JsonNode String(ReadOnlySpan<byte> utf8)
    {
        var text = utf8.ToArray();
        return Node(writer => writer.WriteStringValue(text));
    }

    /// <summary>A node whose value is <paramref name="json"/> (not copied): one JSON value exactly as a writer of the
    /// default options writes it, put into such a writer as it is, and into any other through a parse (as
    /// <see cref="Node"/>'s values are).</summary>
    public static JsonNode Raw(byte[] json) => JsonValue.Create(new RawJson(json), RawTypeInfo)!;

    private static readonly JsonTypeInfo<RawJson> RawTypeInfo = JsonMetadataServices.CreateValueInfo<RawJson>(
        new JsonSerializerOptions { TypeInfoResolver = JsonTypeInfoResolver.Combine() }, new RawJsonConverter());

    private sealed record Writer(Action<Utf8JsonWriter> Write);

    private sealed class RawJson(byte[] json)
    {
        public byte[] Json { get; } = json;
    }

    private sealed class RawJsonConverter : JsonConverter<RawJson>
    {
        public override RawJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("a deferred JSON value is written only");

        public override void Write(Utf8JsonWriter writer, RawJson value, JsonSerializerOptions options)
        {
            var writerOptions = writer.Options;
            if (writerOptions.Encoder is null && !writerOptions.Indented) writer.WriteRawValue(value.Json, skipInputValidation: true);
            else JsonNode.Parse(value.Json)!.WriteTo(writer);
        }
    }

    private sealed class WriterConverter : JsonConverter<Writer>
    {
        public override Writer Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("a deferred JSON value is written only");

        public override void Write(Utf8JsonWriter writer, Writer value, JsonSerializerOptions options)
        {
            var writerOptions = writer.Options;
            if (writerOptions.Encoder is null && !writerOptions.Indented)
            {
                value.Write(writer);
                return;
            }
            var buffer = new ArrayBufferWriter<byte>();
            using (var plain = new Utf8JsonWriter(buffer)) value.Write(plain);
            JsonNode.Parse(buffer.WrittenSpan)!.WriteTo(writer);
        }
    }
}
