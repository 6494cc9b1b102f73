using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Injector.Core.Json;

/// <summary>A place in the document being edited. Either a value of the parsed input, with its JSON Pointer, or a
/// node this edit added (its content goes out in the operation that added it, so it has no pointer). A handle
/// given by one <see cref="JsonEdit"/>, for that edit only: what the edit knows of the place (its position in
/// document order, what was added to it) stays in the edit.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1815", Justification = "A handle, never compared.")]
public readonly struct JsonPlace
{
    internal JsonPlace(JsonElement element, JsonNode? node, string? pointer, int id) =>
        (Element, Node, Pointer, Id) = (element, node, pointer, id);

    /// <summary>The input's value at this place (when <see cref="Node"/> is null).</summary>
    public JsonElement Element { get; }
    /// <summary>The node this edit added, or null for a place of the input.</summary>
    public JsonNode? Node { get; }
    public string? Pointer { get; }
    /// <summary>The place's entry in its edit, or -1 for a node inside one the edit added.</summary>
    internal int Id { get; }
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

    private static (string Parent, int Index, string Pointer)[] s_elements = [];

    /// <summary><paramref name="parent"/>'s pointer followed by <paramref name="index"/>: kept, as members' are, for the
    /// first few elements of a list whose own pointer is kept here (where the sidecars go).</summary>
    public static string Of(string parent, int index)
    {
        var known = s_elements;
        foreach (var entry in known)
        {
            if (entry.Index == index && ReferenceEquals(entry.Parent, parent)) return entry.Pointer;
        }
        var pointer = parent + "/" + index.ToString(CultureInfo.InvariantCulture);
        if (known.Length < Capacity && index < 8 && IsKept(parent)) s_elements = [.. known, (parent, index, pointer)];
        return pointer;
    }

    private static bool IsKept(string pointer)
    {
        foreach (var entry in s_known)
        {
            if (ReferenceEquals(entry.Pointer, pointer)) return true;
        }
        return false;
    }
}

/// <summary>Records changes to a parsed JSON document as RFC 6902 operations without changing or copying it:
/// the webhook reads the pod as parsed and sends only the patch, so nothing it merely reads becomes a node.
/// The operations come out in document order with the same shape that <see cref="JsonPatch.Diff"/> gives for
/// the same change (the patch of one pod never depends on which of the two produced it), and applied in that
/// order (<see cref="JsonPatch.Apply"/>) they give the edited document.</summary>
public sealed class JsonEdit
{
    // What the edit knows of each place of the input it gave out, and of each new object or array it put into one (so
    // that asking again gives the same place): its parent (an entry here, -1 for the root) and key, its position in the
    // parent (see Position), and how many members this edit added to it. The root is entry 0. A handful per edit.
    private struct Entry
    {
        public int Parent;
        public int Index;
        public int AddedCount;
        public string? Key;
        public string? Pointer;
        public JsonNode? Node;
        public JsonElement Element;
    }

    private Entry[] _places;
    private int _placeCount;
    private (PatchOperation Operation, Position At)[] _operations;
    private int _operationCount;
    private List<(string Pointer, JsonNode? Old)>? _replaced;

    // The arrays of the last edit this thread recycled (Recycle), for the next one: ~750 bytes less per review.
    [ThreadStatic] private static Entry[]? t_sparePlaces;
    [ThreadStatic] private static (PatchOperation, Position)[]? t_spareOperations;

    public JsonEdit(JsonElement root)
    {
        _places = t_sparePlaces ?? new Entry[8];
        _operations = t_spareOperations ?? new (PatchOperation, Position)[8];
        (t_sparePlaces, t_spareOperations) = (null, null);
        _places[0] = new Entry { Parent = -1, Pointer = "", Element = root };
        _placeCount = 1;
        Root = new JsonPlace(root, null, "", 0);
    }

    public JsonPlace Root { get; }

    /// <summary>Where an operation edits: at <see cref="Index"/> in the input's value at the edit's place
    /// <see cref="Place"/>; in document order as the indexes along the places' chain of parents. In an array the index
    /// is the element's; in an object it is where the member's value starts in the object's text (so that a member the
    /// caller found needs no scan for its position), and a member this edit adds is after the object's end, in the
    /// order added.</summary>
    internal readonly record struct Position(int Place, int Index);

    /// <summary>The object at <c>parent[key]</c>; a new empty object when it is absent or not an object.</summary>
    public JsonPlace Object(JsonPlace parent, string key) => Member(parent, key, JsonValueKind.Object, null);

    /// <summary>As <see cref="Object(JsonPlace, string)"/>, with <c>parent[key]</c> as the caller found it in the input
    /// (the last of a name written twice; <c>default</c> when absent): the parent is not scanned for it.</summary>
    public JsonPlace Object(JsonPlace parent, string key, JsonElement member) => Member(parent, key, JsonValueKind.Object, member);

