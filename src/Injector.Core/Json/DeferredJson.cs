using System.Buffers;
using System.Text;
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
        return JsonValue.Create(new Writer(writer => WriteString(writer, text)), TypeInfo)!;
    }

    // What a default writer leaves as it is in a string: printable ASCII but for " \ + < > & ' and `.
    private const string Unescaped = " !#$%()*,-./0123456789:;=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_abcdefghijklmnopqrstuvwxyz{|}~";

    private static readonly SearchValues<byte> UnescapedOrQuote = SearchValues.Create(Encoding.ASCII.GetBytes(Unescaped + "\"\\"));
    private static readonly SearchValues<byte> QuoteOrBackslash = SearchValues.Create("\"\\"u8);

    /// <summary>Writes <paramref name="utf8"/> as a JSON string, byte for byte as
    /// <see cref="Utf8JsonWriter.WriteStringValue(ReadOnlySpan{byte})"/> does. JSON written by a default writer (the
    /// status annotation) is ASCII with only <c>"</c> and <c>\</c> to escape, and many of them: the writer escapes
    /// the rest of such a string byte by byte from the first one, this copies the runs between them.</summary>
    internal static void WriteString(Utf8JsonWriter writer, ReadOnlySpan<byte> utf8)
    {
        var options = writer.Options;
        if (options.Encoder is not null || options.Indented || utf8.ContainsAnyExcept(UnescapedOrQuote))
        {
            writer.WriteStringValue(utf8);
            return;
        }
        var quotes = utf8.Count((byte)'"');
        var length = utf8.Length + 5 * quotes + utf8.Count((byte)'\\') + 2;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        var escaped = rented.AsSpan(0, length);
        escaped[0] = (byte)'"';
        var at = 1;
        var rest = utf8;
        for (var next = rest.IndexOfAny(QuoteOrBackslash); next >= 0; next = rest.IndexOfAny(QuoteOrBackslash))
        {
            rest[..next].CopyTo(escaped[at..]);
            at += next;
            var escape = rest[next] == (byte)'"' ? "\\u0022"u8 : "\\\\"u8;
            escape.CopyTo(escaped[at..]);
            at += escape.Length;
            rest = rest[(next + 1)..];
        }
        rest.CopyTo(escaped[at..]);
        escaped[^1] = (byte)'"';
        writer.WriteRawValue(escaped, skipInputValidation: true);
        ArrayPool<byte>.Shared.Return(rented);
    }

    private sealed record Writer(Action<Utf8JsonWriter> Write);

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
