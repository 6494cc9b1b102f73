using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Injector.Core.Json;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Injector.Manifests;

/// <summary>Writes a change to a YAML document into the document's own text: what is added is inserted,
/// what is removed is cut out, a replaced string keeps its quoting style, and every other byte — comments,
/// quoting, indentation, blank lines — stays as it was. Inserting and then removing the same thing gives
/// back the exact text, which is what lets <c>uninject</c> restore a manifest byte for byte. The result is
/// read back and compared with the expected document; when a change cannot be written in place (or the
/// check fails), the caller writes the document with the serializer instead.</summary>
public static class YamlTextEdit
{
    private static readonly JsonSerializerOptions FlowJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // A change of the text; Standin is what an insertion is checked with: a one-line value in its place.
    private sealed record Cut(int Start, int End, string Text, int Order)
    {
        public string? Standin { get; init; }
    }

    /// <summary>The text of <paramref name="root"/>'s document (<paramref name="text"/>) changed from
    /// <paramref name="before"/> to <paramref name="after"/>, or null when the change cannot be written in place.</summary>
    public static string? Apply(string text, YamlNode root, JsonNode? before, JsonNode? after)
    {
        var operations = JsonPatch.Diff(before, after);
        if (operations.Count == 0) return text;
        var newline = text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        // Edits work on whole lines; a text without a final line break gets one while it is edited.
        var withoutFinalBreak = text.Length > 0 && !text.EndsWith('\n');
        var work = withoutFinalBreak ? text + newline : text;

        var splices = new List<Cut>();
        var addedPerArray = new Dictionary<string, int>(StringComparer.Ordinal);
        var flowRemovals = new Dictionary<YamlMappingNode, List<int>>();
        foreach (var op in operations)
        {
            if (!TryPlan(work, root, after, op, newline, addedPerArray, flowRemovals, splices)) return null;
        }
        // Keys removed from one flow mapping are cut together, so that each separator goes once.
        foreach (var (map, removed) in flowRemovals)
        {
            var starts = map.Children.Select(c => (int)c.Key.Start.Index).ToArray();
            var ends = map.Children.Select(c => NodeEnd(work, c.Value)).ToArray();
            foreach (var run in Runs([.. removed.Order()]))
            {
                var (start, end) = FlowCut(starts, ends, run[0], run[^1], (int)map.Start.Index, NodeEnd(work, map));
                splices.Add(new Cut(start, end, "", splices.Count));
            }
        }
        var edited = ApplyCuts(work, splices, standins: false);
        if (edited is null) return null;
        if (withoutFinalBreak && edited.EndsWith(newline, StringComparison.Ordinal)) edited = edited[..^newline.Length];
        // The check: the text with a one-line stand-in (0) for each inserted value reads as the result with 0
        // at those places. What is inserted comes from YamlJson.WriteBlock, a closed block or flow node that
        // reads back as written (tested on its own); so the check is about where it lands, and it parses little
        // more than the input instead of the whole, several times larger, output.
        var skeleton = ApplyCuts(work, splices, standins: true);
        return skeleton is not null && ReadsAs(skeleton, WithStandins(after, operations)) ? edited : null;
    }

    private static JsonNode? WithStandins(JsonNode? after, List<PatchOperation> operations)
    {
        var expected = after?.DeepClone();
        foreach (var op in operations.Where(o => o.Op == "add"))
        {
            var tokens = JsonPatch.PointerTokens(op.Path);
            switch (JsonPatch.Resolve(expected, tokens[..^1]))
            {
                case JsonObject obj: obj[tokens[^1]] = 0; break;
                case JsonArray array when int.TryParse(tokens[^1], out var i) && i < array.Count: array[i] = 0; break;
            }
        }
        return expected;
    }

    private static bool ReadsAs(string text, JsonNode? expected)
    {
        try
        {
            var stream = YamlJson.Load(text);
            return stream.Documents.Count == 1 && YamlJson.Matches(stream.Documents[0].RootNode, expected);
        }
        catch (Exception ex) when (ex is YamlException || (ex is InvalidOperationException && ex.Source == "YamlDotNet"))
        {
            return false;
        }
    }

