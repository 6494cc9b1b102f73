using System.Text;
using Injector.Configuration;
using Injector.Core;
using Injector.Core.Settings;

namespace Injector.Cli.Commands;

/// <summary>One flag of a command.</summary>
/// <param name="Long">The long name without dashes: <c>output</c>.</param>
/// <param name="Short">The one-letter name, if any: <c>o</c>.</param>
/// <param name="Value">What the value is, for help (<c>FORMAT</c>); null for a switch.</param>
/// <param name="Help">One line of help.</param>
public sealed record FlagSpec(string Long, char? Short, string? Value, string Help)
{
    public bool TakesValue => Value is not null;

    public string Usage => (Short is { } s ? $"-{s}, " : "    ") + "--" + Long + (Value is null ? "" : " " + Value);
}

/// <summary>What a command takes: its own flags, positional files or not, and the engine's settings or not.</summary>
/// <param name="Name">The command's name.</param>
/// <param name="Summary">One line for the command list.</param>
/// <param name="Usage">The usage line after <c>appmesh-inject</c>.</param>
/// <param name="Description">What it does, for its help.</param>
/// <param name="Flags">Its own flags.</param>
/// <param name="TakesFiles">Words that are not flags are files (as <c>-f</c> gives them).</param>
/// <param name="TakesSettings">The engine's options are flags of this command.</param>
public sealed record CommandSpec(string Name, string Summary, string Usage, string Description, IReadOnlyList<FlagSpec> Flags, bool TakesFiles, bool TakesSettings);

/// <summary>A command line read against a <see cref="CommandSpec"/>.</summary>
public sealed class ParsedArgs
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    public bool Help { get; set; }

    /// <summary>Settings flags with their values, in the form the settings loader reads (<c>--name=value</c>).</summary>
    public List<string> Settings { get; } = [];

    public List<string> Positional { get; } = [];

    public void Add(string flag, string value) => (_values.TryGetValue(flag, out var list) ? list : _values[flag] = []).Add(value);

    public IReadOnlyList<string> All(string flag) => _values.TryGetValue(flag, out var list) ? list : [];

    /// <summary>The last value given for the flag (a later flag wins, as kubectl does), or the default.</summary>
    public string Get(string flag, string fallback) => _values.TryGetValue(flag, out var list) ? list[^1] : fallback;

    public string? Get(string flag) => _values.TryGetValue(flag, out var list) ? list[^1] : null;

    public bool Switch(string flag) => _values.TryGetValue(flag, out var list) && list[^1] is not "false";
}

/// <summary>Reads command lines the way kubectl users type them: <c>-o json</c>, <c>-ojson</c>, <c>-o=json</c>,
/// <c>--output json</c>, <c>--output=json</c>, switches alone or as <c>--quiet=true</c>, positional files,
/// and the engine's settings flags, which go to the settings loader (so their messages and sources stay its).</summary>
public static class Flags
{
    public static readonly FlagSpec HelpFlag = new("help", 'h', null, "show this help");

    /// <summary>The settings flags a command takes: the engine's option table (names and the controller's
    /// aliases), and <c>--config</c>.</summary>
    public static IReadOnlyDictionary<string, IOption?> SettingsOptions { get; } = BuildSettingsOptions();

    private static Dictionary<string, IOption?> BuildSettingsOptions()
    {
        var options = new Dictionary<string, IOption?>(StringComparer.Ordinal) { [SettingsLoader.ConfigOption] = null };
        foreach (var option in CliApp.OptionTables.SelectMany(t => t.Options))
        {
            options[option.Name] = option;
            foreach (var alias in option.FlagAliases) options[alias] = option;
        }
        return options;
    }

    public static ParsedArgs Parse(CommandSpec command, IReadOnlyList<string> args)
    {
        var parsed = new ParsedArgs();
        var own = command.Flags.Append(HelpFlag).ToList();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "-" || !arg.StartsWith('-'))
            {
                if (!command.TakesFiles) throw new UsageException($"unexpected argument '{arg}'");
                parsed.Positional.Add(arg);
                continue;
            }
            if (arg == "--")
            {
                if (!command.TakesFiles && i + 1 < args.Count) throw new UsageException($"unexpected argument '{args[i + 1]}'");
                parsed.Positional.AddRange(args.Skip(i + 1));
                break;
            }

