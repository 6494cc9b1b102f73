using System.Text.Json.Nodes;
using Injector.Core.Injection;

namespace Injector.Manifests;

/// <summary>A named manifest text: a file, or <c>&lt;stdin&gt;</c> for standard input.</summary>
public sealed record ManifestSource(string Name, string Text);

/// <summary>A source split into chunks, each read as documents or with its parse error.</summary>
public sealed record ParsedSource(string Name, IReadOnlyList<ParsedChunk> Chunks);

/// <summary>Sources read into documents, with the annotations of the Namespace documents among them
/// (namespace-wide defaults offline, as the webhook reads them from the cluster).</summary>
public sealed record ParsedManifests(
    IReadOnlyList<ParsedSource> Sources,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> NamespaceAnnotations)
{
    public static ParsedManifests Read(IEnumerable<ManifestSource> sources)
    {
        var parsed = sources.Select(s => new ParsedSource(s.Name, ManifestSplitter.Split(s.Text).Select(ManifestSplitter.Parse).ToList())).ToList();
        var namespaces = ManifestSplitter.NamespaceAnnotations(parsed.SelectMany(s => s.Chunks).SelectMany(c => c.Documents).Select(d => d.Node));
        return new ParsedManifests(parsed, namespaces);
    }

    /// <summary>An injector for these documents: resources without a namespace go to <paramref name="defaultNamespace"/>.</summary>
    public ManifestInjector InjectorFor(PodInjector engine, string defaultNamespace = "default") =>
        new(engine, new ManifestOptions(defaultNamespace, NamespaceAnnotations));
}

/// <summary>One document of a source and what became of it.</summary>
public sealed record ProcessedDocument(int Line, JsonNode? Input, DocumentResult Result);

/// <summary>One chunk of a source: its documents, or a parse error.</summary>
public sealed record ProcessedChunk(ParsedChunk Parsed, IReadOnlyList<ProcessedDocument> Documents)
{
    public bool Changed => Documents.Any(d => d.Result.Changed);
}

/// <summary>Everything done to one source.</summary>
public sealed record ProcessedSource(string Name, IReadOnlyList<ProcessedChunk> Chunks);

/// <summary>How many resources ended in each outcome, and how many chunks could not be read.</summary>
public sealed record ManifestCounts(int Injected, int Skipped, int PassedThrough, int Failed, int Unreadable);

/// <summary>Injects every workload of a set of manifest sources and keeps, in input order, every chunk,
/// document and resource with its outcome; the command-line tool renders it.</summary>
public sealed class ManifestRun
{
    public IReadOnlyList<ProcessedSource> Sources { get; }

    private ManifestRun(IReadOnlyList<ProcessedSource> sources) => Sources = sources;

    /// <summary>Reads and injects every source. Namespace documents in the input act as the namespaces'
    /// annotations (namespace-wide defaults), as the webhook reads them from the cluster.</summary>
    public static ManifestRun Inject(IEnumerable<ManifestSource> sources, PodInjector injector, string defaultNamespace = "default")
    {
        var parsed = ParsedManifests.Read(sources);
        var manifests = parsed.InjectorFor(injector, defaultNamespace);
        return new ManifestRun(parsed.Sources.Select(s => new ProcessedSource(s.Name, s.Chunks.Select(c => new ProcessedChunk(c,
            c.Documents.Select(d => new ProcessedDocument(d.Line, d.Node, manifests.InjectDocument(d.Node))).ToList())).ToList())).ToList());
    }

    /// <summary>Every resource that was read (a document, or an item of a list), in input order, with the
    /// source and document it is in. Documents that are empty (<c>null</c>) have none.</summary>
    public IEnumerable<(ProcessedSource Source, ProcessedDocument Document, ResourceResult Resource)> Resources() =>
        from source in Sources
        from chunk in source.Chunks
        from document in chunk.Documents
        from resource in document.Result.Resources
        where resource.Input is not null
        select (source, document, resource);

    /// <summary>Whether any document was unreadable, invalid or denied (the command exits with 1).</summary>
    public bool HasFailures =>
        Sources.SelectMany(s => s.Chunks).Any(c => c.Parsed.Failed) || Resources().Any(r => r.Resource.Outcome == ResourceOutcome.Failed);

    /// <summary>Resources by outcome and unreadable chunks, for a closing summary.</summary>
    public ManifestCounts Counts()
    {
        var outcomes = Resources().Select(r => r.Resource.Outcome).ToList();
        int Count(ResourceOutcome o) => outcomes.Count(x => x == o);
        var unreadable = Sources.SelectMany(s => s.Chunks).Count(c => c.Parsed.Failed);
        return new ManifestCounts(Count(ResourceOutcome.Injected), Count(ResourceOutcome.Skipped), Count(ResourceOutcome.PassedThrough), Count(ResourceOutcome.Failed), unreadable);
    }
}