    private static string? ApplyCuts(string text, List<Cut> splices, bool standins)
    {
        // From the end backwards, so earlier positions stay valid; at one position the first planned goes first.
        var ordered = splices.OrderByDescending(s => s.Start).ThenByDescending(s => s.Order).ToList();
        var builder = new StringBuilder(text);
        var limit = int.MaxValue;
        foreach (var s in ordered)
        {
            if (s.End > limit) return null; // overlapping edits: not something injection makes
            builder.Remove(s.Start, s.End - s.Start).Insert(s.Start, standins && s.Standin is not null ? s.Standin : s.Text);
            limit = s.Start;
        }
        return builder.ToString();
    }

    private static bool TryPlan(string text, YamlNode root, JsonNode? after, PatchOperation op, string newline, Dictionary<string, int> addedPerArray, Dictionary<YamlMappingNode, List<int>> flowRemovals, List<Cut> splices)
    {
        var tokens = JsonPatch.PointerTokens(op.Path);
        if (tokens.Length == 0) return false;
        var parent = Resolve(root, tokens[..^1]);
        var afterParent = JsonPatch.Resolve(after, tokens[..^1]);
        var key = tokens[^1];
        var order = splices.Count;
        switch (op.Op, parent)
        {
            case ("add", YamlMappingNode map):
                return AddEntry(text, map, afterParent as JsonObject, key, op.Value, newline, order, splices);
            case ("add", YamlSequenceNode seq) when int.TryParse(key, out var index):
                {
                    // Indexes of successive adds count the earlier ones: map each to the original item it precedes.
                    var parentPointer = op.Path[..op.Path.LastIndexOf('/')];
                    var earlier = addedPerArray.GetValueOrDefault(parentPointer);
                    addedPerArray[parentPointer] = earlier + 1;
                    return AddItem(text, seq, index - earlier, op.Value, newline, order, splices);
                }
            case ("remove", YamlMappingNode { Style: MappingStyle.Flow } map):
                {
                    var index = IndexOf(map, key);
                    if (index < 0) return false;
                    (flowRemovals.TryGetValue(map, out var list) ? list : flowRemovals[map] = []).Add(index);
                    return true;
                }
            case ("remove", YamlMappingNode map):
                return RemoveEntry(text, map, key, splices, order);
            case ("replace", YamlMappingNode or YamlSequenceNode):
                {
                    var node = Child(parent, key);
                    return node switch
                    {
                        YamlScalarNode scalar when op.Value is JsonValue v && v.TryGetValue<string>(out var value) && IsString(scalar) =>
                            Add(splices, (int)scalar.Start.Index, (int)scalar.End.Index, RenderScalar(value, scalar.Style), order),
                        YamlSequenceNode seq when op.Value is JsonArray remaining => RemoveItems(text, seq, remaining, splices, order),
                        // An empty key (`annotations:` as Helm charts render it, or `~`) given a value, and back.
                        YamlScalarNode { Style: ScalarStyle.Plain } scalar when parent is YamlMappingNode map && YamlJson.ToJson(scalar) is null =>
                            ReplaceEntry(text, map, key, op.Value, newline, order, splices),
                        YamlMappingNode or YamlSequenceNode when op.Value is null && parent is YamlMappingNode map =>
                            ReplaceEntry(text, map, key, null, newline, order, splices),
                        _ => false,
                    };
                }
            default:
                return false;
        }
    }

    // Entries added one after the other into an empty flow collection are separated from each other.
    private static bool FirstIntoEmpty(List<Cut> splices, YamlNode collection) =>
        !splices.Any(s => s.Start == (int)collection.Start.Index + 1 && s.End == s.Start);

    private static bool Add(List<Cut> splices, int start, int end, string text, int order, string? standin = null)
    {
        splices.Add(new Cut(start, end, text, order) { Standin = standin });
        return true;
    }


    private static YamlNode? Resolve(YamlNode root, IEnumerable<string> tokens)
    {
        YamlNode? node = root;
        foreach (var token in tokens) node = Child(node, token);
        return node;
    }

    private static YamlNode? Child(YamlNode? node, string token) => node switch
    {
        YamlMappingNode map => map.Children.FirstOrDefault(c => c.Key is YamlScalarNode k && k.Value == token).Value,
        YamlSequenceNode seq when int.TryParse(token, out var i) && i >= 0 && i < seq.Children.Count => seq.Children[i],
        _ => null,
    };

    private static bool IsString(YamlScalarNode scalar) => scalar.Style is not ScalarStyle.Plain || YamlJson.ToJson(scalar) is JsonValue v && v.TryGetValue<string>(out _);

