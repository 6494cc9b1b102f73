using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;

namespace Injector.Manifests;

/// <summary>One piece of a YAML stream between document markers, with the line it starts on (1-based).</summary>
/// <param name="Line">The line of the stream the piece starts on (1-based).</param>
/// <param name="Text">The piece's text, without its separating <c>---</c> line.</param>
/// <param name="StartsWithMarker">The piece begins with its own <c>--- …</c> line (content after the marker).</param>
public sealed record ManifestChunk(int Line, string Text, bool StartsWithMarker)
{
    /// <summary>The separator line before the piece, exactly as written (<c>---</c> and its line break); empty
    /// for a piece that starts the stream. A stream is its pieces' separators and texts, one after the other.</summary>
    public string Separator { get; init; } = "";

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

    /// <summary>Splits on document markers: lines that are exactly <c>---</c> or start with <c>--- </c>. Every
    /// piece is kept, blank ones too, so that the pieces put back together are the text.</summary>
    public static IReadOnlyList<ManifestChunk> Split(string text) => Read(new StringReader(text)).ToList();

    /// <summary>The pieces of a stream, read as they come: only one piece is held at a time. A stream that starts
    /// with <c>{</c> is read as kubectl reads it, as JSON: objects one after another without markers (what
    /// <c>jq '.items[]'</c> writes) are pieces of their own, each starting on the line of its <c>{</c>.</summary>
    public static IEnumerable<ManifestChunk> Read(TextReader reader)
    {
        var current = new StringBuilder();
        var currentLine = 1;
        var startsWithMarker = false;
        var separator = "";
        var lineNumber = 0;
        bool? jsonStream = null;
        var json = new JsonObjectEnd();
        foreach (var raw in Lines(reader))
        {
            lineNumber++;
            jsonStream ??= raw.AsSpan().TrimStart() is { IsEmpty: false } first ? first[0] == '{' : null;
            var (isMarker, markerWithContent) = Marker(raw);
            if (isMarker)
            {
                if (lineNumber > 1 || startsWithMarker || current.Length > 0) yield return new ManifestChunk(currentLine, current.ToString(), startsWithMarker) { Separator = separator };
                current.Clear();
                json = new JsonObjectEnd();
                startsWithMarker = markerWithContent;
                currentLine = startsWithMarker ? lineNumber : lineNumber + 1;
                separator = startsWithMarker ? "" : raw;
                if (!startsWithMarker) continue;
            }
            else if (jsonStream == true && !startsWithMarker && json.StartsNext(raw))
            {
                yield return new ManifestChunk(currentLine, current.ToString(), false) { Separator = separator };
                current.Clear();
                json = new JsonObjectEnd();
                currentLine = lineNumber;
                separator = "";
            }
            if (jsonStream == true && !startsWithMarker) json.Read(raw);
            current.Append(raw);
        }
        if (current.Length > 0 || separator.Length > 0)
            yield return new ManifestChunk(currentLine, current.ToString(), startsWithMarker) { Separator = separator };
    }

    /// <summary>Follows a piece that begins with a JSON object, line by line, to the line its object ends on, so
    /// that an object on a later line (after blank lines only) starts the next piece. A piece that is not one JSON
    /// object (other text after it, a closing bracket too many) is never split.</summary>
    private sealed class JsonObjectEnd
    {
        private bool _started, _givenUp, _inString, _escaped, _ended;
        private int _depth;

        /// <summary>Whether <paramref name="line"/> starts the next object: the piece's object has ended and the
        /// line begins with <c>{</c>.</summary>
        public bool StartsNext(string line)
        {
            if (!_ended) return false;
            var trimmed = line.AsSpan().TrimStart();
            if (trimmed.IsEmpty) return false;
            if (trimmed[0] == '{') return true;
            _ended = false;
            _givenUp = true;
            return false;
        }

        public void Read(string line)
        {
            if (_givenUp) return;
            foreach (var c in line)
            {
                if (_inString)
                {
                    if (_escaped) _escaped = false;
                    else if (c == '\\') _escaped = true;
                    else if (c == '"') _inString = false;
                    continue;
                }
                if (char.IsWhiteSpace(c)) continue;
                if (!_started)
                {
                    if (c != '{') { _givenUp = true; return; }
                    _started = true;
                }
                else if (_ended)
                {
                    // Something after the object on its own line or a later one: not a stream of objects.
                    _ended = false;
                    _givenUp = true;
                    return;
                }
                switch (c)
                {
                    case '"': _inString = true; break;
                    case '{' or '[': _depth++; break;
                    case '}' or ']':
                        if (--_depth < 0) { _givenUp = true; return; }
                        break;
                }
                if (_depth == 0) _ended = true;
            }
        }
    }

    private static (bool IsMarker, bool WithContent) Marker(string raw)
    {
        var line = raw.AsSpan().TrimEnd("\r\n");
        var isMarker = line is "---" || line.StartsWith("--- ", StringComparison.Ordinal) || line.StartsWith("---\t", StringComparison.Ordinal);
        return (isMarker, isMarker && line[3..].Trim().Length > 0);
    }

