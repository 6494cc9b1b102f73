using Injector.Cli.Rendering;
using Injector.Configuration;
using Injector.Core;

namespace Injector.Cli.Commands;

/// <summary>The arguments of <c>inject</c> and <c>explain</c>: their own flags, and the settings flags they pass on.</summary>
internal sealed record ManifestArgs(List<string> Files, string Output, string Namespace, bool Quiet, bool Help, List<string> Rest);

/// <summary>Reading the command line: flags with inline or separate values, suggestions for unknown
/// flags, and the settings loader's answer turned into a usage error.</summary>
internal static class CommandLine
{
    // The command's own flags; everything else goes to the settings loader, which knows the engine's options.
    public static ManifestArgs ParseManifestOptions(string[] args, bool allowOutput)
    {
        var result = new ManifestArgs([], "yaml", "default", false, false, []);
        var ns = "default";
        var output = "yaml";
        var quiet = false;
        var help = false;
        for (var i = 0; i < args.Length; i++)
        {
            var (name, inline) = SplitFlag(args[i]);
            string Value() => inline ?? (i + 1 < args.Length ? args[++i] : throw new UsageException($"flag '{name}' needs a value"));
            switch (name)
            {
                case "-f" or "--filename": result.Files.Add(Value()); break;
                case "-n" or "--namespace": ns = Value(); break;
                case "-o" or "--output" when allowOutput: output = Value(); break;
                case "-q" or "--quiet" when allowOutput: quiet = true; break;
                case "-h" or "--help": help = true; break;
                default:
                    if (!name.StartsWith("--", StringComparison.Ordinal))
                        throw new UsageException($"unexpected argument '{args[i]}'" + (name.StartsWith('-') ? "" : "; give files with -f"));
                    if (CliApp.WebhookFlags.Contains(name[2..]))
                        throw new UsageException($"{name} is a flag of the webhook (serving, TLS, cluster access); the command-line tool does not take it", pointToHelp: false);
                    // A settings flag and its value (the command takes no positional arguments, so a
                    // following word can only be the value; the settings loader checks the rest).
                    result.Rest.Add(args[i]);
                    if (inline is null && i + 1 < args.Length && !args[i + 1].StartsWith('-')) result.Rest.Add(args[++i]);
                    break;
            }
        }
        if (help) return result with { Help = true };
        if (result.Files.Count == 0) throw new UsageException("no input: give -f FILE, -f DIRECTORY or -f - (standard input)");
        if (!ManifestOutput.Formats.Contains(output)) throw new UsageException($"--output: '{output}' is not one of {string.Join(", ", ManifestOutput.Formats)}");
        if (!Formats.IsDnsSubdomain(ns)) throw new UsageException($"--namespace: '{ns}' is not a valid namespace name");
        return result with { Output = output, Namespace = ns, Quiet = quiet };
    }

    /// <summary><c>--flag=value</c> split into the flag and its inline value; anything else as it is.</summary>
    public static (string Name, string? Inline) SplitFlag(string arg)
    {
        if (!arg.StartsWith("--", StringComparison.Ordinal)) return (arg, null);
        var eq = arg.IndexOf('=');
        return eq < 0 ? (arg, null) : (arg[..eq], arg[(eq + 1)..]);
    }

    public static UsageException Unknown(string arg, IEnumerable<string> known)
    {
        var suggestion = Suggest.Closest(SplitFlag(arg).Name.TrimStart('-'), known.Select(k => k.TrimStart('-')));
        return new UsageException($"unknown flag '{arg}'" + (suggestion is null ? "" : $"; did you mean '--{suggestion}'?"));
    }

    public static SettingsResult LoadSettings(List<string> args, IReadOnlyDictionary<string, string> environment)
    {
        var loaded = SettingsLoader.Load(CliApp.OptionTables, args, environment, otherHostOptions: CliApp.WebhookFlags);
        if (!loaded.Ok) throw new UsageException("invalid configuration:\n  " + string.Join("\n  ", loaded.Errors));
        return loaded;
    }
}
