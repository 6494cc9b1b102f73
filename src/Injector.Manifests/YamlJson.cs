using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Injector.Manifests;

/// <summary>One YAML document read as JSON, with the line it starts on (for error messages) and the YAML
/// node it was read from (its positions let a change be written into the text in place).</summary>
public sealed record YamlDocument(JsonNode? Node, int Line, YamlNode? Root = null);

/// <summary>Valid YAML that is refused for what reading it would take: nesting too deep, an alias loop, an alias bomb.</summary>
public sealed class YamlLimitException(Mark start, Mark end, string message) : YamlException(start, end, message);

/// <summary>Converts between YAML (1.2 core schema, with the 1.1 octals such as <c>0644</c> and booleans such as
/// <c>yes</c>/<c>off</c> read as kubectl reads them) and <see cref="JsonNode"/>,
/// keeping key order, so manifests round-trip through the same model as AdmissionReviews.</summary>
public static partial class YamlJson
{
    [GeneratedRegex(@"^[-+]?(?:0|[1-9][0-9]*)$", RegexOptions.CultureInvariant)]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex FloatPattern();

    // 0644 (YAML 1.1, what kubectl reads: octal, as in defaultMode) and 0o644 (YAML 1.2).
    [GeneratedRegex(@"^(?<sign>[-+]?)0o?(?<digits>[0-7]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex OctalPattern();

    [GeneratedRegex(@"^(?<sign>[-+]?)0x(?<digits>[0-9a-fA-F]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex HexPattern();

    // Plain scalars that a YAML 1.1 or 1.2 reader would not take as a string, so they must be quoted.
    [GeneratedRegex(@"^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|[-+]?0x[0-9a-fA-F_]+|[-+]?0o?[0-7_]+|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?|[-+]?(?:\.[0-9_]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?)$", RegexOptions.CultureInvariant)]
    private static partial Regex AmbiguousPattern();

    [GeneratedRegex(@"^(-?)0+(?=[0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex LeadingZeros();

    /// <summary>Reads every document of a (multi-document) YAML or JSON text.</summary>
    /// <exception cref="YamlException">The text is not valid YAML; the exception carries the position.</exception>
    public static List<YamlDocument> ReadAll(string text) =>
        Load(text).Documents.Select(d => new YamlDocument(ToJson(d.RootNode), (int)d.RootNode.Start.Line, d.RootNode)).ToList();

    /// <summary>The deepest nesting of mappings and sequences read. The parser's reader and this class's walks
    /// recurse per level (200,000 levels ended the process with a stack overflow) and JSON is written at most 1,000
    /// deep; no Kubernetes object comes near this.</summary>
    public const int MaxDepth = 512;

    /// <summary>Values an alias may stand for in one document, beyond ten times those written out: a few hundred
    /// bytes of aliases of aliases ("billion laughs") otherwise took minutes and gigabytes.</summary>
    public const int MaxAliasedValues = 100_000;

    /// <summary>Parses the text's documents, refusing nesting deeper than <see cref="MaxDepth"/> as it is read.</summary>
    /// <exception cref="YamlException">Not valid YAML (<see cref="YamlLimitException"/>: too deep).</exception>
    public static YamlStream Load(string text)
    {
        var stream = new YamlStream();
        var parser = new DepthLimitedParser(new Parser(new StringReader(text)));
        try
        {
            stream.Load(parser);
        }
        catch (ArgumentException ex) when (ex.Source == "YamlDotNet" && parser.Previous is { } key)
        {
            // An entry with nothing before its ':' that starts a nested block mapping ("metadata:\n  : web") comes from
            // YamlDotNet's parser as a key without a value, on which its loader fails without a position (the process
            // ended with a stack trace). Anywhere else in a mapping the parser itself refuses the entry, so: its words.
            throw new YamlException(key.Start, key.End, "While parsing a block mapping, did not find expected key.", ex);
        }
        return stream;
    }

    /// <summary>Counts the nesting as the events are read, so that a deep text is refused before the recursive
    /// loader goes down it.</summary>
    private sealed class DepthLimitedParser(IParser inner) : IParser
    {
        private int _depth;

        public ParsingEvent? Current => inner.Current;

        /// <summary>The event before <see cref="Current"/>.</summary>
        public ParsingEvent? Previous { get; private set; }

        public bool MoveNext()
        {
            Previous = inner.Current;
            if (!inner.MoveNext()) return false;
            switch (inner.Current)
            {
                case SequenceStart or MappingStart:
                    if (++_depth > MaxDepth)
                        throw new YamlLimitException(inner.Current.Start, inner.Current.End, $"mappings and sequences nested more than {MaxDepth} deep; no Kubernetes object is");
                    break;
                case SequenceEnd or MappingEnd:
                    _depth--;
                    break;
            }
            return true;
        }
    }

    /// <summary>Reads a single-document YAML or JSON text.</summary>
    public static JsonNode? Read(string text)
    {
        var documents = ReadAll(text);
        return documents.Count == 0 ? null : documents[0].Node;
    }

    /// <summary>The node as JSON, aliases written out.</summary>
    /// <exception cref="YamlException">A mapping key that is not a string, a merge key, or (<see cref="YamlLimitException"/>)
    /// an alias inside the node it names or aliases that stand for too many values.</exception>
    public static JsonNode? ToJson(YamlNode node) => new Conversion().ToJson(node, aliased: false);

    /// <summary>One document's conversion: the anchored nodes being converted (an alias to one of them is a loop)
    /// and done (an alias to one of them repeats it), and the values written out and repeated so far.</summary>
    private sealed class Conversion
    {
        private HashSet<YamlNode>? _open;
        private HashSet<YamlNode>? _done;
        private long _written;
        private long _repeated;

        public JsonNode? ToJson(YamlNode node, bool aliased)
        {
            // Only an anchored node can be named by an alias; the usual document has none, and pays a counter.
            var anchored = !node.Anchor.IsEmpty;
            if (anchored)
            {
                // By reference: a YamlNode's own equality walks its children, which never ends on a loop.
                _open ??= new HashSet<YamlNode>(ReferenceEqualityComparer.Instance);
                _done ??= new HashSet<YamlNode>(ReferenceEqualityComparer.Instance);
                if (_open.Contains(node))
                    throw new YamlLimitException(node.Start, node.End, $"the node anchored &{node.Anchor} holds an alias to itself (*{node.Anchor}), so it never ends");
                aliased |= _done.Contains(node);
                _open.Add(node);
            }
            if (!aliased) _written++;
            else if (++_repeated > MaxAliasedValues && _repeated > 10 * _written)
                throw new YamlLimitException(node.Start, node.End, $"aliases stand for more than {MaxAliasedValues} values (the document writes out {_written}); refused as an alias bomb");
            var json = node switch
            {
                YamlMappingNode map => MappingToJson(map, aliased),
                YamlSequenceNode seq => SequenceToJson(seq, aliased),
                YamlScalarNode scalar => ScalarToJson(scalar),
                _ => throw new YamlException(node.Start, node.End, $"unsupported YAML node {node.NodeType}"),
            };
            if (anchored)
            {
                _open!.Remove(node);
                _done!.Add(node);
            }
            return json;
        }

        private JsonArray SequenceToJson(YamlSequenceNode seq, bool aliased)
        {
            var array = new JsonArray();
            foreach (var item in seq.Children) array.Add(ToJson(item, aliased));
            return array;
        }

        private JsonObject MappingToJson(YamlMappingNode map, bool aliased)
        {
            var obj = new JsonObject();
            foreach (var (key, value) in map.Children)
            {
                if (key is not YamlScalarNode { Value: { } name })
                    throw new YamlException(key.Start, key.End, "mapping keys must be plain strings");
                if (name == "<<") throw new YamlException(key.Start, key.End, "merge keys (<<) are not supported");
                obj[name] = ToJson(value, aliased); // YamlDotNet has already refused duplicate keys, with their position.
            }
            return obj;
        }
    }

    /// <summary>Whether <paramref name="node"/> reads as <paramref name="expected"/> (keys in the same order),
    /// without building the JSON: what checking an edited document costs.</summary>
    public static bool Matches(YamlNode node, JsonNode? expected)
    {
        switch (node)
        {
            case YamlMappingNode map:
                if (expected is not JsonObject obj || obj.Count != map.Children.Count) return false;
                var i = 0;
                foreach (var (key, value) in map.Children)
                {
                    var (name, child) = obj.GetAt(i++);
                    if (key is not YamlScalarNode { Value: { } k } || k != name || !Matches(value, child)) return false;
                }
                return true;
            case YamlSequenceNode seq:
                if (expected is not JsonArray array || array.Count != seq.Children.Count) return false;
                for (var j = 0; j < array.Count; j++)
                {
                    if (!Matches(seq.Children[j], array[j])) return false;
                }
                return true;
            case YamlScalarNode scalar:
                return expected is not (JsonObject or JsonArray) && JsonNode.DeepEquals(ScalarToJson(scalar), expected);
            default:
                return false;
        }
    }

    private static JsonNode? ScalarToJson(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        var tag = scalar.Tag.IsEmpty ? null : scalar.Tag.Value;
        if (tag is "tag:yaml.org,2002:str" || scalar.Style is not ScalarStyle.Plain && tag is null) return JsonValue.Create(value);
        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL": return null;
            // YAML 1.1 booleans, as kubectl's reader (go-yaml v2) takes them: `hostNetwork: yes` is true there.
            case "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "on" or "On" or "ON" or "y" or "Y": return JsonValue.Create(true);
            case "false" or "False" or "FALSE" or "no" or "No" or "NO" or "off" or "Off" or "OFF" or "n" or "N": return JsonValue.Create(false);
        }
        foreach (var (pattern, radix) in new[] { (OctalPattern(), 8), (HexPattern(), 16) })
        {
            var match = pattern.Match(value);
            if (match.Success) return ParseRadix(match, radix) ?? JsonValue.Create(value);
        }
        // Numbers are parsed as JSON so that they behave exactly like numbers read from an AdmissionReview.
        if (IntPattern().IsMatch(value) || FloatPattern().IsMatch(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
            return JsonNode.Parse(NormalizeNumber(value));
        return JsonValue.Create(value);
    }

    private static JsonNode? ParseRadix(Match match, int radix)
    {
        if (!match.Success) return null;
        try
        {
            var number = Convert.ToInt64(match.Groups["digits"].Value, radix);
            if (number < 0) return null; // beyond a signed 64-bit number: left as a string
            return JsonNode.Parse((match.Groups["sign"].Value == "-" ? -number : number).ToString(CultureInfo.InvariantCulture));
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    // YAML allows "+1", ".5", "-.5", "1." and leading zeros ("09", "00.5") where JSON does not.
    private static string NormalizeNumber(string value)
    {
        if (value.StartsWith('+')) value = value[1..];
        value = LeadingZeros().Replace(value, "$1");
        if (value.StartsWith('.')) value = "0" + value;
        else if (value.StartsWith("-.", StringComparison.Ordinal)) value = "-0" + value[1..];
        value = value.Replace(".e", ".0e").Replace(".E", ".0E");
        if (value.EndsWith('.')) value += "0";
        return value;
    }

    /// <summary>Writes nodes as a multi-document YAML text (documents separated by <c>---</c>).</summary>
    public static string WriteAll(IEnumerable<JsonNode?> documents)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        var emitter = new Emitter(writer, new EmitterSettings(2, int.MaxValue, false, 1024));
        emitter.Emit(new StreamStart());
        foreach (var document in documents)
        {
            emitter.Emit(new DocumentStart(null, null, isImplicit: false));
            Emit(emitter, document);
            emitter.Emit(new DocumentEnd(isImplicit: true));
        }
        emitter.Emit(new StreamEnd());
        return writer.ToString();
    }

    /// <summary>Writes one node as a YAML document.</summary>
    public static string Write(JsonNode? node)
    {
        var text = WriteAll([node]);
        return text.StartsWith("---\n", StringComparison.Ordinal) ? text[4..] : text;
    }

    private static void Emit(IEmitter emitter, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                emitter.Emit(new MappingStart(null, null, true, obj.Count == 0 ? MappingStyle.Flow : MappingStyle.Block));
                foreach (var (key, value) in obj)
                {
                    EmitString(emitter, key);
                    Emit(emitter, value);
                }
                emitter.Emit(new MappingEnd());
                break;
            case JsonArray array:
                emitter.Emit(new SequenceStart(null, null, true, array.Count == 0 ? SequenceStyle.Flow : SequenceStyle.Block));
                foreach (var item in array) Emit(emitter, item);
                emitter.Emit(new SequenceEnd());
                break;
            case null:
                emitter.Emit(new Scalar(null, null, "null", ScalarStyle.Plain, true, false));
                break;
            case JsonValue value when value.TryGetValue<string>(out var s):
                EmitString(emitter, s);
                break;
            default:
                emitter.Emit(new Scalar(null, null, node.ToJsonString(), ScalarStyle.Plain, true, false));
                break;
        }
    }

    /// <summary>Writes a node as block YAML lines, each starting with <paramref name="indent"/> spaces — a
    /// plain writer for what edits insert into a document, about ten times cheaper than the emitter: strings
    /// are plain only when nothing could read them otherwise, else double-quoted with JSON escapes (which YAML
    /// reads alike). The first line of an item starts after <paramref name="firstLinePrefix"/> (<c>"- "</c>).</summary>
    public static void WriteBlock(StringBuilder output, JsonNode? node, int indent, string newline, string firstLinePrefix = "")
    {
        var pad = new string(' ', indent);
        switch (node)
        {
            case JsonObject { Count: > 0 } obj:
                var first = true;
                foreach (var (key, value) in obj)
                {
                    output.Append(pad);
                    if (first) output.Append(firstLinePrefix);
                    var childIndent = indent + (first ? firstLinePrefix.Length : 0);
                    first = false;
                    output.Append(Scalar(key)).Append(':');
                    WriteValue(output, value, childIndent, newline);
                    // Lines after the first continue at the first key's column.
                    if (firstLinePrefix.Length > 0) { pad = new string(' ', indent + firstLinePrefix.Length); indent += firstLinePrefix.Length; firstLinePrefix = ""; }
                }
                break;
            case JsonArray { Count: > 0 } array:
                // A sequence as an item of a sequence: "- - a" on the first line, the rest at the inner dash.
                for (var i = 0; i < array.Count; i++)
                {
                    if (i == 0 && firstLinePrefix.Length > 0) WriteBlock(output, array[i], indent, newline, firstLinePrefix + "- ");
                    else WriteBlock(output, array[i], indent + firstLinePrefix.Length, newline, "- ");
                }
                break;
            default:
                output.Append(pad).Append(firstLinePrefix).Append(Inline(node)).Append(newline);
                break;
        }
    }

    private static void WriteValue(StringBuilder output, JsonNode? value, int keyIndent, string newline)
    {
        switch (value)
        {
            case JsonObject { Count: > 0 }:
                output.Append(newline);
                WriteBlock(output, value, keyIndent + 2, newline);
                break;
            case JsonArray { Count: > 0 }:
                // Sequences at their key's indentation, as the serializer writes them.
                output.Append(newline);
                WriteBlock(output, value, keyIndent, newline);
                break;
            default:
                output.Append(' ').Append(Inline(value)).Append(newline);
                break;
        }
    }

    private static string Inline(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "{}",
        JsonArray => "[]",
        JsonValue v when v.TryGetValue<string>(out var s) => Scalar(s),
        _ => node.ToJsonString(),
    };

    private static readonly System.Text.Json.JsonSerializerOptions QuotedString = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A string as a plain scalar when no reader could take it for anything else; else single-quoted
    /// when it is one printable line (as the serializer writes JSON values); else double-quoted.</summary>
    private static string Scalar(string value)
    {
        if (IsSafePlain(value)) return value;
        if (value.Length > 0 && value[0] != ' ' && value[^1] != ' ' && value.All(c => c >= ' ' && c != '\u007f' && c is not ('\u0085' or '\u2028' or '\u2029' or '\uFEFF')))
            return "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
        return System.Text.Json.JsonSerializer.Serialize(value, QuotedString);
    }

    private static bool IsSafePlain(string value)
    {
        if (value.Length == 0 || value[0] is ' ' or '-' or '?' or ':' or ',' or '[' or ']' or '{' or '}' or '#' or '&' or '*' or '!' or '|' or '>' or '\'' or '"' or '%' or '@' or '`'
            || value[^1] is ' ' or ':') return false;
        foreach (var c in value)
        {
            if (c < ' ' || c == '\u007f' || c is '\u0085' or '\u2028' or '\u2029' or '\uFEFF') return false;
        }
        return !value.Contains(": ", StringComparison.Ordinal) && !value.Contains(" #", StringComparison.Ordinal) && !AmbiguousPattern().IsMatch(value);
    }

    private static void EmitString(IEmitter emitter, string value)
    {
        var style = value.Length == 0 || AmbiguousPattern().IsMatch(value) ? ScalarStyle.DoubleQuoted : ScalarStyle.Any;
        emitter.Emit(new Scalar(null, null, value, style, true, true));
    }
}
