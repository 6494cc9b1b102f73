using Injector.Cli.Commands;
using Injector.Configuration;
using Injector.Core;
using Injector.Core.Injection;
using Injector.Core.Settings;

namespace Injector.Cli;

/// <summary>The command-line host: picks the command, turns usage errors into exit code 2 and writes the
/// help. Each command lives in <c>Commands/</c>; what they print is made in <c>Rendering/</c>.</summary>
public static class CliApp
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;

    /// <summary>The options the command reads: the engine's, as the webhook reads them.</summary>
    public static IReadOnlyList<IOptionTable> OptionTables { get; } = [EngineOptions.Table];

    /// <summary>The options only the webhook takes (its <c>WebhookOptions</c>). The command rejects them as
    /// flags, never reads their environment variables, and skips them in a config file shared with the webhook.</summary>
    public static readonly string[] WebhookFlags = ["port", "tls-cert-file", "tls-key-file", "kubeconfig", "webhook-config-name", "shutdown-delay", "metrics-port", "failure-policy", "api-timeout", "tls-min-version", "tls-cipher-suite"];

    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string> environment)
    {
        try
        {
            if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
            {
                (args.Length == 0 ? stderr : stdout).Write(Help());
                return args.Length == 0 ? Usage : Ok;
            }
            if (args[0] is "--version" or "version")
            {
                stdout.WriteLine($"appmesh-inject {PodInjector.Version}");
                return Ok;
            }
            return args[0] switch
            {
                "inject" => InjectCommand.Run(args[1..], stdin, stdout, stderr, environment),
                "explain" => ExplainCommand.Run(args[1..], stdin, stdout, environment),
                "webhook-config" => WebhookConfigCommand.Run(args[1..], stdout, stderr),
                _ => throw new UsageException($"unknown command '{args[0]}'" + (Suggest.Closest(args[0], ["inject", "explain", "webhook-config"]) is { } s ? $"; did you mean '{s}'?" : "")),
            };
        }
        catch (UsageException ex)
        {
            stderr.WriteLine($"appmesh-inject: {ex.Message}");
            if (ex.PointToHelp) stderr.WriteLine("Run 'appmesh-inject --help' for usage.");
            return Usage;
        }
    }

    public static string Help()
    {
        var settings = string.Concat(SettingsLoader.Describe(OptionTables).Select(d => $"  {d.Flag,-34} {d.Help} [env {d.Env}]\n"));
        return $"""
            appmesh-inject: inject the App Mesh sidecar into Kubernetes manifests offline, with the webhook's engine.

            Usage:
              appmesh-inject inject -f FILE|DIR|- [-f …] [-o yaml|json|patch|diff] [-n NAMESPACE] [-q] [settings]
              appmesh-inject explain -f FILE|DIR|- [-n NAMESPACE] [settings]
              appmesh-inject webhook-config [--ca-file CA.pem] [--service-name NAME] [--service-namespace NS]
                                            [--path /mutate] [--service-port 443] [--failure-policy Fail|Ignore]
                                            [--timeout-seconds 10] [--name NAME] [-o yaml|json]

            inject      reads Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob, ReplicationController
                        and List documents (YAML or JSON; a folder is read recursively; - is standard input), injects
                        their pod templates and writes every document, in order, to standard output; other kinds pass
                        through unchanged. One report line per resource goes to standard error (-q silences it).
                          -o yaml    the manifests (default)      -o json   the manifests as JSON (a List when several)
                          -o patch   the JSON patch per resource  -o diff   a unified diff against the input
            explain     tells for every pod template whether it would be injected and why, and each sidecar setting
                        with where it comes from (default, flag, config, namespace annotation, annotation).
            webhook-config  prints the MutatingWebhookConfiguration for installs without Helm.

            Namespace: the document's metadata.namespace, else -n/--namespace, else default. Namespace documents in the
            input provide namespace-wide annotation defaults. With --sidecar-mode auto, injection offline is classic.

            Exit codes: 0 every document handled; 1 a document was unreadable, invalid or denied; 2 usage error.

            Settings: the engine's options, as flags, environment variables or keys of a --config file (the webhook
            reads the same ones). The webhook's own options (--port, TLS, cluster access) are not taken here.

            """ + settings;
    }
}
