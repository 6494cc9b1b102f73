using Injector.Manifests;

namespace Injector.Cli.Rendering;

/// <summary>One line of the report: its text, and whether it is about a failure (shown even with <c>-q</c>).</summary>
public readonly record struct ReportLine(string Text, bool Failure);

/// <summary>What <c>appmesh-inject inject</c> and <c>uninject</c> write to standard error: one line per
/// resource and per warning, in input order, then a summary of the counts.</summary>
public static class InjectReport
{
    public static IEnumerable<ReportLine> Lines(SourceChunk piece)
    {
        var chunk = piece.Chunk;
        var source = piece.Source.Name;
        if (chunk.Parsed.Failed)
        {
            yield return new($"{source}:{chunk.Parsed.ErrorLine}:{chunk.Parsed.ErrorColumn}: failed: {chunk.Parsed.Error!.TrimEnd('.')} (in the document starting at line {chunk.Parsed.Chunk.Line}); the document is left out of the output", true);
            yield break;
        }
        foreach (var document in chunk.Documents)
        {
            foreach (var resource in document.Result.Resources)
            {
                if (resource.Input is null) continue;
                var where = $"{source}:{document.Line}: {Describe(resource)}";
                yield return new($"{where}: {Outcome(resource)}", resource.Outcome == ResourceOutcome.Failed);
                foreach (var warning in resource.Warnings) yield return new($"{where}: warning: {warning}", false);
            }
        }
        if (chunk.Rewritten)
            yield return new($"{source}:{chunk.Parsed.Chunk.Line}: note: this document could not be edited in place, so it was written anew: comments inside it are lost and its formatting is normalised", false);
    }

    /// <summary>All the lines of a run (enumerating it), for tests and small inputs.</summary>
    public static List<string> Lines(ManifestRun run) => run.Process().SelectMany(Lines).Select(l => l.Text).ToList();

    /// <summary>The closing line: resources by outcome and unreadable documents.</summary>
    public static string Summary(ManifestCounts c, bool uninject = false) => uninject
        ? $"{c.Uninjected} uninjected, {c.Skipped} not injected, {c.PassedThrough} passed through, {c.Failed} failed, {c.Unreadable} unreadable"
        : $"{c.Injected} injected, {c.Skipped} skipped, {c.PassedThrough} passed through, {c.Failed} failed, {c.Unreadable} unreadable";

    private static string Describe(ResourceResult resource)
    {
        if (resource.Kind is null && resource.Name is null) return "document";
        var kind = resource.Kind ?? "(no kind)";
        var name = resource.Name ?? "(no name)";
        return resource.TemplatePath is null ? $"{kind} {name}" : $"{kind} {resource.Namespace ?? "default"}/{name}";
    }

    private static string Outcome(ResourceResult resource) => resource.Outcome switch
    {
        ResourceOutcome.Injected => $"injected (mesh {resource.Mesh}, virtual node {resource.VirtualNode})",
        ResourceOutcome.Uninjected => $"uninjected ({resource.Message})",
        ResourceOutcome.Skipped => $"skipped ({resource.Reason}): {resource.Message}",
        ResourceOutcome.Failed => $"failed ({resource.Reason}): {resource.Message}",
        _ => resource.Message.Length > 0 ? $"passed through ({resource.Message})" : "passed through",
    };
}
