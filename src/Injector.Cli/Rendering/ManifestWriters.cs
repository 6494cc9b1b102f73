using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Injector.Core.Json;
using Injector.Manifests;

namespace Injector.Cli.Rendering;

/// <summary>Writes a run's output as its pieces come, so that the whole output is never held in memory.</summary>
public abstract class ManifestWriter(TextWriter output)
{
    /// <summary>The output formats, as <c>-o</c> names them.</summary>
    public static readonly IReadOnlyList<string> Formats = ["yaml", "json", "patch", "diff"];

    protected static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    protected TextWriter Output { get; } = output;

    public static ManifestWriter For(string format, TextWriter output) => format switch
    {
        "json" => new JsonManifestWriter(output),
        "patch" => new PatchManifestWriter(output),
        "diff" => new DiffManifestWriter(output),
        _ => new YamlManifestWriter(output),
    };

    public abstract void Write(SourceChunk piece);

    /// <summary>Ends the output (closing brackets, the last diff hunk).</summary>
    public virtual void Finish()
    {
    }

    /// <summary>Writes a whole run with this format into a string (for tests and small inputs).</summary>
    public static string Render(ManifestRun run, string format)
    {
        using var text = new StringWriter();
        var writer = For(format, text);
        foreach (var piece in run.Process()) writer.Write(piece);
        writer.Finish();
        return text.ToString();
    }
}

/// <summary>The manifests as YAML, in input order: every piece as it was read — separators, comments and
/// formatting included — with changes written into the text in place; unreadable pieces are left out.
/// Sources follow each other separated by <c>---</c>.</summary>
public sealed class YamlManifestWriter(TextWriter output) : ManifestWriter(output)
{
    private ManifestSource? _source;
    private bool _wroteAny;
    private bool _endsWithNewline = true;

    public override void Write(SourceChunk piece)
    {
        var chunk = piece.Chunk;
        if (chunk.Parsed.Failed) return;
        var text = chunk.Parsed.Chunk.Separator + chunk.Output;
        if (text.Length == 0) return;
        if (!ReferenceEquals(piece.Source, _source))
        {
            // A new source: a line break if the last one lacked its final one, and a separator unless it has its own.
            if (_wroteAny)
            {
                if (!_endsWithNewline) Output.Write('\n');
                if (!text.StartsWith("---", StringComparison.Ordinal)) Output.Write("---\n");
            }
            _source = piece.Source;
        }
        Output.Write(text);
        _wroteAny = true;
        _endsWithNewline = text.EndsWith('\n');
    }
}

/// <summary>The output documents as JSON: the single document, or a <c>v1 List</c> of them all.</summary>
public sealed class JsonManifestWriter(TextWriter output) : ManifestWriter(output)
{
    private JsonNode? _first;
    private int _count;

    public override void Write(SourceChunk piece)
    {
        foreach (var document in piece.Chunk.Documents)
        {
            if (document.Result.Output is not { } node) continue;
            switch (++_count)
            {
                case 1:
                    _first = node;
                    break;
                case 2:
                    Output.Write("{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": [\n");
                    WriteItem(_first!);
                    _first = null;
                    Output.Write(",\n");
                    WriteItem(node);
                    break;
                default:
                    Output.Write(",\n");
                    WriteItem(node);
                    break;
            }
        }
    }

    // An item of the list, indented as System.Text.Json indents it inside "items".
    private void WriteItem(JsonNode node) =>
        Output.Write("    " + node.ToJsonString(Indented).Replace("\n", "\n    ", StringComparison.Ordinal));

    public override void Finish() => Output.Write(_count switch
    {
        0 => "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": []\n}\n",
        1 => _first!.ToJsonString(Indented) + "\n",
        _ => "\n  ]\n}\n",
    });
}

/// <summary>One entry per changed resource: where it is and the RFC 6902 patch that changes it (paths relative
/// to the resource, so <c>kubectl patch --type json</c> can apply it).</summary>
public sealed class PatchManifestWriter(TextWriter output) : ManifestWriter(output)
{
    private int _count;

    public override void Write(SourceChunk piece)
    {
        foreach (var document in piece.Chunk.Documents)
        {
            foreach (var resource in document.Result.Resources.Where(r => r.Outcome is ResourceOutcome.Injected or ResourceOutcome.Uninjected))
            {
                var entry = new JsonObject
                {
                    ["source"] = piece.Source.Name,
                    ["line"] = document.Line,
                    ["kind"] = resource.Kind,
                    ["namespace"] = resource.Namespace,
                    ["name"] = resource.Name,
                    ["template"] = resource.TemplatePath!.Count == 0 ? "" : "/" + string.Join('/', resource.TemplatePath),
                    ["patch"] = JsonNode.Parse(JsonPatch.ToJson(resource.Patch)),
                };
                Output.Write(_count++ == 0 ? "[\n  " : ",\n  ");
                Output.Write(entry.ToJsonString(Indented).Replace("\n", "\n  ", StringComparison.Ordinal));
            }
        }
    }

