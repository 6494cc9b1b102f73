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
    private static readonly JsonTypeInfo<Value> TypeInfo = JsonMetadataServices.CreateValueInfo<Value>(
        new JsonSerializerOptions { TypeInfoResolver = JsonTypeInfoResolver.Combine() }, new ValueConverter());

    // The type of the nodes made here, to know them by without asking each node for its value.
    private static readonly Type NodeType = JsonValue.Create(default(Value), TypeInfo)!.GetType();

    /// <summary>A node whose value is what <paramref name="write"/> writes of <paramref name="state"/> (one complete
    /// JSON value, the same each time it is called): a static function and its argument, kept as they are (no closure
    /// per value). <paramref name="write"/> always gets a writer of the default options (the default encoder, not
    /// indented), so it may copy in JSON written ahead with such a writer: into any other writer the value is written
    /// through a default one and written again from what that gave, as that writer would write it.</summary>
    public static JsonNode Node<TState>(TState state, Action<Utf8JsonWriter, TState> write) =>
        JsonValue.Create(new Value(write, state, Invoker<TState>.Instance), TypeInfo)!;

    /// <summary>A node whose value is the JSON string of <paramref name="utf8"/> (copied): a string written out as
    /// UTF-8, never held as UTF-16.</summary>
    public static JsonNode String(ReadOnlySpan<byte> utf8) => JsonValue.Create(new Value(utf8.ToArray(), StringMarker, null), TypeInfo)!;

    /// <summary>A node whose value is <paramref name="json"/> (not copied): one JSON value exactly as a writer of the
    /// default options writes it, put into such a writer as it is, and into any other through a parse (as
    /// <see cref="Node"/>'s values are).</summary>
    public static JsonNode Raw(byte[] json) => JsonValue.Create(new Value(json, null, null), TypeInfo)!;

    /// <summary>Writes <paramref name="node"/> when it is one of these values, as its <see cref="JsonNode.WriteTo"/>
    /// would, without going through the serializer (which also flushes the writer after each value); false for any
    /// other node.</summary>
    internal static bool TryWrite(Utf8JsonWriter writer, JsonNode node)
    {
        if (node.GetType() != NodeType || !IsDefault(writer.Options)) return false;
        node.GetValue<Value>().WriteTo(writer);
        return true;
    }

    private static bool IsDefault(JsonWriterOptions options) => options.Encoder is null && !options.Indented;

    // What a String value has as its state.
    private static readonly object StringMarker = new();

    // One of the kinds: written by a function of a state (Payload, given State through Invoker), a string held as
    // UTF-8 (Payload, with StringMarker as State), or JSON written ahead (Payload, a byte[]). A struct, so that the node holds it: one object per value.
    private readonly record struct Value(object? Payload, object? State, Invoker? Invoker)
    {
        public byte[]? Json => State is null && Invoker is null ? Payload as byte[] : null;

        // Into a writer of the default options.
        public void WriteTo(Utf8JsonWriter writer)
        {
            if (Invoker is not null) Invoker.Write(writer, Payload!, State);
            else if (ReferenceEquals(State, StringMarker)) writer.WriteStringValue((byte[])Payload!);
            else writer.WriteRawValue((byte[])Payload!, skipInputValidation: true);
        }
    }

    // Calls a function of a state of its type, given both as objects.
    private abstract class Invoker
    {
        public abstract void Write(Utf8JsonWriter writer, object write, object? state);
    }

    private sealed class Invoker<TState> : Invoker
    {
        public static readonly Invoker<TState> Instance = new();

        public override void Write(Utf8JsonWriter writer, object write, object? state) => ((Action<Utf8JsonWriter, TState>)write)(writer, (TState)state!);
    }

    private sealed class ValueConverter : JsonConverter<Value>
    {
        public override Value Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("a deferred JSON value is written only");

        public override void Write(Utf8JsonWriter writer, Value value, JsonSerializerOptions options)
        {
            if (IsDefault(writer.Options))
            {
                value.WriteTo(writer);
                return;
            }
            if (value.Json is not null)
            {
                JsonNode.Parse(value.Json)!.WriteTo(writer);
                return;
            }
            var buffer = new ArrayBufferWriter<byte>();
            using (var plain = new Utf8JsonWriter(buffer)) value.WriteTo(plain);
            JsonNode.Parse(buffer.WrittenSpan)!.WriteTo(writer);
        }
    }
}
