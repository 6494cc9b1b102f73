using System.Text.Json;
using System.Text.Json.Nodes;
using Injector.Core.Json;
using Microsoft.AspNetCore.JsonPatch.SystemTextJson;

namespace Injector.TestSupport;

/// <summary>Applies a patch with an independent RFC 6902 implementation (ASP.NET Core's), so that the
/// engine's own diff is not checked against itself.</summary>
public static class TestPatch
{
    public static JsonNode Apply(JsonNode document, IReadOnlyList<PatchOperation> operations) =>
        Apply(document, JsonPatch.ToJson(operations));

    public static JsonNode Apply(JsonNode document, string patchJson)
    {
        var patch = JsonSerializer.Deserialize<JsonPatchDocument>(patchJson)!;
        var target = document.DeepClone();
        patch.ApplyTo(target);
        return target;
    }
}
