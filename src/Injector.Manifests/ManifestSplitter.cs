using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Injector.Core.Json;
using YamlDotNet.Core;

namespace Injector.Manifests;

/// <summary>One piece of a YAML stream between document markers, with the line it starts on (1-based).</summary>
/// <param name="Line">The line of the stream the piece starts on (1-based).</param>
/// <param name="Text">The piece's text, without its separating <c>---</c> line.</param>
/// <param name="StartsWithMarker">The piece begins with its own <c>--- …</c> line (content after the marker).</param>
public sealed record ManifestChunk(int Line, string Text, bool StartsWithMarker)
{
    /// <summary>Whether the piece has nothing but blank lines.</summary>
    public bool IsBlank => string.IsNullOrWhiteSpace(Text);

    /// <summary>The comment and blank lines the piece begins with (kept when its document is rewritten).</summary>
    public string LeadingComments
    {
        get
        {
            var end = 0;
            foreach (var line in Text.Split('\n'))
            {
                var trimmed = line.Trim();
                if (trimmed.Length > 0 && !trimmed.StartsWith('#')) break;
                end += line.Length + 1;
            }
            return end == 0 || IsBlank ? "" : Text[..Math.Min(end, Text.Length)].TrimStart('\n', '\r');
        }
    }
}

/// <summary>A chunk read as documents, or the reason it could not be read.</summary>
public sealed record ParsedChunk(ManifestChunk Chunk, IReadOnlyList<YamlDocument> Documents, string? Error = null, int ErrorLine = 0, int ErrorColumn = 0)
{
    public bool Failed => Error is not null;
}

/// <summary>Splits a multi-document YAML stream so that each document is read on its own: a broken document
/// is reported with its position and the others are still processed.</summary>
public static partial class ManifestSplitter
{
    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ", RegexOptions.CultureInvariant)]
    private static partial Regex PositionPrefix();

    /// <summary>Splits on document markers: lines that are exactly <c>---</c> or start with <c>--- </c>.</summary>
    public static IReadOnlyList<ManifestChunk> Split(string text)
    {
        if (text.StartsWith('\uFEFF')) text = text[1..];
        var chunks = new List<ManifestChunk>();
        var current = new StringBuilder();
        var currentLine = 1;
        var startsWithMarker = false;
        var lineNumber = 0;
        var lines = text.Split('\n');
        // A final newline ends the last line; it does not start another one.
        if (text.EndsWith('\n')) lines = lines[..^1];
        foreach (var raw in lines)
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            var isMarker = line == "---" || line.StartsWith("--- ", StringComparison.Ordinal) || line.StartsWith("---\t", StringComparison.Ordinal);
            if (isMarker)
            {
                chunks.Add(new ManifestChunk(currentLine, current.ToString(), startsWithMarker));
                current.Clear();
                startsWithMarker = line != "---" && line[3..].Trim().Length > 0;
                currentLine = startsWithMarker ? lineNumber : lineNumber + 1;
                if (!startsWithMarker) continue;
            }
            current.Append(raw).Append('\n');
        }
        var last = current.ToString();
        if (!text.EndsWith('\n') && last.EndsWith('\n')) last = last[..^1];
        chunks.Add(new ManifestChunk(currentLine, last, startsWithMarker));
        return chunks.Where(c => !c.IsBlank).ToList();
    }

    /// <summary>Reads one chunk; line numbers in documents and errors are those of the whole stream.</summary>
    public static ParsedChunk Parse(ManifestChunk chunk)
    {
        try
        {
            var documents = YamlJson.ReadAll(chunk.Text)
                .Select(d => d with { Line = d.Line + chunk.Line - 1 })
                .ToList();
            return new ParsedChunk(chunk, documents);
        }
        catch (YamlException ex)
        {
            var message = PositionPrefix().Replace(ex.Message, "");
            var inner = ex.InnerException is YamlException nested ? ": " + PositionPrefix().Replace(nested.Message, "") : "";
            return new ParsedChunk(chunk, [], "invalid YAML: " + message + inner, (int)ex.Start.Line + chunk.Line - 1, (int)ex.Start.Column);
        }
    }

    /// <summary>The Namespace documents' annotations, by namespace name (namespace-wide defaults offline).</summary>
    public static Dictionary<string, IReadOnlyDictionary<string, string>> NamespaceAnnotations(IEnumerable<JsonNode?> documents)
    {
        var result = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var document in documents)
        {
            if (document is not JsonObject obj) continue;
            if (PodTemplates.IsList(obj))
            {
                foreach (var (name, annotations) in NamespaceAnnotations(obj["items"]!.AsArray())) result[name] = annotations;
                continue;
            }
            if (JsonNodes.Str(obj["kind"]) != "Namespace" || JsonNodes.Str(obj["metadata"]?["name"]) is not { } ns) continue;
            result[ns] = JsonNodes.StringProperties(obj["metadata"]?["annotations"]);
        }
        return result;
    }
}
