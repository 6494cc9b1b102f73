using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Injector.Core.Json;

/// <summary>A place in the document being edited. Either a value of the parsed input, with its JSON Pointer
/// and its position in document order (property or element index at each level), or a node this edit added
/// (its content goes out in the operation that added it, so it has no pointer).</summary>
public sealed class JsonPlace
{
    private JsonPlace(JsonElement element, JsonNode? node, string? pointer, int[] position) =>
        (Element, Node, Pointer, Position) = (element, node, pointer, position);

    internal static JsonPlace Existing(JsonElement element, string pointer, int[] position) => new(element, null, pointer, position);

    internal static JsonPlace Added(JsonNode node) => new(default, node, null, []);

    /// <summary>The input's value at this place (when <see cref="Node"/> is null).</summary>
    public JsonElement Element { get; }
    /// <summary>The node this edit added, or null for a place of the input.</summary>
    public JsonNode? Node { get; }
    public string? Pointer { get; }
    internal int[] Position { get; }
    /// <summary>Properties (or elements) this edit added to the input's value here.</summary>
    internal int AddedCount { get; set; }

    // The members of this input object already asked for or added, so that asking again gives the same place (its
    // count of what was added, and what was written into a new one), not a second one. A handful per object.
    private List<(string Key, JsonPlace Place)>? _members;

    internal JsonPlace? Known(string key)
    {
        foreach (var (known, place) in _members ?? [])
        {
            if (known == key) return place;
        }
        return null;
    }

    internal JsonPlace Remember(string key, JsonPlace place)
    {
        (_members ??= []).Add((key, place));
        return place;
    }

    /// <summary>The place of <c>this[token]</c>, at <paramref name="index"/> in document order.</summary>
    internal JsonPlace Child(JsonElement element, string token, int index) =>
        Existing(element, MemberPointers.Of(Pointer!, token), [.. Position, index]);
}

/// <summary>The pointers of the members the engine edits (<c>/metadata/annotations</c>, an annotation's, the pod's
/// new lists), one string each for every review instead of two or three new ones per member: the keys it asks
/// for are its own constants (interned) and the parents come from here, so an entry is found by reference. Other
/// keys, and any past the first few dozen, get pointers built as before.</summary>
internal static class MemberPointers
{
    private const int Capacity = 64;
    private static (string Parent, string Token, string Pointer)[] s_known = [];

    /// <summary><paramref name="parent"/>'s pointer followed by <paramref name="token"/> (not yet escaped).</summary>
    public static string Of(string parent, string token)
    {
        var known = s_known;
        foreach (var entry in known)
        {
            if (ReferenceEquals(entry.Token, token) && ReferenceEquals(entry.Parent, parent)) return entry.Pointer;
        }
        var pointer = parent + "/" + JsonPatch.EscapeToken(token);
        // Copied on write, read without a lock: an entry lost to a concurrent writer is only made again.
        if (known.Length < Capacity && string.IsInterned(token) is not null) s_known = [.. known, (parent, token, pointer)];
        return pointer;
    }
}

/// <summary>Records changes to a parsed JSON document as RFC 6902 operations without changing or copying it:
/// the webhook reads the pod as parsed and sends only the patch, so nothing it merely reads becomes a node.
/// The operations come out in document order with the same shape that <see cref="JsonPatch.Diff"/> gives for
/// the same change (the patch of one pod never depends on which of the two produced it), and applied in that
/// order (<see cref="JsonPatch.Apply"/>) they give the edited document.</summary>
public sealed class JsonEdit(JsonElement root)
{
    private readonly List<(PatchOperation Operation, int[] Position)> _operations = [];
    private List<(string Pointer, JsonNode? Old)>? _replaced;

    public JsonPlace Root { get; } = JsonPlace.Existing(root, "", []);

    /// <summary>The object at <c>parent[key]</c>; a new empty object when it is absent or not an object.</summary>
    public JsonPlace Object(JsonPlace parent, string key) => Member(parent, key, JsonValueKind.Object) ?? Put(parent, key, new JsonObject());

    /// <summary>The array at <c>parent[key]</c>; a new empty array when it is absent or not an array.</summary>
    public JsonPlace Array(JsonPlace parent, string key) => Member(parent, key, JsonValueKind.Array) ?? Put(parent, key, new JsonArray());

    private JsonPlace Put(JsonPlace parent, string key, JsonNode value) =>
        parent.Node is null ? Put(parent, key, value, Find(parent.Element, key, out var old), old) : Put(parent, key, value, -1, default);

    /// <summary>Sets <c>parent[key]</c>; nothing is recorded when it already holds an equal value.</summary>
    public void Set(JsonPlace parent, string key, JsonNode value)
    {
        if (parent.Node is JsonObject added)
        {
            added[key] = value;
            return;
        }
        var at = Find(parent.Element, key, out var old);
        if (at >= 0 && SameValue(old, value)) return;
        Put(parent, key, value, at, old);
    }

    /// <summary>Whether <c>parent[key]</c> holds a value other than JSON null.</summary>
    public static bool Has(JsonPlace parent, string key) => parent.Node is JsonObject added
        ? added[key] is not null
        : JsonElements.Field(parent.Element, key) is not null;

    /// <summary>Whether the array holds an object whose <c>name</c> is <paramref name="name"/>.</summary>
    public static bool HasNamed(JsonPlace array, string name)
    {
        if (array.Node is JsonArray added) return added.Any(item => JsonNodes.Str(JsonNodes.Field(item, "name")) == name);
        foreach (var item in array.Element.EnumerateArray())
        {
            if (JsonElements.IsString(JsonElements.Field(item, "name"u8), name)) return true;
        }
        return false;
    }

