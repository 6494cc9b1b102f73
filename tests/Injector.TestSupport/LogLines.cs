using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Injector.TestSupport;

/// <summary>The webhook's JSON log lines as a process writes them: one object per line, each with the time it
/// was written, which tests compare without.</summary>
public static partial class LogLines
{
    /// <summary>Every line of <paramref name="output"/>, its <c>time</c> field removed (the other fields in order).</summary>
    public static List<string> Untimed(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => Time().Replace(l, "", 1)).ToList();

    /// <summary>Every line of <paramref name="output"/> as a JSON object (a line that is not one fails the test).</summary>
    public static List<JsonObject> Parse(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)?.AsObject() ?? throw new Xunit.Sdk.XunitException($"not a JSON object: {l}")).ToList();

    [GeneratedRegex("\"time\":\"[^\"]*\",")]
    private static partial Regex Time();
}
