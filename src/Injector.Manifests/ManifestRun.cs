using System.Text.Json.Nodes;

namespace Injector.Manifests;

/// <summary>A named manifest stream: a file, or <c>&lt;stdin&gt;</c> for standard input. It can be opened
/// more than once (the namespaces are read in a first pass), and is read a piece at a time.</summary>
public sealed record ManifestSource(string Name, Func<TextReader> Open)
{
    public static ManifestSource FromText(string name, string text) => new(name, () => new StringReader(text));
}

/// <summary>What is done to each document of a run: injection, uninjection.</summary>
public interface IDocumentTransform
{
    DocumentResult Apply(JsonNode? document);
}

/// <summary>One document of a source and what became of it.</summary>
public sealed record ProcessedDocument(int Line, JsonNode? Input, DocumentResult Result);

/// <summary>One piece of a source: its documents (or its parse error) and the text written for it.</summary>
/// <param name="Parsed">The piece as read.</param>
/// <param name="Documents">Its documents and what became of each.</param>
public sealed record ProcessedChunk(ParsedChunk Parsed, IReadOnlyList<ProcessedDocument> Documents)
{
    public bool Changed => Documents.Any(d => d.Result.Changed);

    /// <summary>The text written for the piece (without its separator): the input text, with the changes
    /// written into it in place; empty for a piece that could not be read (it is left out).</summary>
    public string Output { get; init; } = "";

    /// <summary>The piece was changed but could not be edited in place, so the serializer wrote it (its
    /// comments inside are lost and its formatting normalised).</summary>
    public bool Rewritten { get; init; }
}

/// <summary>A processed piece and the source it belongs to.</summary>
public sealed record SourceChunk(ManifestSource Source, ProcessedChunk Chunk);

/// <summary>How many resources ended in each outcome, and how many pieces could not be read.</summary>
public sealed record ManifestCounts(int Injected, int Skipped, int PassedThrough, int Failed, int Unreadable, int Uninjected = 0);

/// <summary>Reads sources a piece at a time, applies a transform to every document and gives each piece
/// with its outcome and output text as soon as it is done, so that memory is bounded by the largest piece,
/// not by the input. Counts and failures are known once the pieces have been enumerated.</summary>
public sealed class ManifestRun(IEnumerable<ManifestSource> sources, IDocumentTransform transform)
{
    private int _injected, _skipped, _passed, _failed, _unreadable, _uninjected;

    public ManifestCounts Counts => new(_injected, _skipped, _passed, _failed, _unreadable, _uninjected);

    /// <summary>Whether any piece was unreadable or any resource invalid or denied (so far).</summary>
    public bool HasFailures => _failed + _unreadable > 0;

    /// <summary>How many pieces may be in work at once: enough to keep every core busy, few enough that memory
    /// stays bounded by that many pieces.</summary>
    public static int Window { get; } = Environment.ProcessorCount * 4;

    /// <summary>The processed pieces, in input order, read lazily. Pieces are independent, so up to
    /// <see cref="Window"/> of them are parsed and transformed in parallel ahead of the one given back.</summary>
    public IEnumerable<SourceChunk> Process()
    {
        var window = new Queue<(ManifestSource Source, Task<ProcessedChunk> Work)>();
        foreach (var source in sources)
        {
            using var reader = source.Open();
            foreach (var chunk in ManifestSplitter.Read(reader))
            {
                if (Environment.ProcessorCount == 1)
                {
                    yield return Counted(source, ProcessChunk(ManifestSplitter.Parse(chunk)));
                    continue;
                }
                window.Enqueue((source, Task.Run(() => ProcessChunk(ManifestSplitter.Parse(chunk)))));
                if (window.Count >= Window)
                {
                    var (done, work) = window.Dequeue();
                    yield return Counted(done, work.GetAwaiter().GetResult());
                }
            }
        }
        while (window.Count > 0)
        {
            var (done, work) = window.Dequeue();
            yield return Counted(done, work.GetAwaiter().GetResult());
        }
    }

    // Counted as the piece is given back, in order, on the caller's thread.
    private SourceChunk Counted(ManifestSource source, ProcessedChunk chunk)
    {
        if (chunk.Parsed.Failed) _unreadable++;
        foreach (var resource in Resources(chunk))
        {
            switch (resource.Outcome)
            {
                case ResourceOutcome.Injected: _injected++; break;
                case ResourceOutcome.Uninjected: _uninjected++; break;
                case ResourceOutcome.Skipped: _skipped++; break;
                case ResourceOutcome.Failed: _failed++; break;
                default: _passed++; break;
            }
        }
        return new SourceChunk(source, chunk);
    }

    /// <summary>Every resource of the processed pieces that was read (a document, or an item of a list).</summary>
    public static IEnumerable<ResourceResult> Resources(ProcessedChunk chunk) =>
        chunk.Documents.SelectMany(d => d.Result.Resources).Where(r => r.Input is not null);

    private ProcessedChunk ProcessChunk(ParsedChunk parsed)
    {
        if (parsed.Failed) return new ProcessedChunk(parsed, []);
        var documents = parsed.Documents.Select(d => new ProcessedDocument(d.Line, d.Node, transform.Apply(d.Node))).ToList();
        var chunk = new ProcessedChunk(parsed, documents);
        if (!chunk.Changed) return chunk with { Output = parsed.Chunk.Text };
        // One document, changed: written into its own text; otherwise (or when that fails) by the serializer.
        if (documents.Count == 1 && parsed.Documents[0].Root is { } root
            && YamlTextEdit.Apply(parsed.Chunk.Text, root, documents[0].Input, documents[0].Result.Output) is { } edited)
            return chunk with { Output = edited };
        var yaml = YamlJson.WriteAll(documents.Select(d => d.Result.Output));
        if (yaml.StartsWith("---\n", StringComparison.Ordinal)) yaml = yaml[4..];
        return chunk with { Output = parsed.Chunk.LeadingComments + yaml, Rewritten = true };
    }
}

/// <summary>The pieces of sources, read as documents (for <c>explain</c>, which changes nothing).</summary>
public static class ManifestReader
{
    public static IEnumerable<(ManifestSource Source, ParsedChunk Chunk)> Parse(IEnumerable<ManifestSource> sources)
    {
        foreach (var source in sources)
        {
            using var reader = source.Open();
            foreach (var chunk in ManifestSplitter.Read(reader)) yield return (source, ManifestSplitter.Parse(chunk));
        }
    }
}
