using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Injector.Core.Injection;
using Injector.Core.Json;

namespace Injector.Core.Manifests;

/// <summary>A named manifest text: a file, or <c>-</c> for standard input.</summary>
public sealed record ManifestSource(string Name, string Text);

/// <summary>One document of a source and what became of it.</summary>
public sealed record ProcessedDocument(int Line, JsonNode? Input, DocumentResult Result);

/// <summary>One chunk of a source: its documents, or a parse error.</summary>
public sealed record ProcessedChunk(ParsedChunk Parsed, IReadOnlyList<ProcessedDocument> Documents)
{
    public bool Changed => Documents.Any(d => d.Result.Changed);
}

/// <summary>Everything done to one source.</summary>
public sealed record ProcessedSource(string Name, IReadOnlyList<ProcessedChunk> Chunks);

/// <summary>One line of the report: where, what, and the outcome.</summary>
public sealed record ReportLine(string Source, int Line, string Text, bool IsFailure);

/// <summary>Injects every workload of a set of manifest sources and renders the result as YAML, JSON,
/// per-resource JSON patches or a unified diff; the command-line tool is a thin host around it.</summary>
public sealed class ManifestRun
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public IReadOnlyList<ProcessedSource> Sources { get; }

    private ManifestRun(IReadOnlyList<ProcessedSource> sources) => Sources = sources;

    /// <summary>Whether any document was unreadable, invalid or denied (the command exits with 1).</summary>
    public bool HasFailures => Report().Any(r => r.IsFailure);

    /// <summary>Reads and injects every source. Namespace documents in the input act as the namespaces'
    /// annotations (namespace-wide defaults), as the webhook reads them from the cluster.</summary>
    public static ManifestRun Inject(IEnumerable<ManifestSource> sources, PodInjector injector, string defaultNamespace = "default")
    {
        var parsed = sources.Select(s => (s.Name, Chunks: ManifestStream.Split(s.Text).Select(ManifestStream.Parse).ToList())).ToList();
        var namespaces = ManifestStream.NamespaceAnnotations(parsed.SelectMany(s => s.Chunks).SelectMany(c => c.Documents).Select(d => d.Node));
        var manifests = new ManifestInjector(injector, new ManifestOptions(defaultNamespace, namespaces));
        return new ManifestRun(parsed.Select(s => new ProcessedSource(s.Name, s.Chunks.Select(c => new ProcessedChunk(c,
            c.Documents.Select(d => new ProcessedDocument(d.Line, d.Node, manifests.InjectDocument(d.Node))).ToList())).ToList())).ToList());
    }

    /// <summary>The report: one line per resource (and per warning), in input order.</summary>
    public IEnumerable<ReportLine> Report()
    {
        foreach (var source in Sources)
        {
            foreach (var chunk in source.Chunks)
            {
                if (chunk.Parsed.Failed)
                {
                    yield return new ReportLine(source.Name, chunk.Parsed.ErrorLine,
                        $"{source.Name}:{chunk.Parsed.ErrorLine}:{chunk.Parsed.ErrorColumn}: failed: {chunk.Parsed.Error!.TrimEnd('.')} (in the document starting at line {chunk.Parsed.Chunk.Line}); the document is left out of the output", true);
                    continue;
                }
                foreach (var document in chunk.Documents)
                {
                    foreach (var resource in document.Result.Resources)
                    {
                        if (resource.Input is null) continue;
                        var where = $"{source.Name}:{document.Line}: {Describe(resource)}";
                        yield return new ReportLine(source.Name, document.Line, $"{where}: {Outcome(resource)}", resource.Outcome == ResourceOutcome.Failed);
                        foreach (var warning in resource.Warnings)
                            yield return new ReportLine(source.Name, document.Line, $"{where}: warning: {warning}", false);
                    }
                }
            }
        }
    }

    private static string Describe(ResourceResult resource)
    {
        if (resource.Kind is null && resource.Name is null) return "document";
        var kind = resource.Kind ?? "(no kind)";
        var name = resource.Name ?? "(no name)";
        return resource.TemplatePath is null ? $"{kind} {name}" : $"{kind} {resource.Namespace}/{name}";
    }

    private static string Outcome(ResourceResult resource) => resource.Outcome switch
    {
        ResourceOutcome.Injected => $"injected (mesh {resource.Mesh}, virtual node {resource.VirtualNode})",
        ResourceOutcome.Skipped => $"skipped ({resource.Reason}): {resource.Message}",
        ResourceOutcome.Failed => $"failed ({resource.Reason}): {resource.Message}",
        _ => resource.Message.Length > 0 ? $"passed through ({resource.Message})" : "passed through",
    };

    /// <summary>The manifests as YAML, in input order. Documents that were not changed are copied verbatim
    /// (comments and formatting kept); injected documents are rewritten, keeping only their leading comments;
    /// unreadable documents are left out.</summary>
    public string ToYaml() => string.Join("---\n", Sources.Select(s => Render(s, injected: true)).Where(text => text.Length > 0));

    /// <summary>The output documents as JSON: the single document, or a <c>v1 List</c> of them all.</summary>
    public string ToJson()
    {
        var documents = Sources.SelectMany(s => s.Chunks).SelectMany(c => c.Documents).Select(d => d.Result.Output).Where(n => n is not null).ToList();
        var root = documents.Count == 1
            ? documents[0]!.DeepClone()
            : new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "List",
                ["items"] = new JsonArray(documents.Select(d => d!.DeepClone()).ToArray()),
            };
        return root.ToJsonString(Indented) + "\n";
    }

    /// <summary>One entry per injected resource: where it is and the RFC 6902 patch that injects it
    /// (paths relative to the resource, so <c>kubectl patch --type json</c> can apply it).</summary>
    public string ToPatch()
    {
        var entries = new JsonArray();
        foreach (var source in Sources)
        {
            foreach (var document in source.Chunks.SelectMany(c => c.Documents))
            {
                foreach (var resource in document.Result.Resources.Where(r => r.Outcome == ResourceOutcome.Injected))
                {
                    entries.Add((JsonNode)new JsonObject
                    {
                        ["source"] = source.Name,
                        ["line"] = document.Line,
                        ["kind"] = resource.Kind,
                        ["namespace"] = resource.Namespace,
                        ["name"] = resource.Name,
                        ["template"] = resource.TemplatePath!.Count == 0 ? "" : "/" + string.Join('/', resource.TemplatePath),
                        ["patch"] = JsonNode.Parse(JsonPatch.ToJson(resource.Patch)),
                    });
                }
            }
        }
        return entries.ToJsonString(Indented) + "\n";
    }

    /// <summary>A unified diff per source that changed. Both sides write an injected document the same way,
    /// so the hunks show only what injection added, not formatting.</summary>
    public string ToDiff()
    {
        var output = new StringBuilder();
        foreach (var source in Sources)
        {
            var before = Render(source, injected: false, keepFailed: true);
            var after = Render(source, injected: true);
            var name = source.Name.TrimStart('/');
            output.Append(UnifiedDiff.Create("a/" + name, "b/" + name, before, after));
        }
        return output.ToString();
    }

    private static string Render(ProcessedSource source, bool injected, bool keepFailed = false)
    {
        var output = new StringBuilder();
        foreach (var chunk in source.Chunks)
        {
            string text;
            if (chunk.Parsed.Failed)
            {
                if (!keepFailed) continue;
                text = chunk.Parsed.Chunk.Text;
            }
            else if (!chunk.Changed)
            {
                text = chunk.Parsed.Chunk.Text;
            }
            else
            {
                var nodes = chunk.Documents.Select(d => injected ? d.Result.Output : d.Input);
                var yaml = YamlJson.WriteAll(nodes);
                if (yaml.StartsWith("---\n", StringComparison.Ordinal)) yaml = yaml[4..];
                text = chunk.Parsed.Chunk.LeadingComments + yaml;
            }
            if (!text.EndsWith('\n')) text += "\n";
            // A separator between documents; a source starts without one, as most files do.
            if (output.Length > 0 && (!chunk.Parsed.Chunk.StartsWithMarker || chunk.Changed)) output.Append("---\n");
            output.Append(text);
        }
        return output.ToString();
    }

    /// <summary>Counts of resources by outcome, for a closing summary.</summary>
    public string Summary()
    {
        var resources = Sources.SelectMany(s => s.Chunks).SelectMany(c => c.Documents).SelectMany(d => d.Result.Resources).Where(r => r.Input is not null).ToList();
        var unreadable = Sources.SelectMany(s => s.Chunks).Count(c => c.Parsed.Failed);
        string Count(ResourceOutcome o) => resources.Count(r => r.Outcome == o).ToString(CultureInfo.InvariantCulture);
        return $"{Count(ResourceOutcome.Injected)} injected, {Count(ResourceOutcome.Skipped)} skipped, {Count(ResourceOutcome.PassedThrough)} passed through, {Count(ResourceOutcome.Failed)} failed, {unreadable} unreadable";
    }
}