            FlagSpec? flag;
            string? inline;
            string written;
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                var eq = arg.IndexOf('=');
                var name = eq < 0 ? arg[2..] : arg[2..eq];
                inline = eq < 0 ? null : arg[(eq + 1)..];
                written = "--" + name;
                flag = own.FirstOrDefault(f => f.Long == name);
                if (flag is null)
                {
                    i = Settings(command, parsed, args, i, name, inline);
                    continue;
                }
            }
            else
            {
                // -o json, -ojson, -o=json; a switch alone (-q).
                var letter = arg[1];
                flag = own.FirstOrDefault(f => f.Short == letter);
                written = "-" + letter;
                if (flag is null) throw Unknown(arg, command);
                inline = arg.Length == 2 ? null : arg[2] == '=' ? arg[3..] : arg[2..];
                if (!flag.TakesValue && inline is not null) throw new UsageException($"flag '-{letter}' takes no value (in '{arg}')");
            }

            if (flag == HelpFlag) { parsed.Help = true; continue; }
            if (!flag.TakesValue)
            {
                if (inline is not null && inline is not ("true" or "false")) throw new UsageException($"flag '{written}' is a switch: give it alone, or as {written}=true or {written}=false");
                parsed.Add(flag.Long, inline ?? "true");
                continue;
            }
            if (inline is null)
            {
                if (i + 1 >= args.Count) throw new UsageException($"flag '{written}' needs a value");
                inline = args[++i];
            }
            parsed.Add(flag.Long, inline);
        }
        return parsed;
    }

    // A flag that is not the command's own: an engine setting (for commands that take them), one of the
    // webhook's own options, or a mistake.
    private static int Settings(CommandSpec command, ParsedArgs parsed, IReadOnlyList<string> args, int i, string name, string? inline)
    {
        if (CliApp.WebhookFlags.Contains(name) && !command.Flags.Any(f => f.Long == name))
            throw new UsageException($"--{name} is a flag of the webhook (serving, TLS, cluster access); appmesh-inject {command.Name} does not take it", pointToHelp: false);
        if (!command.TakesSettings) throw Unknown(args[i], command);
        if (!SettingsOptions.TryGetValue(name, out var option))
        {
            // Closest to one of the command's own flags: say so here; otherwise the settings loader reports it
            // with every other configuration problem, suggesting a settings flag.
            if (Suggest.Closest(name, command.Flags.Select(f => f.Long)) is not null) throw Unknown(args[i], command);
            parsed.Settings.Add(args[i]);
            if (inline is null && i + 1 < args.Count && !args[i + 1].StartsWith('-')) parsed.Settings.Add(args[++i]);
            return i;
        }
        if (inline is not null)
        {
            parsed.Settings.Add($"--{name}={inline}");
            return i;
        }
        if (option is { IsBool: true })
        {
            // "--preview" alone means true; "--preview false" is read too (the next word is taken only when it is a boolean).
            if (i + 1 < args.Count && bool.TryParse(args[i + 1], out _)) parsed.Settings.Add($"--{name}={args[++i]}");
            else parsed.Settings.Add($"--{name}");
            return i;
        }
        if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal)) throw new UsageException($"flag '--{name}' needs a value");
        parsed.Settings.Add($"--{name}={args[++i]}");
        return i;
    }

    private static UsageException Unknown(string arg, CommandSpec command)
    {
        var name = arg.TrimStart('-').Split('=')[0];
        var known = command.Flags.Select(f => f.Long).Append("help");
        if (command.TakesSettings) known = known.Concat(SettingsOptions.Keys);
        var suggestion = name.Length > 1 ? Suggest.Closest(name, known) : null;
        var shown = arg.StartsWith("--", StringComparison.Ordinal) ? "--" + name : arg[..Math.Min(2, arg.Length)];
        return new UsageException($"unknown flag '{shown}' for appmesh-inject {command.Name}" + (suggestion is null ? "" : $"; did you mean '--{suggestion}'?"));
    }

    /// <summary>The help of one command: usage, what it does, its own flags and — for commands that take
    /// them — the engine's settings as the option table declares them.</summary>
    public static string Help(CommandSpec command)
    {
        var text = new StringBuilder();
        text.Append($"Usage: appmesh-inject {command.Usage}\n\n");
        text.Append(command.Description.TrimEnd()).Append("\n\nFlags:\n");
        var rows = command.Flags.Append(HelpFlag).Select(f => (f.Usage, f.Help)).ToList();
        var width = rows.Max(r => r.Usage.Length);
        foreach (var (usage, help) in rows) text.Append("  ").Append(usage.PadRight(width)).Append("  ").Append(help).Append('\n');
        if (command.TakesSettings)
        {
            text.Append("\nEngine settings (what goes into a pod; the webhook takes the same ones). Each is also read from its\n");
            text.Append("environment variable(s) and from the --config file, whose keys are the flag names; flags win:\n");
            var settings = SettingsLoader.Describe(CliApp.OptionTables).ToList();
            var settingsWidth = settings.Max(d => d.Flag.Length);
            foreach (var (flag, env, help) in settings) text.Append("  ").Append(flag.PadRight(settingsWidth)).Append("  ").Append(help).Append($" [env {env}]\n");
        }
        return text.ToString();
    }

    /// <summary>A case-insensitive choice (kubectl reads enums that way), given back in its canonical spelling.</summary>
    public static string Choice(ParsedArgs parsed, string flag, IReadOnlyList<string> choices, string fallback)
    {
        var value = parsed.Get(flag, fallback);
        return choices.FirstOrDefault(c => string.Equals(c, value, StringComparison.OrdinalIgnoreCase))
            ?? throw new UsageException($"--{flag}: '{value}' is not one of {string.Join(", ", choices)}");
    }
}
