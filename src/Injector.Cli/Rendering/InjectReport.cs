using Injector.Manifests;

namespace Injector.Cli.Rendering;

/// <summary>What <c>appmesh-inject inject</c> writes to standard error: one line per resource and per
/// warning, in input order, then a summary of the counts.</summary>
public static class InjectReport
{
    public static IEnumerable<string> Lines(ManifestRun run)
    {
        foreach (var source in run.Sources)
        {
            foreach (var chunk in source.Chunks)
            {
                if (chunk.Parsed.Failed)
                {
                    yield return $"{source.Name}:{chunk.Parsed.ErrorLine}:{chunk.Parsed.ErrorColumn}: failed: {chunk.Parsed.Error!.TrimEnd('.')} (in the document starting at line {chunk.Parsed.Chunk.Line}); the document is left out of the output";
                    continue;
                }
                foreach (var document in chunk.Documents)
                {
                    foreach (var resource in document.Result.Resources)
                    {
                        if (resource.Input is null) continue;
                        var where = $"{source.Name}:{document.Line}: {Describe(resource)}";
                        yield return $"{where}: {Outcome(resource)}";
                        foreach (var warning in resource.Warnings) yield return $"{where}: warning: {warning}";
                    }
                }
            }
        }
    }

    /// <summary>The closing line: resources by outcome and unreadable documents.</summary>
    public static string Summary(ManifestRun run)
    {
        var c = run.Counts();
        return $"{c.Injected} injected, {c.Skipped} skipped, {c.PassedThrough} passed through, {c.Failed} failed, {c.Unreadable} unreadable";
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
}
