using System.Text.Json.Nodes;

namespace Injector.Cli.Tests;

/// <summary>Any field of a manifest may hold a value of the wrong kind (a list where a mapping belongs, a string, a
/// number, null). Every command must then answer with a report and exit 0 or 1 — pass the document through, or
/// fail it with a reason — and never end with an exception (before this test: exit 134 and a stack trace for
/// <c>metadata: [a]</c>, <c>labels: [a]</c> or a template's <c>spec: []</c>).</summary>
public sealed class MalformedShapeTests
{
    private const string Deployment = """
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"api","namespace":"shop","labels":{"app":"api"},
         "annotations":{"note":"x"}},"spec":{"selector":{"matchLabels":{"app":"api"}},"template":{"metadata":
         {"labels":{"app":"api"},"annotations":{"appmesh.k8s.aws/ports":"8080"}},"spec":{"securityContext":{"runAsUser":1000},
         "containers":[{"name":"api","image":"shop/api:1","ports":[{"containerPort":8080}]}]}}}}
        """;

    private const string CronJob = """
        {"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"nightly"},"spec":{"schedule":"@daily","jobTemplate":
         {"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"job","image":"job:1"}]}}}}}}
        """;

    private static readonly string[][] Commands = [["inject", .. Cli.BaseArgs], ["uninject"], ["explain", .. Cli.BaseArgs]];

    private static readonly JsonNode?[] WrongValues = [new JsonArray(1), JsonValue.Create("x"), JsonValue.Create(1), null, new JsonObject()];

    /// <summary>Every object member of the document, by path, down to the containers.</summary>
    private static IEnumerable<string[]> Paths(JsonNode? node, string[] prefix)
    {
        if (node is not JsonObject obj || prefix.Length > 6) yield break;
        foreach (var (name, value) in obj)
        {
            string[] path = [.. prefix, name];
            yield return path;
            foreach (var inner in Paths(value, path)) yield return inner;
        }
    }

    private static JsonNode With(string json, string[] path, JsonNode? value)
    {
        var root = JsonNode.Parse(json)!;
        var parent = path[..^1].Aggregate(root, (node, name) => node[name]!);
        parent[path[^1]] = value?.DeepClone();
        return root;
    }

    public static TheoryData<string> Documents()
    {
        var injected = Cli.Inject(Deployment, "-f", "-", "-o", "json").Stdout;
        return new TheoryData<string> { Deployment, CronJob, injected };
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void A_field_of_the_wrong_kind_anywhere_gives_a_report_and_exit_0_or_1(string document)
    {
        Assert.NotEmpty(document);
        var checkedCount = 0;
        foreach (var path in Paths(JsonNode.Parse(document), []))
        {
            foreach (var value in WrongValues)
            {
                var input = With(document, path, value).ToJsonString();
                foreach (var args in Commands)
                {
                    var result = Cli.Run(input, [.. args, "-f", "-"]);
                    var where = $"{args[0]} with {string.Join('.', path)} = {value?.ToJsonString() ?? "null"}";
                    Assert.True(result.ExitCode is 0 or 1, $"{where}: exit {result.ExitCode}: {result.Stderr}");
                    Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
                    Assert.False(string.IsNullOrWhiteSpace(result.Stderr + result.Stdout), $"{where}: no report");
                    checkedCount++;
                }
            }
        }
        Assert.True(checkedCount > 100, $"only {checkedCount} variants");
    }
}
