using System.Text.RegularExpressions;
using Injector.Cli;
using Injector.Core.Settings;
using Injector.Webhook;

namespace Injector.Shipping.Tests;

/// <summary>Each host takes its own options, and the README's Configuration section says which.</summary>
public sealed partial class HostOptionsTests
{
    private static IEnumerable<string> Names(IOptionTable table) => table.Options.Select(o => o.Name);

    [Fact]
    public void The_command_refuses_exactly_the_webhooks_own_options() =>
        Assert.Equal(Names(WebhookOptions.Table).Order(), CliApp.WebhookFlags.Order());

    [Fact]
    public void The_webhook_takes_the_engines_options_and_its_own()
    {
        Assert.Equal([EngineOptions.Table, WebhookOptions.Table], WebhookHost.OptionTables);
        Assert.Empty(Names(EngineOptions.Table).Intersect(Names(WebhookOptions.Table)));
    }

    [Fact]
    public void The_README_lists_the_engines_options_and_the_webhooks_in_two_tables()
    {
        var tables = ConfigurationTables();

        Assert.Equal(2, tables.Count);
        Assert.Equal(Names(EngineOptions.Table).Order(), tables[0].Order());
        Assert.Equal(Names(WebhookOptions.Table).Order(), tables[1].Order());
    }

    [Fact]
    public void Every_environment_variable_the_README_names_for_an_option_is_one_the_webhook_reads()
    {
        var section = ConfigurationSection();
        var read = WebhookHost.OptionTables.SelectMany(t => t.Options).SelectMany(o => o.EnvNames).Append("APPMESH_INJECT_CONFIG").ToHashSet();
        // The variables the README says are read: every APPMESH_* name, and the bare aliases.
        var named = EnvName().Matches(section).Select(m => m.Groups[1].Value)
            .Where(n => n.StartsWith("APPMESH_", StringComparison.Ordinal) || n is "MESH_NAME" or "AWS_REGION" or "KUBECONFIG")
            .Where(n => n != "APPMESH_INJECT_")
            .ToHashSet();

        Assert.Superset(new HashSet<string> { "APPMESH_INJECT_CONFIG", "APPMESH_NAME", "MESH_NAME", "APPMESH_REGION", "AWS_REGION", "APPMESH_LOG_LEVEL", "KUBECONFIG" }, named);
        Assert.Subset(read, named);
        // Every alias (a variable without the prefix) is named there.
        Assert.Subset(named, read.Where(n => !n.StartsWith("APPMESH_INJECT_", StringComparison.Ordinal)).ToHashSet());
    }

    /// <summary>What <c>--help</c> says an option's default is, and what the README's tables say, agree; and every
    /// engine option's help names its default (or says it is required), as the README does.</summary>
    [Fact]
    public void Each_options_help_names_the_default_the_README_gives()
    {
        var options = WebhookHost.OptionTables.SelectMany(t => t.Options).ToDictionary(o => o.Name);
        var problems = new List<string>();
        foreach (var line in ConfigurationSection().Split('\n').Where(l => l.StartsWith("| `--", StringComparison.Ordinal)))
        {
            var cells = line.Split('|');
            var flags = Flag().Matches(cells[1]).Select(m => m.Groups[1].Value).ToList();
            var defaults = cells[2].Split(", ").Select(d => d.Trim().Replace("`", "", StringComparison.Ordinal)).ToList();
            for (var i = 0; i < flags.Count; i++)
            {
                var readme = defaults.Count == 1 ? defaults[0] : defaults[i];
                var help = options[flags[i]].Help;
                var stated = HelpDefault().Match(help);
                if (readme == "(required)")
                {
                    if (!help.Contains("(required)", StringComparison.Ordinal)) problems.Add($"--{flags[i]}: the README says required, the help does not");
                    continue;
                }
                if (!stated.Success)
                {
                    if (EngineOptions.Table.Options.Any(o => o.Name == flags[i])) problems.Add($"--{flags[i]}: the help names no default (README: {readme})");
                    continue;
                }
                // "the --sidecar-* requests": each proxyinit resource defaults to its --sidecar-* counterpart.
                var expected = readme.Contains("--sidecar-*", StringComparison.Ordinal) ? "--" + flags[i].Replace("init-", "sidecar-", StringComparison.Ordinal) : readme.Split(" (")[0];
                var given = stated.Groups[1].Value.Split(';', ',')[0].Split(": ")[0];
                if (given != expected) problems.Add($"--{flags[i]}: the help says '{given}', the README '{expected}'");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>docs/operations.md says its flags are the webhook's own, which the command refuses: each flag in its
    /// tables is a webhook option, or an engine option its opening paragraph names as one the command takes too.</summary>
    [Fact]
    public void The_flags_docs_operations_lists_are_the_webhooks_or_named_as_the_commands_too()
    {
        var doc = File.ReadAllText(Path.Combine(Repo.Root, "docs", "operations.md"));
        var opening = doc[..doc.IndexOf("\n## ", StringComparison.Ordinal)];
        var listed = doc.Split('\n').Where(l => l.StartsWith("| `--", StringComparison.Ordinal)).SelectMany(l => Flag().Matches(l.Split('|')[1]).Select(m => m.Groups[1].Value)).Distinct();

        foreach (var flag in listed)
        {
            if (Names(WebhookOptions.Table).Contains(flag)) continue;
            Assert.True(Names(EngineOptions.Table).Contains(flag), $"--{flag} is no option of the webhook");
            Assert.True(opening.Contains($"`--{flag}`", StringComparison.Ordinal), $"--{flag} is an engine setting the command takes too, which the opening paragraph does not say");
        }
    }

    private static string ConfigurationSection()
    {
        var readme = File.ReadAllText(Path.Combine(Repo.Root, "README.md"));
        var start = readme.IndexOf("\n## Configuration\n", StringComparison.Ordinal);
        var end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        return readme[start..end];
    }

    /// <summary>The flags in the first column of each table of the Configuration section, table by table.</summary>
    private static List<List<string>> ConfigurationTables()
    {
        var tables = new List<List<string>>();
        List<string>? current = null;
        foreach (var line in ConfigurationSection().Split('\n'))
        {
            if (!line.StartsWith('|')) { current = null; continue; }
            if (current is null) tables.Add(current = []);
            current.AddRange(Flag().Matches(line.Split('|')[1]).Select(m => m.Groups[1].Value));
        }
        return tables;
    }

    [GeneratedRegex(@"`--([a-z0-9-]+)`")]
    private static partial Regex Flag();

    [GeneratedRegex(@"\(default:? ([^)]*)\)")]
    private static partial Regex HelpDefault();

    [GeneratedRegex(@"`([A-Z][A-Z0-9_]+)`")]
    private static partial Regex EnvName();
}
