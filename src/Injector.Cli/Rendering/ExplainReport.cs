using Injector.Cli.Explain;
using Injector.Cli.Selection;
using Injector.Core.Injection;
using Injector.Core.Json;
using Injector.Manifests;

namespace Injector.Cli.Rendering;

/// <summary>The text of <c>appmesh-inject explain</c>: for every pod template of the sources, whether the
/// webhook would see it (namespace selection, match conditions), the engine's decision, the names and the
/// effective settings with their sources. Written as the sources are read.</summary>
public static class ExplainReport
{
    /// <summary>Writes the report; returns whether any document was unreadable or would be denied.</summary>
    public static bool Write(TextWriter output, IEnumerable<ManifestSource> sources, ManifestInjector documents, IReadOnlyDictionary<string, string>? settingSources)
    {
        var failed = false;
        var explainer = new PodExplainer(documents.Injector, settingSources);
        var templates = 0;
        foreach (var (source, chunk) in ManifestReader.Parse(sources))
        {
            if (chunk.Failed)
            {
                failed = true;
                output.Write($"{source.Name}:{chunk.ErrorLine}:{chunk.ErrorColumn}: {chunk.Error}\n\n");
                continue;
            }
            foreach (var document in chunk.Documents)
            {
                foreach (var resource in PodTemplates.Resources(document.Node))
                {
                    var kind = JsonNodes.Str(resource["kind"]);
                    var path = PodTemplates.PathOf(resource);
                    if (path is null) continue;
                    templates++;
                    var resourceName = JsonNodes.Str(JsonNodes.Path(resource, "metadata", "name")) ?? "(no name)";
                    var @namespace = documents.NamespaceOf(resource);
                    var (pod, context) = documents.PodOf(resource);
                    output.Write($"{source.Name}:{document.Line}: {kind} {@namespace}/{resourceName} (pod template: {PodTemplates.Describe(path)})\n");
                    if (pod is null || context is null)
                    {
                        failed = true;
                        output.Write($"  would be injected: no (failed: {Reasons.InvalidPod}): {kind} has no pod template at {PodTemplates.Describe(path)}\n\n");
                        continue;
                    }
                    var selection = WebhookSelection.PodNotSent(pod) ?? documents.SelectionOf(@namespace);
                    var explanation = explainer.Explain(pod, context);
                    var result = explanation.Result;
                    var engine = result.Outcome switch
                    {
                        InjectionOutcome.Injected => $"yes ({result.Message})",
                        InjectionOutcome.Skipped => $"no (skipped: {result.Reason}): {result.Message}",
                        _ => $"no (denied: {result.Reason}): {result.Message}",
                    };
                    output.Write(selection.Outcome switch
                    {
                        SelectionOutcome.Selected => $"  namespace {@namespace}: {NamespaceWords(context)}\n  would be injected: {engine}\n",
                        SelectionOutcome.NotSelected => $"  would be injected: no (skipped: {selection.Reason}): {selection.Message}\n",
                        _ => $"  would be injected: unknown ({selection.Reason}): {selection.Message}; if the webhook sees it: {engine}\n",
                    });
                    if (selection.Outcome != SelectionOutcome.NotSelected && result.Outcome == InjectionOutcome.Denied) failed = true;
                    if (JsonNodes.Str(JsonNodes.Path(pod, "metadata", "labels", WebhookSelection.Label)) == "disabled")
                        output.Write($"  not sent to the webhook: the pod is labelled {WebhookSelection.Label}=disabled (object selector), so such pods are created even while the injector is down\n");
                    foreach (var condition in WebhookSelection.MatchConditions.Where(c => !c.Sends(pod)))
                        output.Write($"  not sent to the webhook: {condition.Why} (match condition {condition.Name}), so such pods are created even while the injector is down\n");
                    AppendSettings(output, explanation.Settings);
                    foreach (var warning in ManifestInjector.MisplacedAnnotations(resource, path, kind!).Concat(result.Warnings))
                        output.Write($"  warning: {warning}\n");
                    output.Write('\n');
                }
            }
        }
        if (templates == 0 && !failed) output.Write("no pod templates found (kinds read: " + string.Join(", ", PodTemplates.Kinds) + ", List)\n");
        return failed;
    }

    private static string NamespaceWords(PodContext context) =>
        context.NamespaceLabels.TryGetValue(WebhookSelection.Label, out var value)
            ? $"selected by the webhook configuration (labelled {WebhookSelection.Label}={value})"
            : "selected by the webhook configuration";

    // Names and values in columns; a value longer than 60 characters pushes only its own source out.
    private static void AppendSettings(TextWriter output, IReadOnlyList<ExplainedSetting> settings)
    {
        var width = settings.Max(x => x.Name.Length);
        var valueWidth = Math.Min(60, settings.Max(x => x.Value.Length));
        output.Write("  settings:\n");
        foreach (var setting in settings)
            output.Write($"    {setting.Name.PadRight(width)}  {setting.Value.PadRight(valueWidth)}  ({setting.Source})\n");
    }
}
