using System.Text.Json.Nodes;

namespace Injector.Manifests;

/// <summary>Applies a per-resource step to a document: the document itself, or each item of a list (and of
/// lists in it), rebuilding the list only when an item changed.</summary>
internal static class ResourceWalk
{
    public static DocumentResult Document(JsonNode? document, Func<JsonObject, ResourceResult> step)
    {
        if (document is not JsonObject resource)
        {
            return new DocumentResult(document, [new ResourceResult
            {
                Outcome = ResourceOutcome.PassedThrough,
                Message = "not a Kubernetes object",
                Input = document,
                Output = document,
            }]);
        }
        if (!PodTemplates.IsList(resource))
        {
            var result = step(resource);
            return new DocumentResult(result.Output, [result]);
        }

        var list = (JsonObject)resource.DeepClone();
        var items = list["items"]!.AsArray();
        var results = new List<ResourceResult>();
        var original = resource["items"]!.AsArray();
        for (var i = 0; i < items.Count; i++)
        {
            var item = Document(original[i], step);
            results.AddRange(item.Resources);
            if (!ReferenceEquals(item.Output, original[i])) items[i] = item.Output?.DeepClone();
        }
        var changed = new DocumentResult(list, results).Changed;
        return new DocumentResult(changed ? list : resource, results);
    }
}