    // ---- mappings ----------------------------------------------------------------------------------

    private static bool AddEntry(string text, YamlMappingNode map, JsonObject? afterParent, string key, JsonNode? value, string newline, int order, List<Cut> splices)
    {
        // The key goes where it is in the result: before the first original key that follows it there.
        string? nextKey = null;
        if (afterParent is not null)
        {
            var seen = false;
            foreach (var (name, _) in afterParent)
            {
                if (seen && map.Children.Any(c => c.Key is YamlScalarNode k && k.Value == name)) { nextKey = name; break; }
                if (name == key) seen = true;
            }
        }
        if (map.Style == MappingStyle.Flow)
        {
            var name = JsonSerializer.Serialize(key, FlowJson) + ": ";
            var (entry, standin) = (name + Flow(value), name + "0");
            if (map.Children.Count == 0)
            {
                var separator = FirstIntoEmpty(splices, map) ? "" : ", ";
                return Add(splices, (int)map.Start.Index + 1, (int)map.Start.Index + 1, separator + entry, order, separator + standin);
            }
            if (nextKey is not null)
            {
                var next = map.Children.First(c => c.Key is YamlScalarNode k && k.Value == nextKey).Key;
                return Add(splices, (int)next.Start.Index, (int)next.Start.Index, entry + ", ", order, standin + ", ");
            }
            var flowEnd = NodeEnd(text, map.Children[^1].Value);
            return Add(splices, flowEnd, flowEnd, ", " + entry, order, ", " + standin);
        }
        if (map.Children.Count == 0) return false;
        var indent = KeyIndent(text, map.Children[0].Key);
        if (indent < 0) return false;
        var block = new StringBuilder();
        YamlJson.WriteBlock(block, new JsonObject { [key] = value?.DeepClone() }, indent, newline);
        var line = new StringBuilder();
        YamlJson.WriteBlock(line, new JsonObject { [key] = 0 }, indent, newline);
        if (nextKey is not null)
        {
            var next = map.Children.First(c => c.Key is YamlScalarNode k && k.Value == nextKey).Key;
            if (KeyIndent(text, next) != indent) return false;
            var at = LineStart(text, (int)next.Start.Index);
            return Add(splices, at, at, block.ToString(), order, line.ToString());
        }
        var end = LineEndAfter(text, ContentEnd(text, map));
        return Add(splices, end, end, block.ToString(), order, line.ToString());
    }

    /// <summary>A block mapping's entry written again at the same indent with its new value; a null value as an
    /// empty key (<c>annotations:</c>), the way Helm charts render one.</summary>
    private static bool ReplaceEntry(string text, YamlMappingNode map, string key, JsonNode? value, string newline, int order, List<Cut> splices)
    {
        if (map.Style == MappingStyle.Flow) return false;
        var index = IndexOf(map, key);
        if (index < 0) return false;
        var (keyNode, valueNode) = map.Children[index];
        var indent = KeyIndent(text, keyNode);
        if (indent < 0) return false;
        var block = new StringBuilder();
        YamlJson.WriteBlock(block, new JsonObject { [key] = value?.DeepClone() ?? 0 }, indent, newline);
        var entry = block.ToString();
        if (value is null)
        {
            var zero = ": 0" + newline;
            if (!entry.EndsWith(zero, StringComparison.Ordinal)) return false;
            entry = entry[..^zero.Length] + ":" + newline;
        }
        var start = LineStart(text, (int)keyNode.Start.Index);
        var end = LineEndAfter(text, Math.Max(ContentEnd(text, keyNode), ContentEnd(text, valueNode)));
        // No stand-in: the check reads the new value itself, as the result has it (a replace, not an add).
        return Add(splices, start, end, entry, order);
    }

    /// <summary>The position of <paramref name="key"/> among the mapping's entries, or -1.</summary>
    private static int IndexOf(YamlMappingNode map, string key) =>
        map.Children.ToList().FindIndex(c => c.Key is YamlScalarNode k && k.Value == key);

    private static bool RemoveEntry(string text, YamlMappingNode map, string key, List<Cut> splices, int order)
    {
        var index = IndexOf(map, key);
        if (index < 0) return false;
        var (keyNode, valueNode) = map.Children[index];
        if (map.Children.Count == 1 || KeyIndent(text, keyNode) < 0) return false;
        return Add(splices, LineStart(text, (int)keyNode.Start.Index), LineEndAfter(text, Math.Max(ContentEnd(text, keyNode), ContentEnd(text, valueNode))), "", order);
    }

