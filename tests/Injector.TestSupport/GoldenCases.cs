using System.Text.Json.Nodes;
using Injector.Configuration;
using Injector.Core.Settings;
using Injector.Manifests;

namespace Injector.TestSupport;

/// <summary>The injection golden files: <c>testdata/inject/X.yaml</c> (a pod as the API server sends it;
/// a leading <c># args: …</c> comment adds settings flags) → <c>X.yaml.injected</c> (the pod after
/// injection; the same pod when it is skipped). New inputs are found automatically; set
/// <c>UPDATE_GOLDENS=1</c> to rewrite the expected files. The engine's, the webhook's and the command's
/// tests all read them from <c>tests/testdata/inject</c>.</summary>
public static class GoldenCases
{
    public const string UpdateVariable = "UPDATE_GOLDENS";
    public static readonly string[] BaseArgs = ["--mesh-name", "demo", "--region", "us-west-2"];

    public static bool Updating => Environment.GetEnvironmentVariable(UpdateVariable) == "1";

    public static string Directory { get; } = Path.Combine(RepoPaths.Root, "tests", "testdata", "inject");

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var file in System.IO.Directory.GetFiles(Directory, "*.yaml").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileNameWithoutExtension(file));
        return data;
    }

    public static string InputPath(string name) => Path.Combine(Directory, name + ".yaml");
    public static string GoldenPath(string name) => Path.Combine(Directory, name + ".yaml.injected");

    public static JsonObject ReadPod(string name) => YamlJson.Read(File.ReadAllText(InputPath(name)))!.AsObject();

    /// <summary>The case's settings flags: the base ones plus its <c># args:</c> line.</summary>
    public static string[] Args(string name)
    {
        var extra = File.ReadLines(InputPath(name))
            .TakeWhile(line => line.StartsWith('#'))
            .Where(line => line.StartsWith("# args:", StringComparison.Ordinal))
            .SelectMany(line => line["# args:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        return [.. BaseArgs, .. extra];
    }

    public static InjectorSettings Settings(string name)
    {
        var result = SettingsLoader.Load([EngineOptions.Table], Args(name), new Dictionary<string, string>());
        Assert.True(result.Ok, string.Join("\n", result.Errors));
        return result.Get<InjectorSettings>();
    }

    /// <summary>Compares with the golden text, or rewrites it when updating.</summary>
    public static void AssertMatchesGolden(string name, JsonNode actualPod)
    {
        var actual = YamlJson.Write(actualPod);
        var path = GoldenPath(name);
        if (Updating)
        {
            File.WriteAllText(path, actual);
            return;
        }
        Assert.True(File.Exists(path), $"{path} is missing; run the tests with {UpdateVariable}=1 to create it");
        Assert.Equal(File.ReadAllText(path), actual);
    }

    /// <summary>The golden pod as JSON, for comparing with a patched pod.</summary>
    public static JsonNode ReadGolden(string name) => YamlJson.Read(File.ReadAllText(GoldenPath(name)))!;
}
