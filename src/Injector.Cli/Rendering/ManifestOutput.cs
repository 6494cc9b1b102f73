using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Injector.Core.Json;
using Injector.Manifests;

namespace Injector.Cli.Rendering;

/// <summary>What <c>appmesh-inject inject</c> writes to standard output: the manifests as YAML or JSON,
/// the JSON patch of each injected resource, or a unified diff against the input.</summary>
public static class ManifestOutput
{
    /// <summary>The output formats, as <c>-o</c> names them.</summary>
    public static readonly IReadOnlyList<string> Formats = ["yaml", "json", "patch", "diff"];

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Render(ManifestRun run, string format) => format switch
    {
        "json" => Json(run),
        "patch" => Patch(run),
        "diff" => Diff(run),
        _ => Yaml(run),
    };

    /// <summary>The manifests as YAML, in input order. Documents that were not changed are copied verbatim
    /// (comments and formatting kept); injected documents are rewritten, keeping only their leading comments;
    /// unreadable documents are left out.</summary>
    public static string Yaml(ManifestRun run) =>
        string.Join("---\n", run.Sources.Select(s => Render(s, injected: true)).Where(text => text.Length > 0));

    /// <summary>The output documents as JSON: the single document, or a <c>v1 List</c> of them all.</summary>
    public static string Json(ManifestRun run)
    {
        var documents = run.Sources.SelectMany(s => s.Chunks).SelectMany(c => c.Documents).Select(d => d.Result.Output).Where(n => n is not null).ToList();
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
    public static string Patch(ManifestRun run)
    {
        var entries = new JsonArray();
        foreach (var source in run.Sources)
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
    public static string Diff(ManifestRun run)
    {
        var output = new StringBuilder();
        foreach (var source in run.Sources)
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
}