    /// <summary>The column of a key that starts its line (only spaces before it), else -1.</summary>
    private static int KeyIndent(string text, YamlNode key)
    {
        var start = (int)key.Start.Index;
        var lineStart = LineStart(text, start);
        for (var i = lineStart; i < start; i++)
        {
            if (text[i] != ' ') return -1;
        }
        return start - lineStart;
    }

    // ---- sequences ---------------------------------------------------------------------------------

    private static bool AddItem(string text, YamlSequenceNode seq, int before, JsonNode? item, string newline, int order, List<Cut> splices)
    {
        if (before < 0 || before > seq.Children.Count) return false;
        if (seq.Style == SequenceStyle.Flow)
        {
            var json = Flow(item);
            if (seq.Children.Count == 0)
            {
                var separator = FirstIntoEmpty(splices, seq) ? "" : ", ";
                return Add(splices, (int)seq.Start.Index + 1, (int)seq.Start.Index + 1, separator + json, order, separator + "0");
            }
            if (before < seq.Children.Count)
                return Add(splices, (int)seq.Children[before].Start.Index, (int)seq.Children[before].Start.Index, json + ", ", order, "0, ");
            var flowEnd = NodeEnd(text, seq.Children[^1]);
            return Add(splices, flowEnd, flowEnd, ", " + json, order, ", 0");
        }
        if (seq.Children.Count == 0) return false;
        var dash = Dash(text, seq.Children[0]);
        if (dash < 0) return false;
        var dashIndent = dash - LineStart(text, dash);
        var block = Item(item, dashIndent, newline);
        var line = Item(0, dashIndent, newline);
        if (before < seq.Children.Count)
        {
            var at = Dash(text, seq.Children[before]);
            if (at < 0) return false;
            at = LineStart(text, at);
            return Add(splices, at, at, block, order, line);
        }
        var end = LineEndAfter(text, ContentEnd(text, seq));
        return Add(splices, end, end, block, order, line);
    }

    /// <summary>Removes the items of <paramref name="seq"/> that are not in <paramref name="remaining"/>
    /// (which keeps the others in their order); false when that is not what changed.</summary>
    private static bool RemoveItems(string text, YamlSequenceNode seq, JsonArray remaining, List<Cut> splices, int order)
    {
        var items = seq.Children.ToList();
        var removed = new List<int>();
        var j = 0;
        for (var i = 0; i < items.Count; i++)
        {
            if (j < remaining.Count && JsonNode.DeepEquals(YamlJson.ToJson(items[i]), remaining[j])) j++;
            else removed.Add(i);
        }
        if (j != remaining.Count || removed.Count == 0) return false;
        if (seq.Style == SequenceStyle.Flow)
        {
            // Contiguous runs are cut as one range, so that separators are removed once.
            var starts = items.Select(i => (int)i.Start.Index).ToArray();
            var ends = items.Select(i => NodeEnd(text, i)).ToArray();
            var close = NodeEnd(text, seq);
            foreach (var run in Runs(removed))
            {
                var (start, end) = FlowCut(starts, ends, run[0], run[^1], (int)seq.Start.Index, close);
                splices.Add(new Cut(start, end, "", order));
            }
            return true;
        }
        if (removed.Count == items.Count) return false; // an empty block sequence cannot be written
        foreach (var i in removed)
        {
            var dash = Dash(text, items[i]);
            if (dash < 0) return false;
            splices.Add(new Cut(LineStart(text, dash), LineEndAfter(text, ContentEnd(text, items[i])), "", order));
        }
        return true;
    }

    private static List<List<int>> Runs(List<int> indexes)
    {
        var runs = new List<List<int>>();
        foreach (var i in indexes)
        {
            if (runs.Count > 0 && runs[^1][^1] == i - 1) runs[^1].Add(i);
            else runs.Add([i]);
        }
        return runs;
    }

