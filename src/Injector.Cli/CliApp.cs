using Injector.Cli.Commands;
using Injector.Configuration;
using Injector.Core;
using Injector.Core.Injection;
using Injector.Core.Settings;

namespace Injector.Cli;

/// <summary>The command-line host: picks the command, reads its flags, turns usage errors into exit code 2
/// and writes the help. Each command lives in <c>Commands/</c>; what they print is made in <c>Rendering/</c>.</summary>
public static class CliApp
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;

    /// <summary>The options the command reads: the engine's, as the webhook reads them.</summary>
    public static IReadOnlyList<IOptionTable> OptionTables { get; } = [EngineOptions.Table];

    /// <summary>The options only the webhook takes (its <c>WebhookOptions</c>). The command rejects them as
    /// flags (unless a command has a flag of its own by that name), never reads their environment variables,
    /// and skips them in a config file shared with the webhook.</summary>
    public static readonly string[] WebhookFlags = ["port", "tls-cert-file", "tls-key-file", "kubeconfig", "webhook-config-name", "shutdown-delay", "metrics-port", "failure-policy", "api-timeout", "tls-min-version", "tls-cipher-suite"];

    /// <summary>Every command, in the order the help lists them.</summary>
    public static IReadOnlyList<CommandSpec> Commands { get; } = [InjectCommand.Spec, UninjectCommand.Spec, ExplainCommand.Spec, CheckCommand.Spec, WebhookConfigCommand.Spec];

    public static int Run(string[] args, Stream stdin, TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string> environment)
    {
        try
        {
            if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
            {
                if (args.Length > 1 && Commands.FirstOrDefault(c => c.Name == args[1]) is { } about)
                {
                    stdout.Write(Flags.Help(about));
                    return Ok;
                }
                (args.Length == 0 ? stderr : stdout).Write(Help());
                return args.Length == 0 ? Usage : Ok;
            }
            if (args[0] is "--version" or "version")
            {
                stdout.WriteLine($"appmesh-inject {PodInjector.Version}");
                return Ok;
            }
            var command = Commands.FirstOrDefault(c => c.Name == args[0])
                ?? throw new UsageException($"unknown command '{args[0]}'" + (Suggest.Closest(args[0], Commands.Select(c => c.Name)) is { } s ? $"; did you mean '{s}'?" : ""));
            var parsed = Flags.Parse(command, args[1..]);
            if (parsed.Help)
            {
                stdout.Write(Flags.Help(command));
                return Ok;
            }
            return command.Name switch
            {
                "inject" => InjectCommand.Run(parsed, stdin, stdout, stderr, environment),
                "uninject" => UninjectCommand.Run(parsed, stdin, stdout, stderr),
                "explain" => ExplainCommand.Run(parsed, stdin, stdout, stderr, environment),
                "check" => CheckCommand.Run(parsed, stdout, environment),
                _ => WebhookConfigCommand.Run(parsed, stdout, stderr),
            };
        }
        catch (UsageException ex)
        {
            stderr.WriteLine($"appmesh-inject: {ex.Message}");
            if (ex.PointToHelp) stderr.WriteLine(args.Length > 0 && Commands.Any(c => c.Name == args[0]) ? $"Run 'appmesh-inject {args[0]} --help' for usage." : "Run 'appmesh-inject --help' for usage.");
            return Usage;
        }
    }

    /// <summary>The settings of a command, or a usage error listing every problem.</summary>
    public static SettingsResult LoadSettings(IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment)
    {
        var loaded = SettingsLoader.Load(OptionTables, args, environment, otherHostOptions: WebhookFlags);
        if (!loaded.Ok) throw new UsageException("invalid configuration:\n  " + string.Join("\n  ", loaded.Errors));
        return loaded;
    }

    /// <summary>The overview: what the tool is, its commands, exit codes. Each command's own help lists its flags.</summary>
    public static string Help()
    {
        var width = Commands.Max(c => c.Name.Length);
        var commands = string.Concat(Commands.Select(c => $"  {c.Name.PadRight(width)}  {c.Summary}\n"));
        return $"""
            appmesh-inject: the App Mesh sidecar injector's engine on the command line — inject and uninject manifests
            offline, explain decisions, check an installation, print the webhook configuration.

            Usage:
              appmesh-inject COMMAND [flags]
              appmesh-inject COMMAND --help     the command's flags
              appmesh-inject --version

            Commands:
            {commands.TrimEnd('\n').Replace("\n", "\n", StringComparison.Ordinal)}

            Exit codes: 0 success; 1 a document failed, a pod would be denied, or a check failed; 2 usage error.

            """;
    }
}