    /// <summary>The array at <c>parent[key]</c>; a new empty array when it is absent or not an array.</summary>
    public JsonPlace Array(JsonPlace parent, string key) => Member(parent, key, JsonValueKind.Array, null);

    /// <summary>As <see cref="Array(JsonPlace, string)"/>, with <c>parent[key]</c> as the caller found it in the input
    /// (the last of a name written twice; <c>default</c> when absent): the parent is not scanned for it.</summary>
    public JsonPlace Array(JsonPlace parent, string key, JsonElement member) => Member(parent, key, JsonValueKind.Array, member);

    /// <summary>Sets <c>parent[key]</c>; nothing is recorded when it already holds an equal value.</summary>
    public void Set(JsonPlace parent, string key, JsonNode value) => SetMember(parent, key, value, null);

    /// <summary>As <see cref="Set(JsonPlace, string, JsonNode)"/>, with <c>parent[key]</c> as the caller found it in the
    /// input (the last of a name written twice; <c>default</c> when absent): the parent is not scanned for it.</summary>
    public void Set(JsonPlace parent, string key, JsonNode value, JsonElement member) => SetMember(parent, key, value, member);

    private void SetMember(JsonPlace parent, string key, JsonNode value, JsonElement? given)
    {
        if (parent.Node is JsonObject added)
        {
            added[key] = value;
            return;
        }
        var old = given ?? Find(parent.Element, key);
        if (old.ValueKind != JsonValueKind.Undefined && SameValue(old, value)) return;
        Put(parent, key, value, old);
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
        else Insert(array, array.Element.GetArrayLength() + _places[array.Id].AddedCount, item);
    }

    /// <summary>Inserts <paramref name="item"/> at <paramref name="index"/>, moving later elements up.</summary>
    public void Insert(JsonPlace array, int index, JsonNode item)
    {
        if (array.Node is JsonArray added)
        {
            added.Insert(index, item);
            return;
        }
        _places[array.Id].AddedCount++;
        Record(PatchOperation.Add(MemberPointers.Of(array.Pointer!, index), item), new Position(array.Id, index));
    }

    /// <summary>The recorded operations in document order (the order <see cref="JsonPatch.Diff"/> uses; edits
    /// of one array keep the order they were made in); a value added as a new object or array shows what was
    /// written into it afterwards.</summary>
    public IReadOnlyList<PatchOperation> Operations()
    {
        var sorted = InDocumentOrder();
        var operations = new PatchOperation[sorted.Length];
        for (var i = 0; i < sorted.Length; i++) operations[i] = sorted[i].Operation;
        return operations;
    }

    /// <summary>The recorded operations in document order, as <see cref="Operations"/> gives them, without a copy:
    /// valid until the next change.</summary>
    internal ReadOnlySpan<(PatchOperation Operation, Position At)> InDocumentOrder()
    {
        // A handful of operations, mostly recorded in order already: an insertion sort in place, stable, so that
        // edits at one position keep the order they were made in (and asked again, nothing moves).
        var entries = _operations.AsSpan(0, _operationCount);
        for (var i = 1; i < entries.Length; i++)
        {
            var entry = entries[i];
            var at = i;
            while (at > 0 && Compare(entries[at - 1].At, entry.At) > 0)
            {
                entries[at] = entries[at - 1];
                at--;
            }
            entries[at] = entry;
        }
        return entries;
    }

    /// <summary>Hands this edit's arrays, cleared, to the next edit made on this thread: for a caller that is done with the
    /// edit (it has taken <see cref="Operations"/>, which are copies). The edit cannot be used after this.</summary>
    internal void Recycle()
    {
        if (_places.Length > 8 || _operations.Length > 8) return; // grown by a large pod: not kept
        System.Array.Clear(_places, 0, _placeCount);
        System.Array.Clear(_operations, 0, _operationCount);
        (t_sparePlaces, t_spareOperations) = (_places, _operations);
        (_places, _operations, _placeCount, _operationCount) = (null!, null!, 0, 0);
    }

    /// <summary>The values this edit replaced, by pointer, in the order replaced (what undoing the edit restores).</summary>
    public IReadOnlyList<(string Pointer, JsonNode? Old)> Replaced => _replaced ?? [];

    // The member of that kind (the input's, or one added before), as a place; a new empty one put there when it is
    // absent or of another kind. `given`: the input's member as the caller found it, or null to look it up.
    private JsonPlace Member(JsonPlace parent, string key, JsonValueKind kind, JsonElement? given)
    {
        if (parent.Node is JsonObject added)
        {
            if (added[key] is { } node && node.GetValueKind() == kind) return new JsonPlace(default, node, null, -1);
            var put = New(kind);
            added[key] = put;
            return new JsonPlace(default, put, null, -1);
        }
        var known = Known(parent.Id, key);
        if (known is { } place && Kind(place) == kind) return place;
        var value = given ?? Find(parent.Element, key);
        if (known is null && value.ValueKind == kind)
            return Remember(new Entry { Parent = parent.Id, Index = Offset(parent.Element, value), Key = key, Pointer = MemberPointers.Of(parent.Pointer!, key), Element = value });
        return Put(parent, key, New(kind), value);
    }

