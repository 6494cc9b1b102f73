using Injector.Cli.Rendering;
using Injector.Core.Injection;
using Injector.Core.Settings;
using Injector.Manifests;

namespace Injector.Cli.Commands;

/// <summary><c>appmesh-inject explain</c>: why each pod template would (not) be injected, with every
/// effective setting and its source.</summary>
internal static class ExplainCommand
{
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, IReadOnlyDictionary<string, string> environment)
    {
        var options = CommandLine.ParseManifestOptions(args, allowOutput: false);
        if (options.Help) { stdout.Write(CliApp.Help()); return CliApp.Ok; }
        var loaded = CommandLine.LoadSettings(options.Rest, environment);
        var manifests = ParsedManifests.Read(ManifestFiles.Read(options.Files, stdin));
        stdout.Write(ExplainReport.Render(manifests, new PodInjector(loaded.Get<InjectorSettings>()), loaded.Sources, options.Namespace, out var failed));
        return failed ? CliApp.Failed : CliApp.Ok;
    }
}
