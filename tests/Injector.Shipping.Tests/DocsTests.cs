using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Injector.Shipping.Tests;

public partial class DocsTests
{
    /// <summary>The GC settings the webhook's build writes into its runtimeconfig.json (what the image, dotnet run
    /// and bench/load.sh start with) are the ones docs/operations.md's Resources section names.</summary>
    [Fact]
    public void The_webhooks_gc_settings_are_the_ones_docs_operations_names()
    {
        var runtimeConfig = System.Text.Json.Nodes.JsonNode.Parse(
            File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "appmesh-inject-webhook.runtimeconfig.json")))!;
        var properties = runtimeConfig["runtimeOptions"]!["configProperties"]!;
        Assert.Equal(
            (false, 7, 6 * 1024 * 1024),
            ((bool)properties["System.GC.Server"]!, (int)properties["System.GC.ConserveMemory"]!, (int)properties["System.GC.Gen0MaxBudget"]!));

        var resources = LogDocsTests.Section("Resources").ReplaceLineEndings(" ");
        Assert.Contains("workstation GC, `ConserveMemory` 7", resources, StringComparison.Ordinal);
        Assert.Contains("caps the GC's gen0 budget at 6 MiB (`System.GC.Gen0MaxBudget`)", resources, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_chart_value_is_in_the_values_table_of_docs_install()
    {
        var documented = DocumentedKeys(File.ReadAllLines(Path.Combine(Repo.Root, "docs", "install.md")));
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(Repo.ChartDir, "values.yaml"))));

        var missing = Leaves((YamlMappingNode)stream.Documents[0].RootNode, "")
            .Where(key => !Prefixes(key).Any(documented.Contains))
            .ToList();

        Assert.Empty(missing);
    }

    /// <summary>The other way round: every key the values table names is one the chart takes (values.yaml, or
    /// values.schema.json for keys without a default), and each default written as one code span is values.yaml's.</summary>
    [Fact]
    public void Every_key_and_default_in_the_values_table_of_docs_install_is_the_charts()
    {
        var doc = File.ReadAllLines(Path.Combine(Repo.Root, "docs", "install.md"));
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(Repo.ChartDir, "values.yaml"))));
        var values = (YamlMappingNode)stream.Documents[0].RootNode;
        var schema = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(Repo.ChartDir, "values.schema.json")))!;
        var problems = new List<string>();

        var start = Array.IndexOf(doc, "## Values");
        foreach (var line in doc.Skip(start).TakeWhile(l => !l.StartsWith("## Certificates", StringComparison.Ordinal)).Where(l => l.StartsWith("| `", StringComparison.Ordinal)))
        {
            var cells = line.Split('|');
            var keys = new List<string>();
            string? first = null;
            foreach (Match m in Key().Matches(cells[1]))
            {
                var key = m.Groups[1].Value;
                if (key.StartsWith('.') && first is not null) key = first[..first.LastIndexOf('.')] + key;
                else first = key;
                keys.Add(key);
            }
            var defaults = cells[2].Trim().Split(" / ");
            for (var i = 0; i < keys.Count; i++)
            {
                var node = Find(values, keys[i]);
                if (node is null)
                {
                    if (!InSchema(schema, keys[i])) problems.Add($"{keys[i]}: not a value of the chart");
                    continue;
                }
                var cell = defaults.Length == keys.Count ? defaults[i] : defaults.Length == 1 ? defaults[0] : null;
                if (cell is null || SingleCode().Match(cell) is not { Success: true } code) continue;
                if (code.Groups[1].Value != Written(node)) problems.Add($"{keys[i]}: the table says `{code.Groups[1].Value}`, values.yaml {Written(node)}");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static YamlNode? Find(YamlMappingNode root, string key)
    {
        YamlNode? node = root;
        foreach (var part in key.Split('.'))
        {
            if (node is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(part), out node)) return null;
        }
        return node;
    }

    private static bool InSchema(System.Text.Json.Nodes.JsonNode schema, string key)
    {
        var node = schema;
        foreach (var part in key.Split('.'))
        {
            if (node?["$ref"]?.GetValue<string>() is { } reference) node = schema["definitions"]?[reference.Split('/')[^1]];
            node = node?["properties"]?[part];
            if (node is null) return false;
        }
        return true;
    }

    /// <summary>A value as the table writes it: <c>""</c>, <c>[a, b]</c>, <c>{}</c>, <c>key: value</c>.</summary>
    private static string Written(YamlNode node) => node switch
    {
        YamlScalarNode { Value: "" } => "\"\"",
        YamlScalarNode scalar => scalar.Value!,
        YamlSequenceNode list => "[" + string.Join(", ", list.Children.Select(Written)) + "]",
        YamlMappingNode map => map.Children.Count == 0 ? "{}" : string.Join(", ", map.Children.Select(c => $"{Written(c.Key)}: {Written(c.Value)}")),
        _ => node.ToString(),
    };

    /// <summary>A cell that is one code span, optionally followed by a remark in brackets.</summary>
    [GeneratedRegex(@"^`([^`]*)`(?: \(.*\))?$")]
    private static partial Regex SingleCode();

    /// <summary>docs/operations.md's RBAC table is the chart's ClusterRole (with the caBundle rule it adds for
    /// <c>webhook.patchCaBundle</c>): every resource with exactly the verbs the chart grants.</summary>
    [Fact]
    public void The_RBAC_table_of_docs_operations_is_the_charts_cluster_role()
    {
        var rows = LogDocsTests.Section("Kubernetes API access").Split('\n')
            .SkipWhile(l => !l.StartsWith("### RBAC the webhook needs", StringComparison.Ordinal))
            .Where(l => l.StartsWith("| `", StringComparison.Ordinal));
        var documented = new List<string>();
        foreach (var row in rows)
        {
            var cells = row.Split('|');
            var verbs = string.Join(",", cells[2].Split(',', StringSplitOptions.TrimEntries));
            foreach (Match m in Resource().Matches(cells[1]))
                documented.Add($"{(m.Groups[2].Success ? m.Groups[2].Value : "")} {m.Groups[1].Value} [{verbs}]");
        }

        var role = Helm.Render("--set", "webhook.patchCaBundle=true").Single<k8s.Models.V1ClusterRole>();

        Assert.Equal(role.Rules.Select(r => $"{string.Join(",", r.ApiGroups)} {string.Join(",", r.Resources)} [{string.Join(",", r.Verbs)}]"), documented);
    }

    /// <summary>`replicasets.apps` (resource and group) or `events` (the core group).</summary>
    [GeneratedRegex(@"`([a-z]+)(?:\.([a-z0-9.-]+))?`")]
    private static partial Regex Resource();

    /// <summary>Keys named in the first cell of the values table; "`a.b` / `.c`" names a.b and a.c.</summary>
    private static HashSet<string> DocumentedKeys(string[] doc)
    {
        var start = Array.IndexOf(doc, "## Values");
        var keys = new HashSet<string>();
        foreach (var line in doc.Skip(start).TakeWhile(l => !l.StartsWith("## Certificates")).Where(l => l.StartsWith("| `")))
        {
            string? first = null;
            foreach (Match m in Key().Matches(line.Split('|')[1]))
            {
                var key = m.Groups[1].Value;
                if (key.StartsWith('.') && first is not null) key = first[..first.LastIndexOf('.')] + key;
                else first = key;
                keys.Add(key);
            }
        }
        return keys;
    }

    private static IEnumerable<string> Leaves(YamlMappingNode node, string prefix)
    {
        foreach (var (k, v) in node.Children)
        {
            var key = prefix + ((YamlScalarNode)k).Value;
            if (v is YamlMappingNode { Children.Count: > 0 } map) foreach (var leaf in Leaves(map, key + ".")) yield return leaf;
            else yield return key;
        }
    }

    private static IEnumerable<string> Prefixes(string key)
    {
        var parts = key.Split('.');
        for (var i = parts.Length; i > 0; i--) yield return string.Join('.', parts[..i]);
    }

    [GeneratedRegex(@"`([A-Za-z0-9.]+)`")]
    private static partial Regex Key();
}