    private static JsonNode New(JsonValueKind kind) => kind == JsonValueKind.Object ? new JsonObject() : new JsonArray();

    private static JsonValueKind Kind(JsonPlace place) => place.Node?.GetValueKind() ?? place.Element.ValueKind;

    // The member of the place asked for or added before (the first, when there were two).
    private JsonPlace? Known(int parent, string key)
    {
        for (var id = 1; id < _placeCount; id++)
        {
            ref var entry = ref _places[id];
            if (entry.Parent == parent && entry.Key == key) return new JsonPlace(entry.Element, entry.Node, entry.Pointer, id);
        }
        return null;
    }

    private JsonPlace Remember(Entry entry)
    {
        if (_placeCount == _places.Length) System.Array.Resize(ref _places, _places.Length * 2);
        var id = _placeCount++;
        _places[id] = entry;
        return new JsonPlace(entry.Element, entry.Node, entry.Pointer, id);
    }

    private void Record(PatchOperation operation, Position at)
    {
        if (_operationCount == _operations.Length) System.Array.Resize(ref _operations, _operations.Length * 2);
        _operations[_operationCount++] = (operation, at);
    }

    // `old`: the input object's member of that key (Find), default when it has none.
    private JsonPlace Put(JsonPlace parent, string key, JsonNode value, JsonElement old)
    {
        var pointer = MemberPointers.Of(parent.Pointer!, key);
        int index;
        PatchOperation operation;
        if (old.ValueKind != JsonValueKind.Undefined)
        {
            // Replaced where it stands.
            index = Offset(parent.Element, old);
            (_replaced ??= []).Add((pointer, JsonElements.ToNode(old)));
            operation = PatchOperation.Replace(pointer, value);
        }
        else
        {
            // A new property goes after the existing ones (past the object's end) and those added before it.
            index = JsonMarshal.GetRawUtf8Value(parent.Element).Length + _places[parent.Id].AddedCount++;
            operation = PatchOperation.Add(pointer, value);
        }
        Record(operation, new Position(parent.Id, index));
        // Whatever is written inside the new value goes out with it, not as operations of its own.
        return value is JsonObject or JsonArray
            ? Remember(new Entry { Parent = parent.Id, Index = -1, Key = key, Node = value })
            : new JsonPlace(default, value, null, -1);
    }

    // Document order: the indexes from the root down to each operation's member, compared in turn; a place before
    // the places inside it.
    private int Compare(Position a, Position b)
    {
        Span<int> left = stackalloc int[16];
        Span<int> right = stackalloc int[16];
        return Indexes(a, left).SequenceCompareTo(Indexes(b, right));
    }

    private ReadOnlySpan<int> Indexes(Position at, Span<int> room)
    {
        var depth = 1;
        for (var place = at.Place; place > 0; place = _places[place].Parent) depth++;
        var indexes = depth <= room.Length ? room[..depth] : new int[depth];
        indexes[--depth] = at.Index;
        for (var place = at.Place; place > 0; place = _places[place].Parent) indexes[--depth] = _places[place].Index;
        return indexes;
    }

    /// <summary>The value of <paramref name="key"/> in <paramref name="obj"/>, or <c>default</c>: one pass, the key's
    /// UTF-8 made once. The last of two equal keys, as a lookup finds it.</summary>
    private static JsonElement Find(JsonElement obj, string key)
    {
        JsonElement value = default;
        Span<byte> room = stackalloc byte[256];
        byte[]? rented = null;
        var utf8 = key.Length * 3 <= room.Length ? room : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(key.Length * 3));
        var name = utf8[..System.Text.Encoding.UTF8.GetBytes(key, utf8)];
        foreach (var property in obj.EnumerateObject())
        {
            if (property.NameEquals(name)) value = property.Value;
        }
        if (rented is not null) System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        return value;
    }

    /// <summary>Where <paramref name="member"/>'s value starts in <paramref name="obj"/>'s text: its position among
    /// the object's members, in document order, without a scan. Both are of one document (the input's).</summary>
    private static int Offset(JsonElement obj, JsonElement member)
    {
        var text = JsonMarshal.GetRawUtf8Value(obj);
        var value = JsonMarshal.GetRawUtf8Value(member);
        var offset = Unsafe.ByteOffset(ref MemoryMarshal.GetReference(text), ref MemoryMarshal.GetReference(value));
        Debug.Assert(offset > 0 && offset + value.Length <= text.Length, "the member is not in the object's text");
        return (int)offset;
    }

    // A string (the annotations) is compared as text; anything else as JSON values.
    private static bool SameValue(JsonElement old, JsonNode value) =>
        value is JsonValue text && text.TryGetValue<string>(out var s)
            ? old.ValueKind == JsonValueKind.String && old.ValueEquals(s)
            : JsonNode.DeepEquals(JsonElements.ToNode(old), value);
}
