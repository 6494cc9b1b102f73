using System.Text.Json.Nodes;
using Injector.Configuration;
using Injector.Core.Admission;
using Injector.Core.Injection;
using Injector.Core.Json;
using Injector.Core.Settings;

namespace Injector.Cli.Tests;

/// <summary>The engine's golden pods, run through the command: the same pods as the webhook path.</summary>
public sealed class GoldenThroughCliTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "testdata", "inject");

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Folder, "*.yaml").Order(StringComparer.Ordinal)) data.Add(Path.GetFileName(file));
        return data;
    }

    private static string[] ExtraArgs(string file) =>
        File.ReadLines(Path.Combine(Folder, file))
            .TakeWhile(line => line.StartsWith('#'))
            .Where(line => line.StartsWith("# args:", StringComparison.Ordinal))
            .SelectMany(line => line["# args:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToArray();

    [Fact]
    public void The_golden_folder_is_there_and_not_empty() => Assert.True(Directory.GetFiles(Folder, "*.yaml").Length >= 10, $"too few cases in {Folder}");

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_command_gives_the_golden_pod(string file)
    {
        var result = Cli.Inject(null, ["-q", "-f", Path.Combine(Folder, file), .. ExtraArgs(file)]);

        Assert.Equal("", result.Stderr);
        var golden = YamlJson.Read(File.ReadAllText(Path.Combine(Folder, file + ".injected")));
        Cli.AssertJsonEqual(golden, Assert.Single(Cli.Documents(result.Stdout)));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task The_command_and_the_webhook_give_the_same_pod(string file)
    {
        var input = File.ReadAllText(Path.Combine(Folder, file));
        var pod = YamlJson.Read(input)!.AsObject();
        var loaded = SettingsLoader.Load([EngineOptions.Table], [.. Cli.BaseArgs, .. ExtraArgs(file)], new Dictionary<string, string>());
        var handler = new AdmissionHandler(new PodInjector(loaded.Get<InjectorSettings>()));
        var decision = await handler.HandleAsync(new AdmissionRequest
        {
            Uid = "golden",
            Resource = "pods",
            Kind = "Pod",
            Operation = "CREATE",
            Namespace = PodNamespace(pod),
            Object = pod.DeepClone().AsObject(), // the handler injects into the request's pod
        });
        var webhookPod = Cli.Apply(pod, JsonPatch.ToJson(decision.Response.Patch));

        var result = Cli.Inject(input, ["-q", "-f", "-", .. ExtraArgs(file)]);

        Cli.AssertJsonEqual(webhookPod, Assert.Single(Cli.Documents(result.Stdout)));
        Assert.Equal(decision.Response.Allowed ? 0 : 1, result.ExitCode);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Injecting_the_output_again_changes_nothing(string file)
    {
        var first = Cli.Inject(null, ["-q", "-f", Path.Combine(Folder, file), .. ExtraArgs(file)]);
        var second = Cli.Inject(first.Stdout, ["-q", "-f", "-", .. ExtraArgs(file)]);

        Assert.Equal(first.Stdout, second.Stdout);
        Assert.Equal(first.ExitCode, second.ExitCode);
    }

    private static string PodNamespace(JsonObject pod) =>
        pod["metadata"]?["namespace"] is JsonValue v && v.TryGetValue<string>(out var ns) ? ns : "default";
}
