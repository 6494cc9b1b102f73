using Injector.Cli.Rendering;
using Injector.Cli.Selection;
using Injector.Core.Injection;
using Injector.Core.Settings;
using Injector.Manifests;

namespace Injector.Cli.Commands;

/// <summary><c>appmesh-inject explain</c>: whether each pod template would be injected — following the
/// selection the cluster applies — and why, with every effective setting and its source.</summary>
internal static class ExplainCommand
{
    public static readonly CommandSpec Spec = new(
        "explain",
        "tell whether and how each pod template would be injected, and why",
        "explain [FILE|DIR|-]... [-f FILE|DIR|-]... [-n NAMESPACE] [flags] [settings]",
        """
        For every pod template: whether the webhook would see its pods (the webhook configuration's namespace
        selector — label appmesh.k8s.aws/sidecarInjectorWebhook enabled or disabled — its exclusions and match
        conditions), whether it would be injected and why (the webhook's reason codes), the mesh and virtual node,
        and each effective sidecar setting with its source: default, flag, environment variable, config file,
        namespace annotation, annotation, or how it was derived. Namespace labels come from Namespace documents in
        the input, --namespace-labels, or the cluster (--kubeconfig, or KUBECONFIG as kubectl reads it); without
        them the answer is "unknown", with what it would be if the webhook sees the pod.

        Exit codes: 0 every document read and none would be denied; 1 otherwise; 2 usage error.
        """,
        [ManifestCommand.FilenameFlag, ManifestCommand.NamespaceFlag, .. NamespaceSources.Flags],
        TakesFiles: true,
        TakesSettings: true);

    public static int Run(ParsedArgs args, Stream stdin, TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string> environment)
    {
        var inputs = ManifestCommand.Inputs(args);
        var ns = ManifestCommand.Namespace(args);
        var loaded = CliApp.LoadSettings(args.Settings, environment);
        using var files = ManifestFiles.Open(inputs, stdin);
        var notes = new List<string>();
        var options = NamespaceSources.Build(args, files.Sources, ns, environment, notes);
        foreach (var note in notes) stderr.WriteLine($"appmesh-inject: note: {note}");
        var documents = new ManifestInjector(new PodInjector(loaded.Get<InjectorSettings>()), options);
        return ExplainReport.Write(stdout, files.Sources, documents, loaded.Sources) ? CliApp.Failed : CliApp.Ok;
    }
}
