using System.Text.Json.Nodes;
using Injector.Core.Admission;
using Injector.Core.Json;

namespace Injector.Manifests;

/// <summary>Whether the webhook configuration sends a namespace's pods to the injector at all.</summary>
public enum SelectionOutcome { Selected, NotSelected, Unknown }

/// <summary>The selection of one namespace, with the reason code and words when it is not selected or not known.</summary>
public sealed record NamespaceSelection(SelectionOutcome Outcome, string Reason = "", string Message = "")
{
    public static NamespaceSelection Selected { get; } = new(SelectionOutcome.Selected);
}

/// <summary>Finds the Namespace documents of sources (also inside lists) in a first, cheap pass: only pieces
/// that mention a Namespace are parsed.</summary>
public static class NamespaceScan
{
    public static Dictionary<string, NamespaceInfo> Read(IEnumerable<ManifestSource> sources)
    {
        var result = new Dictionary<string, NamespaceInfo>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            using var reader = source.Open();
            foreach (var chunk in ManifestSplitter.Read(reader))
            {
                if (!chunk.Text.Contains("Namespace", StringComparison.Ordinal)) continue;
                var parsed = ManifestSplitter.Parse(chunk);
                foreach (var (name, info) in FromDocuments(parsed.Documents.Select(d => d.Node))) result[name] = info;
            }
        }
        return result;
    }

    /// <summary>The Namespace documents among <paramref name="documents"/>, by name.</summary>
    public static IEnumerable<(string Name, NamespaceInfo Info)> FromDocuments(IEnumerable<JsonNode?> documents)
    {
        foreach (var document in documents)
        {
            foreach (var resource in PodTemplates.Resources(document))
            {
                if (JsonNodes.Str(resource["kind"]) != "Namespace" || JsonNodes.Str(JsonNodes.Path(resource, "metadata", "name")) is not { Length: > 0 } name) continue;
                yield return (name, new NamespaceInfo(JsonNodes.StringProperties(JsonNodes.Path(resource, "metadata", "labels")), JsonNodes.StringProperties(JsonNodes.Path(resource, "metadata", "annotations"))));
            }
        }
    }
}
