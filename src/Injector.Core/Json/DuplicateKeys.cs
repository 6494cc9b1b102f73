using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Injector.Core.Json;

/// <summary>Finds a key that appears twice in one JSON object, in the objects a reader is about to use. A
/// <see cref="System.Text.Json.Nodes.JsonObject"/> throws when it first reads such an object, and
/// <see cref="JsonElement.GetProperty(string)"/> silently takes the last: either way the key must be refused
/// before it is read. Checking only what is read, rather than the whole document while parsing it, was a
/// third of the parser's time per review (docs/performance.md); the API server never sends a duplicate key.</summary>
public static class DuplicateKeys
{
    /// <summary>The first key of <paramref name="obj"/> (when it is an object) that appears in it again, or null.
    /// <paramref name="escapes"/> false says that no key of it is written with an escape (its document holds no
    /// backslash): each key is then taken as written, without looking for one.</summary>
    public static string? In(JsonElement obj, bool escapes = true) => In(obj, [], [], escapes);

    /// <summary>As <see cref="In(JsonElement, bool)"/>, and in the same pass over the object the values of the properties
    /// a reader wants next: <paramref name="names"/> is their UTF-8 names, and <c>found[i]</c> receives the value of
    /// the i-th (<c>default</c> when absent). One pass instead of a check and then a lookup (a scan of the object)
    /// per property.</summary>
    [SkipLocalsInit] // the hashes are written before they are read: zeroing them was a tenth of a small object's check
    public static string? In(JsonElement obj, ReadOnlySpan<byte[]> names, Span<JsonElement> found, bool escapes = true)
    {
        if (obj.ValueKind != JsonValueKind.Object) return null;
        // The usual object has a few keys: each key's hash (of its text as written, or of its unescaped text
        // when written with an escape, since "\u0061" and "a" are one key) against the earlier ones', and the
        // keys themselves compared only when two hashes are equal.
        Span<uint> hashes = stackalloc uint[MaxPairwise];
        var count = 0;
        // The lengths of the wanted names (one bit each, the last for any longer): a key of another length, written
        // without an escape, is none of them.
        var lengths = 0UL;
        foreach (var name in names) lengths |= 1UL << Math.Min(name.Length, 63);
        foreach (var property in obj.EnumerateObject())
        {
            if (count == MaxPairwise) return InLarge(obj, names, found);
            var raw = JsonMarshal.GetRawUtf8PropertyName(property);
            // A key written with an escape is hashed as the UTF-8 of its text, which is what a key without one is written as.
            var escaped = escapes && raw.Contains((byte)'\\');
            var hash = Hash(escaped ? System.Text.Encoding.UTF8.GetBytes(property.Name) : raw);
            for (var i = 0; i < count; i++)
            {
                if (hashes[i] == hash && SameKey(obj, i, property)) return property.Name;
            }
            hashes[count++] = hash;
            if (!escaped && (lengths & 1UL << Math.Min(raw.Length, 63)) == 0) continue;
            for (var slot = 0; slot < names.Length; slot++)
            {
                if (!(escaped ? property.NameEquals(names[slot]) : raw.SequenceEqual(names[slot]))) continue;
                found[slot] = property.Value; // the last of a name, as a lookup finds it
                break;
            }
        }
        return null;
    }

    private const int MaxPairwise = 64;

    private static uint Hash(ReadOnlySpan<byte> raw)
    {
        // Not a strong hash, a quick one: its first and last eight bytes and its length. Keys that share those
        // are compared in full (SameKey).
        ulong head, tail;
        if (raw.Length >= 8)
        {
            head = MemoryMarshal.Read<ulong>(raw);
            tail = MemoryMarshal.Read<ulong>(raw[^8..]);
        }
        else if (raw.Length >= 4)
        {
            // Two reads that overlap when shorter than eight bytes cover every byte, as a loop would.
            head = MemoryMarshal.Read<uint>(raw);
            tail = MemoryMarshal.Read<uint>(raw[^4..]);
        }
        else
        {
            head = 0;
            foreach (var b in raw) head = head << 8 | b;
            tail = 0;
        }
        var mixed = (head * 0x9E3779B97F4A7C15UL) ^ (tail * 0xC2B2AE3D27D4EB4FUL) ^ (ulong)raw.Length;
        return (uint)(mixed ^ mixed >> 32);
    }

    private static bool SameKey(JsonElement obj, int index, JsonProperty property)
    {
        foreach (var earlier in obj.EnumerateObject())
        {
            if (index-- == 0) return earlier.NameEquals(property.Name);
        }
        return false;
    }

    private static string? InLarge(JsonElement obj, ReadOnlySpan<byte[]> wanted, Span<JsonElement> found)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in obj.EnumerateObject())
        {
            if (!names.Add(property.Name)) return property.Name;
            for (var slot = 0; slot < wanted.Length; slot++)
            {
                if (!property.NameEquals(wanted[slot])) continue;
                found[slot] = property.Value;
                break;
            }
        }
        return null;
    }

    /// <summary>The first duplicate key in any object element of <paramref name="list"/> (when it is an array),
    /// with the element's index, or null.</summary>
    public static (int Index, string Key)? InElements(JsonElement list, bool escapes = true)
    {
        if (list.ValueKind != JsonValueKind.Array) return null;
        var index = 0;
        foreach (var item in list.EnumerateArray())
        {
            if (In(item, escapes) is { } key) return (index, key);
            index++;
        }
        return null;
    }
}

/// <summary>Room on the stack for the values <see cref="DuplicateKeys.In(JsonElement, ReadOnlySpan{byte[]}, Span{JsonElement}, bool)"/>
/// picks out of one object (a span of elements cannot be allocated on the stack).</summary>
[System.Runtime.CompilerServices.InlineArray(9)]
internal struct PickedValues
{
    private JsonElement _first;
}
