using System.Text.Json.Nodes;
using Injector.Cli.Commands;
using Injector.Core.Settings;

namespace Injector.Cli.Tests;

/// <summary>Flags as a Kubernetes user types them, and help per command (issue 12, item 5).</summary>
public sealed class FlagsAndHelpTests
{
    private const string Pod = "kind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: b}]\n";

    [Theory]
    [InlineData("-ojson")]
    [InlineData("-o=json")]
    [InlineData("-o", "json")]
    [InlineData("--output", "json")]
    [InlineData("--output=json")]
    [InlineData("-o", "JSON")]
    public void The_output_flag_takes_every_kubectl_form(params string[] output)
    {
        var result = Cli.Run(Pod, ["inject", .. Cli.BaseArgs, "-q", "-f", "-", .. output]);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("Pod", JsonNode.Parse(result.Stdout)!["kind"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("-f={0}")]
    [InlineData("-f{0}")]
    [InlineData("--filename={0}")]
    [InlineData("{0}")]
    public void Files_are_given_with_f_in_any_form_or_as_positional_arguments(string form)
    {
        using var dir = new TempDir("flags");
        var file = dir.Write("pod.yaml", Pod);

        var result = Cli.Run(null, ["inject", .. Cli.BaseArgs, string.Format(System.Globalization.CultureInfo.InvariantCulture, form, file)]);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal($"{file}:1: Pod default/p: injected (mesh demo, virtual node p-default)", result.ReportLines[0]);
    }

    [Fact]
    public void Positional_files_and_f_files_are_read_in_the_order_given()
    {
        using var dir = new TempDir("flags");
        var a = dir.Write("a.yaml", Pod);
        var b = dir.Write("b.yaml", Pod.Replace("name: p", "name: q", StringComparison.Ordinal));

        var result = Cli.Run(null, ["inject", .. Cli.BaseArgs, "-q", "-o", "json", "-f", b, a]);

        Assert.Equal(["q", "p"], JsonNode.Parse(result.Stdout)!["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("fail", "Fail")]
    [InlineData("IGNORE", "Ignore")]
    public void The_failure_policy_is_read_in_any_case_as_kubectl_reads_enums(string given, string written)
    {
        var result = Cli.Run(null, "webhook-config", "--failure-policy", given, "-o", "json");

        Assert.Equal(written, JsonNode.Parse(result.Stdout)!["webhooks"]![0]!["failurePolicy"]!.GetValue<string>());
    }

    [Fact]
    public void Version_prints_the_version()
    {
        Assert.Equal((0, "appmesh-inject 0.1.0\n"), (Cli.Run(null, "--version").ExitCode, Cli.Run(null, "--version").Stdout));
    }

    [Theory]
    [InlineData("inject")]
    [InlineData("uninject")]
    [InlineData("explain")]
    [InlineData("check")]
    [InlineData("webhook-config")]
    public void Each_commands_help_lists_exactly_its_own_flags(string command)
    {
        var spec = CliApp.Commands.Single(c => c.Name == command);

        var result = Cli.Run(null, command, "--help");
        var same = Cli.Run(null, "help", command);

        Assert.Equal((0, ""), (result.ExitCode, result.Stderr));
        Assert.Equal(result.Stdout, same.Stdout);
        Assert.StartsWith($"Usage: appmesh-inject {command} ", result.Stdout);
        var listed = result.Stdout.Split('\n').SkipWhile(l => l != "Flags:").Skip(1).TakeWhile(l => l.Length > 0)
            .Select(l => l.Trim().Split(' ').First(w => w.StartsWith("--", StringComparison.Ordinal)).TrimEnd(',')).ToList();
        Assert.Equal([.. spec.Flags.Select(f => "--" + f.Long), "--help"], listed);
        var settings = result.Stdout.Split('\n').SkipWhile(l => !l.StartsWith("Engine settings", StringComparison.Ordinal)).Where(l => l.StartsWith("  --", StringComparison.Ordinal))
            .Select(l => l.Trim().Split(' ')[0]).ToList();
        Assert.Equal(spec.TakesSettings ? ["--config", .. EngineOptions.Table.Options.Select(o => "--" + o.Name)] : [], settings);
    }

    [Fact]
    public void The_overview_lists_the_commands_and_points_to_their_help()
    {
        var result = Cli.Run(null, "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("  appmesh-inject COMMAND --help     the command's flags\n", result.Stdout);
        foreach (var command in CliApp.Commands) Assert.Contains($"\n  {command.Name.PadRight(14)}  {command.Summary}\n", result.Stdout);
    }

    [Fact]
    public void Webhook_config_rejects_the_engines_settings_and_lists_none_in_its_help()
    {
        var result = Cli.Run(null, "webhook-config", "--mesh-name", "demo");

        Assert.Equal((2, "appmesh-inject: unknown flag '--mesh-name' for appmesh-inject webhook-config\nRun 'appmesh-inject webhook-config --help' for usage.\n"), (result.ExitCode, result.Stderr));
        Assert.DoesNotContain("--mesh-name", Cli.Run(null, "webhook-config", "--help").Stdout);
    }

    [Fact]
    public void A_boolean_setting_takes_a_value_only_when_it_is_a_boolean_so_a_file_can_follow()
    {
        using var dir = new TempDir("flags");
        var file = dir.Write("pod.yaml", Pod);

        var on = Cli.Run(null, ["inject", .. Cli.BaseArgs, "-q", "-o", "json", "--preview", file]);
        var off = Cli.Run(null, ["inject", .. Cli.BaseArgs, "-q", "-o", "json", "--preview", "false", file]);

        string Preview(CliResult r) => JsonNode.Parse(r.Stdout)!["spec"]!["containers"]![1]!["env"]!.AsArray().Single(e => e!["name"]!.GetValue<string>() == "APPMESH_PREVIEW")!["value"]!.GetValue<string>();
        Assert.Equal(("1", "0"), (Preview(on), Preview(off)));
    }

    [Fact]
    public void The_settings_flags_a_command_takes_are_the_option_tables_not_a_copy()
    {
        Assert.Equal(["config", .. EngineOptions.Table.Options.SelectMany(o => o.FlagAliases.Prepend(o.Name))], Flags.SettingsOptions.Keys);
    }
}