    /// <summary>The range to cut for flow entries <paramref name="first"/>..<paramref name="last"/>: from the end
    /// of the entry before to the end of the last; for a run at the start, up to the entry after it; for all
    /// of them, the inside of the brackets.</summary>
    private static (int Start, int End) FlowCut(int[] starts, int[] ends, int first, int last, int open, int close)
    {
        if (first > 0) return (ends[first - 1], ends[last]);
        if (last + 1 < starts.Length) return (starts[first], starts[last + 1]);
        return (open + 1, close - 1);
    }

    /// <summary>The position of the <c>-</c> of a block sequence item, when only spaces precede it on its line.</summary>
    private static int Dash(string text, YamlNode item)
    {
        var p = (int)item.Start.Index - 1;
        while (p >= 0 && text[p] is ' ' or '\t' or '\r' or '\n') p--;
        if (p < 0 || text[p] != '-') return -1;
        for (var i = LineStart(text, p); i < p; i++)
        {
            if (text[i] != ' ') return -1;
        }
        return p;
    }

    // ---- text helpers -------------------------------------------------------------------------------

    private static int LineStart(string text, int index) => index == 0 ? 0 : text.LastIndexOf('\n', index - 1) + 1;

    private static int LineEndAfter(string text, int index)
    {
        var newline = text.IndexOf('\n', Math.Min(index, text.Length - 1));
        return newline < 0 ? text.Length : newline + 1;
    }

    /// <summary>Where a node's text ends, without the line breaks and spaces a block scalar's end mark includes.</summary>
    private static int ContentEnd(string text, YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode { Style: MappingStyle.Block, Children.Count: > 0 } map:
                return Math.Max(ContentEnd(text, map.Children[^1].Key), ContentEnd(text, map.Children[^1].Value));
            case YamlSequenceNode { Style: SequenceStyle.Block, Children.Count: > 0 } seq:
                return ContentEnd(text, seq.Children[^1]);
            case YamlMappingNode or YamlSequenceNode:
                return NodeEnd(text, node);
            default:
                var end = Math.Min((int)node.End.Index, text.Length);
                while (end > (int)node.Start.Index && text[end - 1] is ' ' or '\t' or '\r' or '\n') end--;
                return end;
        }
    }

    /// <summary>Where a node's text ends. The YAML model marks only where a collection starts, so a flow
    /// collection's end is found after its last entry: the closing bracket, past spaces, line breaks and
    /// comments.</summary>
    private static int NodeEnd(string text, YamlNode node)
    {
        List<YamlNode> entries = node switch
        {
            YamlMappingNode map => map.Children.SelectMany(c => new[] { c.Key, c.Value }).ToList(),
            YamlSequenceNode seq => seq.Children.ToList(),
            _ => [],
        };
        var flow = node is YamlMappingNode { Style: MappingStyle.Flow } or YamlSequenceNode { Style: SequenceStyle.Flow };
        if (!flow) return node is YamlScalarNode ? (int)node.End.Index : ContentEnd(text, node);
        var p = entries.Count == 0 ? (int)node.Start.Index + 1 : NodeEnd(text, entries[^1]);
        while (p < text.Length)
        {
            var c = text[p];
            if (c is ']' or '}') return p + 1;
            if (c == '#') { p = text.IndexOf('\n', p); if (p < 0) return text.Length; continue; }
            p++;
        }
        return text.Length;
    }

    private static string Item(JsonNode? item, int dashIndent, string newline)
    {
        var output = new StringBuilder();
        YamlJson.WriteBlock(output, item, dashIndent, newline, "- ");
        return output.ToString();
    }

    private static string Flow(JsonNode? value) => value is null ? "null" : value.ToJsonString(FlowJson);

    /// <summary>A string as a scalar of the style it replaces, where that style can hold it (a plain scalar
    /// only when a reader would take it as that string), else double-quoted.</summary>
    private static string RenderScalar(string value, ScalarStyle style)
    {
        var simple = value.All(c => c >= ' ' && c != '\u007f');
        switch (style)
        {
            case ScalarStyle.Plain when simple:
                var written = YamlJson.Write(new JsonObject { ["k"] = value });
                // The serializer's choice for the value, as a mapping value ("k: value\n").
                if (written.StartsWith("k: ", StringComparison.Ordinal) && written.IndexOf('\n') == written.Length - 1) return written[3..^1];
                break;
            case ScalarStyle.SingleQuoted when simple:
                return "'" + value.Replace("'", "''") + "'";
        }
        return JsonSerializer.Serialize(value, FlowJson);
    }
}
