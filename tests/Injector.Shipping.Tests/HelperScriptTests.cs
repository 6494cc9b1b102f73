namespace Injector.Shipping.Tests;

/// <summary>scripts/publish-binaries.sh and fetch-tools.sh answer --help and refuse what they do not know before doing
/// anything (publish-binaries took an option for a runtime identifier and ended in MSBuild errors; fetch-tools ignored
/// its arguments and downloaded).</summary>
public sealed class HelperScriptTests
{
    private static readonly string PublishBinaries = Path.Combine(Repo.Root, "scripts", "publish-binaries.sh");
    private static readonly string FetchTools = Path.Combine(Repo.Root, "scripts", "fetch-tools.sh");

    [Theory]
    [InlineData("publish-binaries.sh")]
    [InlineData("fetch-tools.sh")]
    public void Help_is_the_scripts_opening_comment(string name)
    {
        var script = Path.Combine(Repo.Root, "scripts", name);
        var opening = File.ReadLines(script).Skip(1).TakeWhile(l => l.StartsWith('#')).Select(l => l.Length > 1 ? l[2..] : "");

        var result = ProcessRunner.Run("/bin/bash", [script, "--help"], new Dictionary<string, string?>());

        Assert.Equal((0, string.Join("\n", opening) + "\n", ""), (result.ExitCode, result.StdOut, result.StdErr));
    }

    [Fact]
    public void An_unknown_option_is_refused_before_anything_is_built()
    {
        var result = ProcessRunner.Run("/bin/bash", [PublishBinaries, "--bogus"], new Dictionary<string, string?> { ["PATH"] = "/usr/bin:/bin" });

        Assert.Equal((2, "", "publish-binaries: unknown option '--bogus' (arguments are runtime identifiers such as linux-x64; see --help)\n"),
            (result.ExitCode, result.StdOut, result.StdErr));
    }

    [Fact]
    public void Fetch_tools_refuses_an_argument_before_fetching()
    {
        var result = ProcessRunner.Run("/bin/bash", [FetchTools, "--force"], new Dictionary<string, string?> { ["PATH"] = "/usr/bin:/bin" });

        Assert.Equal((2, "", "fetch-tools: unknown argument '--force' (it takes none; see --help)\n"), (result.ExitCode, result.StdOut, result.StdErr));
    }
}
