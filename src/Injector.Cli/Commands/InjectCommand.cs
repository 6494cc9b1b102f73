using Injector.Cli.Selection;
using Injector.Core.Injection;
using Injector.Core.Settings;
using Injector.Manifests;

namespace Injector.Cli.Commands;

/// <summary><c>appmesh-inject inject</c>: the manifests with their pod templates injected on standard
/// output, a report line per resource on standard error.</summary>
internal static class InjectCommand
{
    public static readonly CommandSpec Spec = new(
        "inject",
        "inject the sidecar into the pod templates of manifests",
        "inject [FILE|DIR|-]... [-f FILE|DIR|-]... [-o yaml|json|patch|diff] [-n NAMESPACE] [-q] [--continue-on-error] [flags] [settings]",
        """
        Reads Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob, ReplicationController and List
        documents (YAML or JSON), injects their pod templates with the webhook's engine and writes every document,
        in order, to standard output; other kinds pass through unchanged. Pods of namespaces the webhook would not
        see (unlabelled, or kube-system and the like) are skipped, when their labels are known from a Namespace
        document, --namespace-labels or the cluster. One report line per resource goes to standard error.
        When any document fails, nothing is written to standard output and the exit code is 1 (--continue-on-error
        writes the rest); in a pipeline, use `set -o pipefail` so that the failure stops it.

        Exit codes: 0 every document handled; 1 a document was unreadable, invalid or denied; 2 usage error.
        """,
        [ManifestCommand.FilenameFlag, ManifestCommand.OutputFlag("injected ones edited"), ManifestCommand.NamespaceFlag, ManifestCommand.QuietFlag, ManifestCommand.ContinueOnErrorFlag, .. NamespaceSources.Flags],
        TakesFiles: true,
        TakesSettings: true);

    public static int Run(ParsedArgs args, Stream stdin, TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string> environment)
    {
        var inputs = ManifestCommand.Inputs(args);
        var ns = ManifestCommand.Namespace(args);
        Flags.Choice(args, "output", Rendering.ManifestWriter.Formats, "yaml");
        var settings = CliApp.LoadSettings(args.Settings, environment).Get<InjectorSettings>();
        using var files = ManifestFiles.Open(inputs, stdin);
        var notes = new List<string>();
        var options = NamespaceSources.Build(args, files.Sources, ns, environment, notes);
        return ManifestCommand.Run(args, files, new ManifestInjector(new PodInjector(settings), options), stdout, stderr, uninject: false, notes);
    }
}
