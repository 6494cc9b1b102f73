using System.Text;
using Injector.Cli.Explain;
using Injector.Core.Injection;
using Injector.Core.Json;
using Injector.Manifests;

namespace Injector.Cli.Rendering;

/// <summary>The text of <c>appmesh-inject explain</c>: for every pod template of the sources, the decision,
/// the names and the effective settings with their sources.</summary>
public static class ExplainReport
{
    /// <summary>Renders the report; <paramref name="failed"/> tells whether any document was unreadable or would be denied.</summary>
    public static string Render(ParsedManifests manifests, PodInjector injector, IReadOnlyDictionary<string, string>? settingSources, string defaultNamespace, out bool failed)
    {
        failed = false;
        var documents = manifests.InjectorFor(injector, defaultNamespace);
        var explainer = new PodExplainer(injector, settingSources);
        var output = new StringBuilder();
        var templates = 0;
        foreach (var source in manifests.Sources)
        {
            foreach (var chunk in source.Chunks)
            {
                if (chunk.Failed)
                {
                    failed = true;
                    output.Append($"{source.Name}:{chunk.ErrorLine}:{chunk.ErrorColumn}: {chunk.Error}\n\n");
                    continue;
                }
                foreach (var document in chunk.Documents)
                {
                    foreach (var resource in PodTemplates.Resources(document.Node))
                    {
                        var kind = JsonNodes.Str(resource["kind"]);
                        var path = PodTemplates.PathOf(kind);
                        if (path is null) continue;
                        templates++;
                        var resourceName = JsonNodes.Str(resource["metadata"]?["name"]) ?? "(no name)";
                        var (pod, context) = documents.PodOf(resource);
                        output.Append($"{source.Name}:{document.Line}: {kind} {context?.Namespace ?? defaultNamespace}/{resourceName} (pod template: {PodTemplates.Describe(path)})\n");
                        if (pod is null || context is null)
                        {
                            failed = true;
                            output.Append($"  would be injected: no (failed: {Reasons.InvalidPod}): {kind} has no pod template at {PodTemplates.Describe(path)}\n\n");
                            continue;
                        }
                        var explanation = explainer.Explain(pod, context);
                        var result = explanation.Result;
                        output.Append(result.Outcome switch
                        {
                            InjectionOutcome.Injected => $"  would be injected: yes ({result.Message})\n",
                            InjectionOutcome.Skipped => $"  would be injected: no (skipped: {result.Reason}): {result.Message}\n",
                            _ => $"  would be injected: no (denied: {result.Reason}): {result.Message}\n",
                        });
                        if (result.Outcome == InjectionOutcome.Denied) failed = true;
                        AppendSettings(output, explanation.Settings);
                        foreach (var warning in ManifestInjector.MisplacedAnnotations(resource, path, kind!).Concat(result.Warnings))
                            output.Append($"  warning: {warning}\n");
                        output.Append('\n');
                    }
                }
            }
        }
        if (templates == 0 && !failed) output.Append("no pod templates found (kinds read: " + string.Join(", ", PodTemplates.Kinds) + ", List)\n");
        return output.ToString();
    }

    // Names and values in columns; a value longer than 60 characters pushes only its own source out.
    private static void AppendSettings(StringBuilder output, IReadOnlyList<ExplainedSetting> settings)
    {
        var width = settings.Max(x => x.Name.Length);
        var valueWidth = Math.Min(60, settings.Max(x => x.Value.Length));
        output.Append("  settings:\n");
        foreach (var setting in settings)
            output.Append($"    {setting.Name.PadRight(width)}  {setting.Value.PadRight(valueWidth)}  ({setting.Source})\n");
    }
}
