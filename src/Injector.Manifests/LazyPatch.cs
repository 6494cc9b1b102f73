using System.Collections;
using System.Text.Json.Nodes;
using Injector.Core.Json;

namespace Injector.Manifests;

/// <summary>The patch between a resource and what it became, computed only when asked for (<c>-o patch</c>):
/// the other outputs never need it, and a diff of every resource was a measurable part of a run's time.</summary>
internal sealed class LazyPatch(JsonNode before, JsonNode after) : IReadOnlyList<PatchOperation>
{
    private readonly Lazy<List<PatchOperation>> _operations = new(() => JsonPatch.Diff(before, after));

    public PatchOperation this[int index] => _operations.Value[index];

    public int Count => _operations.Value.Count;

    public IEnumerator<PatchOperation> GetEnumerator() => _operations.Value.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
