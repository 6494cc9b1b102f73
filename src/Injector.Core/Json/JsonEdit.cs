using System.Globalization;
using System.Text.Json.Nodes;

namespace Injector.Core.Json;

/// <summary>A place in the document being edited: a node, its JSON Pointer and its position in document
/// order (property or element index at each level), or no pointer when the node was itself added by this
/// edit (its content goes out in the operation that added it).</summary>
public readonly struct JsonPlace
{
    internal JsonPlace(JsonNode node, string? pointer, int[] position) => (Node, Pointer, Position) = (node, pointer, position);

    public JsonNode Node { get; }
    public string? Pointer { get; }
    internal int[] Position { get; }

    public JsonObject Object => (JsonObject)Node;
    public JsonArray Array => (JsonArray)Node;

    /// <summary>The place of <c>this[key]</c> (or <c>this[index]</c>), at <paramref name="index"/> in document order.</summary>
    internal JsonPlace Child(JsonNode node, string token, int index) =>
        Pointer is null ? new(node, null, []) : new(node, Pointer + "/" + JsonPatch.EscapeToken(token), [.. Position, index]);
}

/// <summary>Edits a JSON document in place and records each change as an RFC 6902 operation, so that a
/// caller gets the patch without copying the document and diffing the copy (the webhook's largest cost
/// per review before this existed). The operations come out in document order with the same shape that
/// <see cref="JsonPatch.Diff"/> gives for the same change: the patch of one pod never depends on which
/// of the two produced it.</summary>
public sealed class JsonEdit(JsonObject root)
{
    private readonly List<(PatchOperation Operation, int[] Position)> _operations = [];
    private List<(string Pointer, JsonNode? Old)>? _replaced;

    public JsonPlace Root { get; } = new(root, "", []);

    /// <summary>The object at <c>parent[key]</c>; a new empty object when it is absent or not an object.</summary>
    public JsonPlace Object(JsonPlace parent, string key) =>
        parent.Object[key] is JsonObject existing ? parent.Child(existing, key, parent.Object.IndexOf(key)) : Put(parent, key, new JsonObject());

    /// <summary>The array at <c>parent[key]</c>; a new empty array when it is absent or not an array.</summary>
    public JsonPlace Array(JsonPlace parent, string key) =>
        parent.Object[key] is JsonArray existing ? parent.Child(existing, key, parent.Object.IndexOf(key)) : Put(parent, key, new JsonArray());

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
        Record(array.Child(item, index.ToString(CultureInfo.InvariantCulture), index), PatchOperation.Add);
    }

    /// <summary>The recorded operations in document order (the order <see cref="JsonPatch.Diff"/> uses; edits
    /// of one array keep the order they were made in); each value is the node in the edited document, so
    /// it shows that node's final content.</summary>
    public List<PatchOperation> Operations()
    {
        // A handful of operations, mostly recorded in order already: an insertion sort, stable, so that edits at
        // one position keep the order they were made in.
        var sorted = new (PatchOperation Operation, int[] Position)[_operations.Count];
        for (var i = 0; i < sorted.Length; i++)
        {
            var entry = _operations[i];
            var at = i;
            while (at > 0 && DocumentOrder.Instance.Compare(sorted[at - 1].Position, entry.Position) > 0)
            {
                sorted[at] = sorted[at - 1];
                at--;
            }
            sorted[at] = entry;
        }
        var operations = new List<PatchOperation>(sorted.Length);
        foreach (var (operation, _) in sorted) operations.Add(operation);
        return operations;
    }

    /// <summary>The values this edit replaced, by pointer, in the order replaced (what undoing the edit restores).</summary>
    public IReadOnlyList<(string Pointer, JsonNode? Old)> Replaced => _replaced ?? [];

    private JsonPlace Put(JsonPlace parent, string key, JsonNode value)
    {
        var existed = parent.Object.TryGetPropertyValue(key, out var old);
        // The old node is detached by the assignment below, so it can be kept as it is.
        if (existed && parent.Pointer is not null) (_replaced ??= []).Add((parent.Pointer + "/" + JsonPatch.EscapeToken(key), old));
        parent.Object[key] = value;
        // Properties are only added at the end and never removed, so this index is also the final one.
        var place = parent.Child(value, key, parent.Object.IndexOf(key));
        Record(place, existed ? PatchOperation.Replace : PatchOperation.Add);
        // Whatever is written inside the new value goes out with it, not as operations of its own.
        return new JsonPlace(value, null, []);
    }

    private void Record(JsonPlace place, Func<string, JsonNode?, PatchOperation> operation)
    {
        if (place.Pointer is not null) _operations.Add((operation(place.Pointer, place.Node), place.Position));
    }

    private sealed class DocumentOrder : IComparer<int[]>
    {
        public static readonly DocumentOrder Instance = new();

        public int Compare(int[]? a, int[]? b)
        {
            for (var i = 0; i < Math.Min(a!.Length, b!.Length); i++)
            {
                if (a[i] != b[i]) return a[i].CompareTo(b[i]);
            }
            return a.Length.CompareTo(b.Length);
        }
    }
}
