using Injector.Core.Admission;
using Injector.Core.Injection;
using Injector.Core.Json;

namespace Injector.Cli.Tests;

/// <summary>The engine's golden pods, run through the command: the same pods as the webhook path.</summary>
public sealed class GoldenThroughCliTests
{
    public static TheoryData<string> Cases => GoldenCases.Names();

    /// <summary><c>inject</c> with the case's settings flags and the given extra arguments.</summary>
    private static CliResult Inject(string name, string? stdin, params string[] args) => Cli.Run(stdin, ["inject", .. GoldenCases.Args(name), .. args]);

    [Fact]
    public void The_golden_folder_is_there_and_not_empty() =>
        Assert.True(Directory.GetFiles(GoldenCases.Directory, "*.yaml").Length >= 10, $"too few cases in {GoldenCases.Directory}");

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_command_gives_the_golden_pod(string name)
    {
        var result = Inject(name, null, "-q", "-f", GoldenCases.InputPath(name));

        Assert.Equal("", result.Stderr);
        Cli.AssertJsonEqual(GoldenCases.ReadGolden(name), Assert.Single(Cli.Documents(result.Stdout)));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task The_command_and_the_webhook_give_the_same_pod(string name)
    {
        var pod = GoldenCases.ReadPod(name);
        var handler = new AdmissionHandler(new PodInjector(GoldenCases.Settings(name)));
        // The handler injects into the request's own pod, a copy of the one read.
        var decision = await handler.HandleAsync(Reviews.Request(pod, uid: "golden"));
        var webhookPod = TestPatch.Apply(pod, JsonPatch.ToJson(decision.Response.Patch));

        var result = Inject(name, File.ReadAllText(GoldenCases.InputPath(name)), "-q", "-f", "-");

        Cli.AssertJsonEqual(webhookPod, Assert.Single(Cli.Documents(result.Stdout)));
        Assert.Equal(decision.Response.Allowed ? 0 : 1, result.ExitCode);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Injecting_the_output_again_changes_nothing(string name)
    {
        var first = Inject(name, null, "-q", "-f", GoldenCases.InputPath(name));
        var second = Inject(name, first.Stdout, "-q", "-f", "-");

        Assert.Equal(first.Stdout, second.Stdout);
        Assert.Equal(first.ExitCode, second.ExitCode);
    }
}
