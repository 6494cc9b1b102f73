using Injector.Cli.Rendering;
using Injector.Core.Injection;
using Injector.Core.Settings;
using Injector.Manifests;

namespace Injector.Cli.Commands;

/// <summary><c>appmesh-inject inject</c>: the manifests with their pod templates injected on standard
/// output, a report line per resource on standard error.</summary>
internal static class InjectCommand
{
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string> environment)
    {
        var options = CommandLine.ParseManifestOptions(args, allowOutput: true);
        if (options.Help) { stdout.Write(CliApp.Help()); return CliApp.Ok; }
        var settings = CommandLine.LoadSettings(options.Rest, environment).Get<InjectorSettings>();
        var sources = ManifestFiles.Read(options.Files, stdin);

        var run = ManifestRun.Inject(sources, new PodInjector(settings), options.Namespace);
        stdout.Write(ManifestOutput.Render(run, options.Output));
        if (!options.Quiet)
        {
            foreach (var line in InjectReport.Lines(run)) stderr.WriteLine(line);
            stderr.WriteLine(InjectReport.Summary(run));
        }
        return run.HasFailures ? CliApp.Failed : CliApp.Ok;
    }
}
