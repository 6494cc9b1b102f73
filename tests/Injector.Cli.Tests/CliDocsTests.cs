using System.Text.RegularExpressions;
using Injector.Cli.Commands;

namespace Injector.Cli.Tests;

/// <summary>docs/cli.md matches the commands: each command's flag table lists exactly its flags, and every flag
/// its usage lines name exists on that command (its own, or an engine setting for commands that take them).</summary>
public sealed partial class CliDocsTests
{
    [GeneratedRegex(@"`(--[a-z][a-z0-9-]*)`")]
    private static partial Regex TableFlag();

    [GeneratedRegex(@"(?<![\w-])(--[a-z][a-z0-9-]*)")]
    private static partial Regex AnyFlag();

    private static readonly string Doc = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "cli.md"));

    public static TheoryData<string> Commands()
    {
        var data = new TheoryData<string>();
        foreach (var command in CliApp.Commands) data.Add(command.Name);
        return data;
    }

    private static string Section(string command)
    {
        var start = Doc.IndexOf($"\n## {command}\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"docs/cli.md has no section '## {command}'");
        var end = Doc.IndexOf("\n## ", start + 4, StringComparison.Ordinal);
        return Doc[start..(end < 0 ? Doc.Length : end)];
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void The_flag_table_of_each_command_lists_exactly_its_flags(string command)
    {
        var spec = CliApp.Commands.Single(c => c.Name == command);
        var table = Section(command).Split('\n').Where(l => l.StartsWith("| `-", StringComparison.Ordinal));

        var documented = table.Select(row => TableFlag().Match(row.Split('|')[1]).Groups[1].Value).ToList();

        Assert.Equal(spec.Flags.Select(f => "--" + f.Long), documented);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Every_flag_in_a_commands_usage_lines_exists_on_that_command(string command)
    {
        var spec = CliApp.Commands.Single(c => c.Name == command);
        var known = spec.Flags.Select(f => "--" + f.Long).Append("--help").ToHashSet();
        if (spec.TakesSettings) known.UnionWith(Flags.SettingsOptions.Keys.Select(k => "--" + k));
        var usage = Section(command).Split('\n').Where(l => l.StartsWith($"appmesh-inject {command}", StringComparison.Ordinal) || l.StartsWith("  [--", StringComparison.Ordinal)).ToList();

        Assert.NotEmpty(usage);
        foreach (var line in usage)
        {
            foreach (Match flag in AnyFlag().Matches(line.Split('|')[0])) Assert.Contains(flag.Groups[1].Value, known);
        }
    }

    /// <summary>A usage line that does not end in "[flags]" lists them all — in the command's help and in docs/cli.md
    /// — so that a flag left out of it is not missed by someone who reads only that line.</summary>
    [Theory]
    [MemberData(nameof(Commands))]
    public void A_usage_line_without_flags_placeholder_names_every_flag_of_its_command(string command)
    {
        var spec = CliApp.Commands.Single(c => c.Name == command);
        var docsUsage = string.Join(" ", Section(command).Split('\n')
            .SkipWhile(l => !l.StartsWith($"appmesh-inject {command}", StringComparison.Ordinal))
            .TakeWhile(l => l.Length > 0 && !l.StartsWith("```", StringComparison.Ordinal)));

        foreach (var usage in new[] { spec.Usage, docsUsage })
        {
            if (usage.Contains("[flags]", StringComparison.Ordinal)) continue;
            var missing = spec.Flags.Where(f => !Names(usage, "--" + f.Long) && !(f.Short is { } s && Names(usage, "-" + s))).Select(f => "--" + f.Long);
            Assert.True(!missing.Any(), $"'{usage}' leaves out {string.Join(", ", missing)}");
        }
    }

    private static bool Names(string usage, string flag) =>
        Regex.IsMatch(usage, $@"(?<![\w-]){Regex.Escape(flag)}(?![\w-])");
}
