using Injector.Manifests;

namespace Injector.Cli.Commands;

/// <summary><c>appmesh-inject uninject</c>: the manifests without what an App Mesh injector added, for teams
/// taking workloads out of the mesh.</summary>
internal static class UninjectCommand
{
    public static readonly CommandSpec Spec = new(
        "uninject",
        "remove what an App Mesh injector added to manifests",
        "uninject [FILE|DIR|-]... [-f FILE|DIR|-]... [-o yaml|json|patch|diff] [-q] [--continue-on-error]",
        """
        Removes from pods and pod templates exactly what this injector added — read from its status annotation
        (appmesh.k8s.aws/sidecarInjectorStatus): its containers, init containers, volumes and pull secret, the
        fields it created and the values it replaced — so that `inject | uninject` gives back the input byte for
        byte. Pods injected by the App Mesh controller or the archived aws-app-mesh-inject have no such record:
        their envoy, proxyinit, xray-daemon and tracing containers and volumes are recognised by name and content
        and removed, with the Cloud Map readiness gate; what cannot be told apart from your own (fsGroup 1337,
        the appmesh-ecr-secret pull secret, sidecarInjectorWebhook: enabled) is kept, with a warning, and a
        virtual gateway's own Envoy, an envoy alone in its pod and an xray-daemon beside no injected Envoy stay.
        Everything else passes through unchanged. Same report, output formats, exit codes and pipeline rule as inject.
        """,
        [ManifestCommand.FilenameFlag, ManifestCommand.OutputFlag("uninjected ones edited"), ManifestCommand.QuietFlag, ManifestCommand.ContinueOnErrorFlag],
        TakesFiles: true,
        TakesSettings: false);

    public static int Run(ParsedArgs args, Stream stdin, TextWriter stdout, TextWriter stderr)
    {
        var inputs = ManifestCommand.Inputs(args);
        Flags.Choice(args, "output", Rendering.ManifestWriter.Formats, "yaml");
        using var files = ManifestFiles.Open(inputs, stdin);
        return ManifestCommand.Run(args, files, new ManifestUninjector(), stdout, stderr, uninject: true, []);
    }
}