    public override void Finish() => Output.Write(_count == 0 ? "[]\n" : "\n]\n");
}

/// <summary>A unified diff per source that changed (<c>--- a/FILE</c>, <c>+++ b/FILE</c>, hunks with 3 lines of
/// context) between the input as read and the output as written, so it applies to the input with
/// <c>patch -p1</c> whatever its formatting.</summary>
public sealed class DiffManifestWriter(TextWriter output) : ManifestWriter(output)
{
    private ManifestSource? _source;
    private StreamingUnifiedDiff? _diff;

    public override void Write(SourceChunk piece)
    {
        if (!ReferenceEquals(piece.Source, _source))
        {
            _diff?.Finish();
            _source = piece.Source;
            var name = piece.Source.Name.TrimStart('/');
            _diff = new StreamingUnifiedDiff(Output, "a/" + name, "b/" + name);
        }
        var chunk = piece.Chunk;
        var before = chunk.Parsed.Chunk.Separator + chunk.Parsed.Chunk.Text;
        var after = chunk.Parsed.Failed ? "" : chunk.Parsed.Chunk.Separator + chunk.Output;
        _diff!.Add(before, after);
    }

    public override void Finish() => _diff?.Finish();
}

/// <summary>A unified diff written while the two texts are still being read, piece by piece: only the open
/// hunk and a few lines of context are held.</summary>
public sealed class StreamingUnifiedDiff(TextWriter output, string oldName, string newName, int context = 3)
{
    private readonly Queue<string> _leading = new();
    private readonly List<string> _hunk = [];
    private bool _open;
    private bool _headerWritten;
    private int _oldLine, _newLine;
    private int _hunkOld, _hunkNew, _oldCount, _newCount, _trailingEqual;

    /// <summary>Adds the next piece of both texts (equal pieces are passed through without a diff).</summary>
    public void Add(string before, string after)
    {
        if (before == after)
        {
            foreach (var line in UnifiedDiff.Lines(before)) Equal(line);
            return;
        }
        var a = UnifiedDiff.Lines(before);
        var b = UnifiedDiff.Lines(after);
        foreach (var (edit, oldIndex, newIndex) in UnifiedDiff.Script(a, b))
        {
            switch (edit)
            {
                case UnifiedDiff.Edit.Equal: Equal(a[oldIndex]); break;
                case UnifiedDiff.Edit.Delete: Change('-', a[oldIndex], old: true); break;
                default: Change('+', b[newIndex], old: false); break;
            }
        }
    }

    private void Equal(string line)
    {
        if (_open)
        {
            _hunk.Add(" " + line);
            _oldCount++;
            _newCount++;
            _trailingEqual++;
            // Two changes further apart than twice the context make two hunks.
            if (_trailingEqual > 2 * context) Close();
        }
        else
        {
            _leading.Enqueue(line);
            if (_leading.Count > context) _leading.Dequeue();
        }
        _oldLine++;
        _newLine++;
    }

    private void Change(char tag, string line, bool old)
    {
        if (!_open)
        {
            _open = true;
            _hunkOld = _oldLine - _leading.Count;
            _hunkNew = _newLine - _leading.Count;
            _oldCount = _newCount = _leading.Count;
            foreach (var context in _leading) _hunk.Add(" " + context);
            _leading.Clear();
        }
        _hunk.Add(tag + line);
        if (old) { _oldCount++; _oldLine++; }
        else { _newCount++; _newLine++; }
        _trailingEqual = 0;
    }

    private void Close()
    {
        // Keep `context` equal lines after the last change; the rest lead into the next hunk.
        var extra = Math.Max(0, _trailingEqual - context);
        var body = _hunk.Take(_hunk.Count - extra).ToList();
        foreach (var line in _hunk.Skip(_hunk.Count - extra).TakeLast(context)) _leading.Enqueue(line[1..]);
        if (!_headerWritten)
        {
            output.Write($"--- {UnifiedDiff.HeaderName(oldName)}\n+++ {UnifiedDiff.HeaderName(newName)}\n");
            _headerWritten = true;
        }
        output.Write($"@@ -{UnifiedDiff.Range(_hunkOld, _oldCount - extra)} +{UnifiedDiff.Range(_hunkNew, _newCount - extra)} @@\n");
        foreach (var line in body) output.Write(UnifiedDiff.Written(line));
        _hunk.Clear();
        _open = false;
        _trailingEqual = 0;
    }

    public void Finish()
    {
        if (_open) Close();
    }
}