    // Lines with their line breaks, so that a piece is exactly the text it was read from; a byte-order mark
    // at the start of the stream is dropped.
    private static IEnumerable<string> Lines(TextReader reader)
    {
        var buffer = new char[16384];
        var line = new StringBuilder();
        var first = true;
        int read;
        while ((read = reader.Read(buffer, 0, buffer.Length)) > 0)
        {
            var start = 0;
            if (first && buffer[0] == '\uFEFF') start = 1;
            first = false;
            while (start < read)
            {
                var newline = Array.IndexOf(buffer, '\n', start, read - start);
                if (newline < 0)
                {
                    line.Append(buffer, start, read - start);
                    break;
                }
                line.Append(buffer, start, newline - start + 1);
                yield return line.ToString();
                line.Clear();
                start = newline + 1;
            }
        }
        if (line.Length > 0) yield return line.ToString();
    }

    /// <summary>Reads one chunk; line numbers in documents and errors are those of the whole stream. The
    /// error says what to do where a common mistake is recognised: binary input, a tab in indentation, an
    /// unrendered Helm template.</summary>
    public static ParsedChunk Parse(ManifestChunk chunk)
    {
        if (chunk.IsBlank) return new ParsedChunk(chunk, []);
        var nul = chunk.Text.IndexOf('\0', StringComparison.Ordinal);
        if (nul >= 0)
        {
            var (line, column) = Position(chunk.Text, nul);
            return new ParsedChunk(chunk, [], "the input is binary (it holds NUL bytes), not YAML or JSON", line + chunk.Line - 1, column);
        }
        var notUtf8 = chunk.Text.IndexOf(ManifestEncoding.NotUtf8, StringComparison.Ordinal);
        if (notUtf8 >= 0)
        {
            var (line, column) = Position(chunk.Text, notUtf8);
            return new ParsedChunk(chunk, [], "the input is not UTF-8 text here (saved as Latin-1 or Windows-1252?); YAML and JSON manifests are UTF-8: convert the file, e.g. with 'iconv -f WINDOWS-1252 -t UTF-8'", line + chunk.Line - 1, column);
        }
        try
        {
            var documents = YamlJson.ReadAll(chunk.Text)
                .Select(d => d with { Line = d.Line + chunk.Line - 1 })
                .ToList();
            return new ParsedChunk(chunk, documents);
        }
        catch (YamlLimitException ex)
        {
            // Valid YAML refused for what reading it would take: its own message, not "invalid YAML" and its hints.
            return new ParsedChunk(chunk, [], ex.Message, (int)ex.Start.Line + chunk.Line - 1, (int)ex.Start.Column);
        }
        catch (YamlException ex)
        {
            var errorLine = (int)ex.Start.Line;
            if (TabIndentation(chunk.Text) is var (tabLine, tabColumn))
                return new ParsedChunk(chunk, [], "YAML does not allow tabs for indentation; use spaces", tabLine + chunk.Line - 1, tabColumn);
            var message = PositionPrefix().Replace(ex.Message, "");
            var inner = ex.InnerException is YamlException nested ? ": " + PositionPrefix().Replace(nested.Message, "") : "";
            var template = chunk.Text.IndexOf("{{", StringComparison.Ordinal);
            var hint = template < 0 ? ""
                : $"; this looks like an unrendered Helm template ({{{{ … }}}} on line {Position(chunk.Text, template).Line + chunk.Line - 1}): render it with 'helm template' and give the result to appmesh-inject";
            return new ParsedChunk(chunk, [], "invalid YAML: " + message + inner + hint, errorLine + chunk.Line - 1, (int)ex.Start.Column);
        }
        catch (InvalidOperationException ex) when (ex.Source == "YamlDotNet")
        {
            // YamlDotNet's scanner fails this way, without a position, when a document ends inside a flow collection.
            var end = Position(chunk.Text, chunk.Text.TrimEnd().Length);
            return new ParsedChunk(chunk, [], "invalid YAML: the document ends before a flow mapping or sequence ({ … } or [ … ]) is closed",
                end.Line + chunk.Line - 1, end.Column);
        }
    }

    /// <summary>The first line whose indentation holds a tab, and the tab's column (1-based); the parser's own
    /// error can point far from it (a mapping that started lines before).</summary>
    private static (int Line, int Column)? TabIndentation(string text)
    {
        var line = 1;
        var start = 0;
        while (start < text.Length)
        {
            var i = start;
            while (i < text.Length && text[i] is ' ' or '\t')
            {
                if (text[i] == '\t') return (line, i - start + 1);
                i++;
            }
            var next = text.IndexOf('\n', start);
            if (next < 0) break;
            start = next + 1;
            line++;
        }
        return null;
    }

    private static (int Line, int Column) Position(string text, int index)
    {
        var line = 1 + text.AsSpan(0, index).Count('\n');
        var lineStart = text.LastIndexOf('\n', Math.Max(0, index - 1)) + 1;
        if (index == 0) lineStart = 0;
        return (line, index - lineStart + 1);
    }
}