    /// <summary>Adds <paramref name="item"/> at the end of the array.</summary>
    public void Append(JsonPlace array, JsonNode item)
    {
        if (array.Node is JsonArray added) added.Add(item);
        else Insert(array, array.Element.GetArrayLength() + array.AddedCount, item);
    }

    /// <summary>Inserts <paramref name="item"/> at <paramref name="index"/>, moving later elements up.</summary>
    public void Insert(JsonPlace array, int index, JsonNode item)
    {
        if (array.Node is JsonArray added)
        {
            added.Insert(index, item);
            return;
        }
        array.AddedCount++;
        var token = index.ToString(CultureInfo.InvariantCulture);
        _operations.Add((PatchOperation.Add(array.Pointer + "/" + token, item), [.. array.Position, index]));
    }

    /// <summary>The recorded operations in document order (the order <see cref="JsonPatch.Diff"/> uses; edits
    /// of one array keep the order they were made in); a value added as a new object or array shows what was
    /// written into it afterwards.</summary>
    public List<PatchOperation> Operations()
    {
        var sorted = InDocumentOrder();
        var operations = new List<PatchOperation>(sorted.Length);
        foreach (var (operation, _) in sorted) operations.Add(operation);
        return operations;
    }

    /// <summary>The recorded operations in document order, as <see cref="Operations"/> gives them, without a copy:
    /// valid until the next change.</summary>
    internal ReadOnlySpan<(PatchOperation Operation, int[] Position)> InDocumentOrder()
    {
        // A handful of operations, mostly recorded in order already: an insertion sort in place, stable, so that
        // edits at one position keep the order they were made in (and asked again, nothing moves).
        var entries = CollectionsMarshal.AsSpan(_operations);
        for (var i = 1; i < entries.Length; i++)
        {
            var entry = entries[i];
            var at = i;
            while (at > 0 && DocumentOrder.Compare(entries[at - 1].Position, entry.Position) > 0)
            {
                entries[at] = entries[at - 1];
                at--;
            }
            entries[at] = entry;
        }
        return entries;
    }

    /// <summary>The values this edit replaced, by pointer, in the order replaced (what undoing the edit restores).</summary>
    public IReadOnlyList<(string Pointer, JsonNode? Old)> Replaced => _replaced ?? [];

    // The input's member of that kind, as a place; null when it is absent or of another kind.
    private static JsonPlace? Member(JsonPlace parent, string key, JsonValueKind kind)
    {
        if (parent.Node is JsonObject added)
            return added[key] is { } node && node.GetValueKind() == kind ? JsonPlace.Added(node) : null;
        if (parent.Known(key) is { } known) return Kind(known) == kind ? known : null;
        var at = Find(parent.Element, key, out var value);
        if (at < 0 || value.ValueKind != kind) return null;
        return parent.Remember(key, parent.Child(value, key, at));
    }

    private static JsonValueKind Kind(JsonPlace place) => place.Node?.GetValueKind() ?? place.Element.ValueKind;

    // `at` and `old`: where the input object has the key (Find), -1 when it has not.
    private JsonPlace Put(JsonPlace parent, string key, JsonNode value, int at, JsonElement old)
    {
        if (parent.Node is JsonObject added)
        {
            added[key] = value;
            return JsonPlace.Added(value);
        }
        var pointer = MemberPointers.Of(parent.Pointer!, key);
        int index;
        PatchOperation operation;
        if (at >= 0)
        {
            // Replaced where it stands.
            index = at;
            (_replaced ??= []).Add((pointer, JsonElements.ToNode(old)));
            operation = PatchOperation.Replace(pointer, value);
        }
        else
        {
            // A new property goes after the existing ones and those added before it.
            index = parent.Element.GetPropertyCount() + parent.AddedCount++;
            operation = PatchOperation.Add(pointer, value);
        }
        _operations.Add((operation, [.. parent.Position, index]));
        // Whatever is written inside the new value goes out with it, not as operations of its own.
        return value is JsonObject or JsonArray ? parent.Remember(key, JsonPlace.Added(value)) : JsonPlace.Added(value);
    }

    /// <summary>The position of <paramref name="key"/> in <paramref name="obj"/> and its value, or -1: one pass, the
    /// key's UTF-8 made once. The last of two equal keys, as a lookup finds it.</summary>
    private static int Find(JsonElement obj, string key, out JsonElement value)
    {
        value = default;
        var found = -1;
        Span<byte> room = stackalloc byte[256];
        byte[]? rented = null;
        var utf8 = key.Length * 3 <= room.Length ? room : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(key.Length * 3));
        var name = utf8[..System.Text.Encoding.UTF8.GetBytes(key, utf8)];
        var index = 0;
        foreach (var property in obj.EnumerateObject())
        {
            if (property.NameEquals(name)) (found, value) = (index, property.Value);
            index++;
        }
        if (rented is not null) System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        return found;
    }

    // A string (the annotations) is compared as text; anything else as JSON values.
    private static bool SameValue(JsonElement old, JsonNode value) =>
        value is JsonValue text && text.TryGetValue<string>(out var s)
            ? old.ValueKind == JsonValueKind.String && old.ValueEquals(s)
            : JsonNode.DeepEquals(JsonElements.ToNode(old), value);

    private static class DocumentOrder
    {
        public static int Compare(int[] a, int[] b)
        {
            for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
            {
                if (a[i] != b[i]) return a[i].CompareTo(b[i]);
            }
            return a.Length.CompareTo(b.Length);
        }
    }
}
