using System.Text.Json.Nodes;

namespace Injector.Core.Json;

/// <summary>A place in the document being edited: a node and its JSON Pointer, or a null pointer when the
/// node was itself added by this edit (its content goes out in the operation that added it).</summary>
public readonly record struct JsonPlace(JsonNode Node, string? Pointer)
{
    public JsonObject Object => (JsonObject)Node;
    public JsonArray Array => (JsonArray)Node;
}

/// <summary>Edits a JSON document in place and records each change as an RFC 6902 operation, so that a
/// caller gets the patch without copying the document and diffing the copy (the webhook's largest cost
/// per review before this existed). The operations come out in document order with the same shape that
/// <see cref="JsonPatch.Diff"/> gives for the same change: the patch of one pod never depends on which
/// of the two produced it.</summary>
public sealed class JsonEdit(JsonObject root)
{
    private readonly List<PatchOperation> _operations = [];

    public JsonPlace Root { get; } = new(root, "");

    /// <summary>The object at <c>parent[key]</c>; a new empty object when it is absent or not an object.</summary>
    public JsonPlace Object(JsonPlace parent, string key) =>
        parent.Object[key] is JsonObject existing ? new(existing, Child(parent, key)) : Put(parent, key, new JsonObject());

    /// <summary>The array at <c>parent[key]</c>; a new empty array when it is absent or not an array.</summary>
    public JsonPlace Array(JsonPlace parent, string key) =>
        parent.Object[key] is JsonArray existing ? new(existing, Child(parent, key)) : Put(parent, key, new JsonArray());

    /// <summary>Sets <c>parent[key]</c>; nothing is recorded when it already holds an equal value.</summary>
    public void Set(JsonPlace parent, string key, JsonNode value)
    {
        if (parent.Object.TryGetPropertyValue(key, out var old) && JsonNode.DeepEquals(old, value)) return;
        Put(parent, key, value);
    }

    /// <summary>Adds <paramref name="item"/> at the end of the array.</summary>
    public void Append(JsonPlace array, JsonNode item) => Insert(array, array.Array.Count, item);

    /// <summary>Inserts <paramref name="item"/> at <paramref name="index"/>, moving later elements up.</summary>
    public void Insert(JsonPlace array, int index, JsonNode item)
    {
        array.Array.Insert(index, item);
        if (array.Pointer is not null)
            _operations.Add(PatchOperation.Add(array.Pointer + "/" + index.ToString(System.Globalization.CultureInfo.InvariantCulture), item));
    }

    /// <summary>The recorded operations in document order (the order <see cref="JsonPatch.Diff"/> uses);
    /// each value is the node in the edited document, so it shows that node's final content.</summary>
    public List<PatchOperation> Operations()
    {
        if (_operations.Count < 2) return [.. _operations];
        var keyed = _operations.Select((op, i) => (Key: DocumentPosition(op.Path), Index: i, Op: op)).ToList();
        keyed.Sort((a, b) =>
        {
            for (var i = 0; i < Math.Min(a.Key.Count, b.Key.Count); i++)
            {
                if (a.Key[i] != b.Key[i]) return a.Key[i].CompareTo(b.Key[i]);
            }
            return a.Key.Count != b.Key.Count ? a.Key.Count.CompareTo(b.Key.Count) : a.Index.CompareTo(b.Index);
        });
        return keyed.ConvertAll(k => k.Op);
    }

    private JsonPlace Put(JsonPlace parent, string key, JsonNode value)
    {
        var existed = parent.Object.ContainsKey(key);
        parent.Object[key] = value;
        if (parent.Pointer is null) return new(value, null);
        var pointer = parent.Pointer + "/" + JsonPatch.EscapeToken(key);
        _operations.Add(existed ? PatchOperation.Replace(pointer, value) : PatchOperation.Add(pointer, value));
        return new(value, null);
    }

    private static string? Child(JsonPlace parent, string key) =>
        parent.Pointer is null ? null : parent.Pointer + "/" + JsonPatch.EscapeToken(key);

    // The position of each step of a pointer in the edited document: property index in its object, or
    // element index in its array.
    private List<int> DocumentPosition(string pointer)
    {
        var positions = new List<int>(4);
        JsonNode? node = Root.Node;
        foreach (var escaped in pointer.Split('/').Skip(1))
        {
            var token = escaped.Replace("~1", "/").Replace("~0", "~");
            switch (node)
            {
                case JsonObject o:
                    positions.Add(o.IndexOf(token));
                    node = o[token];
                    break;
                case JsonArray a when int.TryParse(token, out var index) && index < a.Count:
                    positions.Add(index);
                    node = a[index];
                    break;
                default:
                    return positions;
            }
        }
        return positions;
    }
}
