using System.Text.Json.Nodes;
using Injector.Manifests;

namespace Injector.Cli.Tests;

public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public string[] ReportLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>Runs the command in memory, with a fixed environment (no variables leak in from the machine).</summary>
public static class Cli
{
    public static readonly string[] BaseArgs = ["--mesh-name", "demo", "--region", "us-west-2"];

    public static CliResult Run(string? stdin, params string[] args) => RunWith(new Dictionary<string, string>(), stdin, args);

    /// <summary>The command with these environment variables (and no others).</summary>
    public static CliResult RunWith(Dictionary<string, string> environment, string? stdin, params string[] args) =>
        RunBytes(environment, System.Text.Encoding.UTF8.GetBytes(stdin ?? ""), args);

    /// <summary>The command with standard input given as bytes (which need not be UTF-8).</summary>
    public static CliResult RunBytes(Dictionary<string, string> environment, byte[] stdin, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        using var input = new MemoryStream(stdin, writable: false);
        var code = CliApp.Run(args, input, stdout, stderr, environment);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary><c>inject</c> with the base settings and the given extra arguments.</summary>
    public static CliResult Inject(string? stdin, params string[] args) => Run(stdin, ["inject", .. BaseArgs, .. args]);

    public static void AssertJsonEqual(JsonNode? expected, JsonNode? actual) =>
        Assert.Equal(expected?.ToJsonString(), actual?.ToJsonString());

    public static List<JsonNode?> Documents(string yaml) => YamlJson.ReadAll(yaml).Select(d => d.Node).ToList();
}
