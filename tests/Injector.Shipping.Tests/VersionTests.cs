using System.Text.RegularExpressions;
using System.Xml.Linq;
using Injector.Core;
using Injector.Core.Injection;

namespace Injector.Shipping.Tests;

/// <summary>The version is written once (Directory.Build.props) and everything that shows it agrees.</summary>
public partial class VersionTests
{
    private static string BuildVersion() =>
        XDocument.Load(Path.Combine(Repo.Root, "Directory.Build.props")).Descendants("Version").Single().Value;

    [Fact]
    public void The_engine_stamps_the_builds_version_into_the_status_annotation()
    {
        Assert.Equal(BuildVersion(), InjectorVersion.Current);
        Assert.Equal(BuildVersion(), PodInjector.Version);
    }

    [Fact]
    public void The_charts_appVersion_is_the_builds_version()
    {
        var chart = File.ReadAllText(Path.Combine(Repo.ChartDir, "Chart.yaml"));

        Assert.Equal($"\"{BuildVersion()}\"", AppVersion().Match(chart).Groups[1].Value);
    }

    [Fact]
    public void The_command_line_tool_prints_the_builds_version()
    {
        var stdout = new StringWriter();

        var code = Injector.Cli.CliApp.Run(["--version"], Stream.Null, stdout, TextWriter.Null, new Dictionary<string, string>());

        Assert.Equal((0, $"appmesh-inject {BuildVersion()}\n"), (code, stdout.ToString()));
    }

    [GeneratedRegex(@"(?m)^appVersion: *(\S+) *$")]
    private static partial Regex AppVersion();
}
