using System.Text.Json.Nodes;
using Injector.Manifests;

namespace Injector.Shipping.Tests;

/// <summary>Rendered manifests as JSON objects, read by the manifest library's YAML reader.</summary>
internal static class Yaml
{
    public static List<JsonObject> Documents(string manifests) =>
        YamlJson.ReadAll(manifests).Select(d => d.Node).OfType<JsonObject>().ToList();
}
