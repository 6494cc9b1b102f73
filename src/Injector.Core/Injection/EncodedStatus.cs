using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Injector.Core.Injection;

/// <summary>The status annotation as the webhook's patch carries it: a JSON string whose text is the status's JSON,
/// so escaped twice by the default encoder (each <c>"</c> of the status becomes <c>\u0022</c>). Written here in that
/// final form in one pass, the constant pieces escaped once ahead by a default writer: building the status with a
/// writer, copying it out and escaping it again into the patch was most of what the annotation cost
/// (docs/performance.md). Only for the usual status, whose names and pointers the default encoder writes as they
/// are; any other (a character to escape, a replaced value) is left to the writer. The shapes repeat from pod to
/// pod, so the last one per thread is kept with what it was made of and given again for the same names: comparing
/// a few strings costs less than writing and allocating the ~600 bytes again (docs/performance.md).</summary>
internal static class EncodedStatus
{
    // The ASCII characters a default writer writes as they are, in a string value: each of them is the same after
    // both escapings, so a name made of them is copied as it is.
    private static readonly SearchValues<char> Plain = SearchValues.Create(PlainCharacters());

    private static readonly byte[] Start = [(byte)'"', .. Escaped("{\"containers\":[")];
    private static readonly byte[] Quote = Escaped("\"");
    private static readonly byte[] InitContainers = Escaped("],\"initContainers\":[");
    private static readonly byte[] Volumes = Escaped("],\"volumes\":[");
    private static readonly byte[] PullSecret = Escaped("],\"imagePullSecrets\":[" + Written(PodInjector.EcrSecretName));
    private static readonly byte[] Added = Escaped("],\"added\":[");
    private static readonly byte[] End = [.. Escaped("],\"version\":" + Written(PodInjector.Version) + "}"), (byte)'"'];

    /// <summary>The status as a JSON string value, quotes included, exactly as a default writer writes the status's
    /// text; null when it is not the usual kind (see the class).</summary>
    public static byte[]? TryWrite(bool native, List<(string Name, JsonNode Container)> initContainers, List<(string Name, JsonNode Container)> sidecars, List<string> volumes, InjectionRecord record)
    {
        if (t_last is { } last && last.Matches(native, initContainers, sidecars, volumes, record)) return last.Text;
        var text = Build(native, initContainers, sidecars, volumes, record);
        if (text is not null) t_last = new Last(native, [.. initContainers.Select(c => c.Name)], [.. sidecars.Select(c => c.Name)], [.. volumes], record.AddedPullSecret, [.. record.Added], text);
        return text;
    }

    [ThreadStatic] private static Last? t_last;

    /// <summary>A status made on this thread, with what it was made of.</summary>
    private sealed record Last(bool Native, string[] InitContainers, string[] Sidecars, string[] Volumes, bool AddedPullSecret, string[] Added, byte[] Text)
    {
        public bool Matches(bool native, List<(string Name, JsonNode Container)> initContainers, List<(string Name, JsonNode Container)> sidecars, List<string> volumes, InjectionRecord record)
        {
            if (native != Native || record.AddedPullSecret != AddedPullSecret || record.Replaced.Count > 0) return false;
            if (initContainers.Count != InitContainers.Length || sidecars.Count != Sidecars.Length || volumes.Count != Volumes.Length || record.Added.Count != Added.Length) return false;
            for (var i = 0; i < InitContainers.Length; i++) if (!string.Equals(initContainers[i].Name, InitContainers[i], StringComparison.Ordinal)) return false;
            for (var i = 0; i < Sidecars.Length; i++) if (!string.Equals(sidecars[i].Name, Sidecars[i], StringComparison.Ordinal)) return false;
            for (var i = 0; i < Volumes.Length; i++) if (!string.Equals(volumes[i], Volumes[i], StringComparison.Ordinal)) return false;
            for (var i = 0; i < Added.Length; i++) if (!string.Equals(record.Added[i], Added[i], StringComparison.Ordinal)) return false;
            return true;
        }
    }

    private static byte[]? Build(bool native, List<(string Name, JsonNode Container)> initContainers, List<(string Name, JsonNode Container)> sidecars, List<string> volumes, InjectionRecord record)
    {
        if (record.Replaced.Count > 0) return null;
        var length = Start.Length + InitContainers.Length + Volumes.Length + Added.Length + End.Length;
        if (record.AddedPullSecret) length += PullSecret.Length;
        foreach (var (name, _) in initContainers) length = Add(length, name);
        foreach (var (name, _) in sidecars) length = Add(length, name);
        foreach (var volume in volumes) length = Add(length, volume);
        foreach (var pointer in record.Added) length = Add(length, pointer);
        if (length < 0) return null;
        // The commas between the items of each list.
        var containers = native ? 0 : sidecars.Count;
        var inits = initContainers.Count + (native ? sidecars.Count : 0);
        foreach (var count in (ReadOnlySpan<int>)[containers, inits, volumes.Count, record.Added.Count]) length += Math.Max(count - 1, 0);

        var text = new byte[length];
        var at = Copy(text, 0, Start);
        var first = true;
        if (!native) foreach (var (name, _) in sidecars) at = Item(text, at, name, ref first);
        at = Copy(text, at, InitContainers);
        first = true;
        foreach (var (name, _) in initContainers) at = Item(text, at, name, ref first);
        if (native) foreach (var (name, _) in sidecars) at = Item(text, at, name, ref first);
        at = Copy(text, at, Volumes);
        first = true;
        foreach (var volume in volumes) at = Item(text, at, volume, ref first);
        if (record.AddedPullSecret) at = Copy(text, at, PullSecret);
        at = Copy(text, at, Added);
        first = true;
        foreach (var pointer in record.Added) at = Item(text, at, pointer, ref first);
        at = Copy(text, at, End);
        return at == text.Length ? text : throw new InvalidOperationException("the status's length was miscounted");
    }

    // The room one more item takes with its quotes; negative once an item is not plain.
    private static int Add(int length, string item) =>
        length < 0 || item.AsSpan().ContainsAnyExcept(Plain) ? -1 : length + item.Length + 2 * Quote.Length;

    private static int Item(byte[] text, int at, string item, ref bool first)
    {
        if (!first) text[at++] = (byte)',';
        first = false;
        at = Copy(text, at, Quote);
        at += Encoding.ASCII.GetBytes(item, text.AsSpan(at));
        return Copy(text, at, Quote);
    }

    private static int Copy(byte[] text, int at, byte[] piece)
    {
        piece.CopyTo(text, at);
        return at + piece.Length;
    }

    // What a default writer writes for the string, without its quotes.
    private static byte[] Escaped(string text)
    {
        var written = Encoding.UTF8.GetBytes(Written(text));
        return written[1..^1];
    }

    // The string as a default writer writes it, quotes included.
    private static string Written(string text)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer)) writer.WriteStringValue(text);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string PlainCharacters()
    {
        var plain = new StringBuilder();
        for (var c = (char)0; c < 128; c++)
        {
            if (Written(c.ToString()).Length == 3) plain.Append(c);
        }
        return plain.ToString();
    }
}
