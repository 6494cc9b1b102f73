using System.Globalization;
using Injector.Configuration;
using Injector.Core;
using Injector.Core.Injection;
using Injector.Core.Json;
using Injector.Core.Manifests;
using Injector.Core.Settings;

namespace Injector.Cli;

/// <summary>A mistake in how the command was called (exit code 2).</summary>
/// <param name="pointToHelp">Follow the message with "Run 'appmesh-inject --help' for usage." (where --help would not help, the message stands alone).</param>
public sealed class UsageException(string message, bool pointToHelp = true) : Exception(message)
{
    public bool PointToHelp { get; } = pointToHelp;
}

/// <summary>The command-line host: arguments, files, standard streams and exit codes. The work is done by
/// <see cref="ManifestRun"/>, <see cref="ExplainReport"/> and <see cref="WebhookConfiguration"/> in Core.</summary>
public static class CliApp
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;

    private static readonly string[] Outputs = ["yaml", "json", "patch", "diff"];

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
                "inject" => Inject(args[1..], stdin, stdout, stderr, environment),
                "explain" => Explain(args[1..], stdin, stdout, stderr, environment),
                "webhook-config" => WebhookConfig(args[1..], stdout, stderr),
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

    private static int Inject(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string> environment)
    {
        var options = ParseManifestOptions(args, allowOutput: true);
        if (options.Help) { stdout.Write(Help()); return Ok; }
        var settings = LoadSettings(options.Rest, environment).Get<InjectorSettings>();
        var sources = ReadSources(options.Files, stdin);

        var run = ManifestRun.Inject(sources, new PodInjector(settings), options.Namespace);
        stdout.Write(options.Output switch
        {
            "json" => run.ToJson(),
            "patch" => run.ToPatch(),
            "diff" => run.ToDiff(),
            _ => run.ToYaml(),
        });
        if (!options.Quiet)
        {
            foreach (var line in run.Report()) stderr.WriteLine(line.Text);
            stderr.WriteLine(run.Summary());
        }
        return run.HasFailures ? Failed : Ok;
    }

    private static int Explain(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string> environment)
    {
        var options = ParseManifestOptions(args, allowOutput: false);
        if (options.Help) { stdout.Write(Help()); return Ok; }
        var loaded = LoadSettings(options.Rest, environment);
        var sources = ReadSources(options.Files, stdin);
        stdout.Write(ExplainReport.Render(sources, new PodInjector(loaded.Get<InjectorSettings>()), loaded.Sources, options.Namespace, out var failed));
        return failed ? Failed : Ok;
    }

    private static int WebhookConfig(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var o = new WebhookConfigurationOptions();
        string? caFile = null;
        var output = "yaml";
        for (var i = 0; i < args.Length; i++)
        {
            var (name, inline) = SplitFlag(args[i]);
            string Value() => inline ?? (i + 1 < args.Length ? args[++i] : throw new UsageException($"flag '{name}' needs a value"));
            int Number() => int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new UsageException($"flag '{name}' needs a whole number");
            switch (name)
            {
                case "--name": o = o with { Name = Value() }; break;
                case "--service-name": o = o with { ServiceName = Value() }; break;
                case "--service-namespace": o = o with { ServiceNamespace = Value() }; break;
                case "--path": o = o with { Path = Value() }; break;
                case "--service-port": o = o with { Port = Number() }; break;
                case "--ca-file": caFile = Value(); break;
                case "--failure-policy": o = o with { FailurePolicy = Value() }; break;
                case "--timeout-seconds": o = o with { TimeoutSeconds = Number() }; break;
                case "-o" or "--output": output = Value(); break;
                case "-h" or "--help": stdout.Write(Help()); return Ok;
                default: throw Unknown(args[i], ["--name", "--service-name", "--service-namespace", "--path", "--service-port", "--ca-file", "--failure-policy", "--timeout-seconds", "--output"]);
            }
        }
        if (output is not ("yaml" or "json")) throw new UsageException($"--output: '{output}' is not yaml or json");
        if (caFile is not null) o = o with { CaPem = ReadFile(caFile) };
        var errors = WebhookConfiguration.Validate(o);
        if (errors.Count > 0) throw new UsageException(string.Join("; ", errors));
        var rendered = WebhookConfiguration.Render(o);
        stdout.Write(output == "json" ? rendered.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n" : YamlJson.Write(rendered));
        if (caFile is null) stderr.WriteLine("appmesh-inject: note: no --ca-file, so caBundle is left out; set it, or let cert-manager's CA injector fill it");
        return Ok;
    }

    private sealed record ManifestArgs(List<string> Files, string Output, string Namespace, bool Quiet, bool Help, List<string> Rest);

    // The command's own flags; everything else goes to the settings loader, which knows the engine's options.
    private static ManifestArgs ParseManifestOptions(string[] args, bool allowOutput)
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
                    if (WebhookFlags.Contains(name[2..]))
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
        if (!Outputs.Contains(output)) throw new UsageException($"--output: '{output}' is not one of {string.Join(", ", Outputs)}");
        if (!Formats.IsDnsSubdomain(ns)) throw new UsageException($"--namespace: '{ns}' is not a valid namespace name");
        return result with { Output = output, Namespace = ns, Quiet = quiet };
    }

    private static (string Name, string? Inline) SplitFlag(string arg)
    {
        if (!arg.StartsWith("--", StringComparison.Ordinal)) return (arg, null);
        var eq = arg.IndexOf('=');
        return eq < 0 ? (arg, null) : (arg[..eq], arg[(eq + 1)..]);
    }

    private static UsageException Unknown(string arg, IEnumerable<string> known)
    {
        var suggestion = Suggest.Closest(SplitFlag(arg).Name.TrimStart('-'), known.Select(k => k.TrimStart('-')));
        return new UsageException($"unknown flag '{arg}'" + (suggestion is null ? "" : $"; did you mean '--{suggestion}'?"));
    }

    /// <summary>The options only the webhook takes (its <c>WebhookOptions</c>). The command rejects them as
    /// flags, never reads their environment variables, and skips them in a config file shared with the webhook.</summary>
    public static readonly string[] WebhookFlags = ["port", "tls-cert-file", "tls-key-file", "kubeconfig", "webhook-config-name", "shutdown-delay", "api-timeout"];

    private static readonly IOptionTable[] OptionTables = [EngineOptions.Table];

    private static SettingsResult LoadSettings(List<string> args, IReadOnlyDictionary<string, string> environment)
    {
        var loaded = SettingsLoader.Load(OptionTables, args, environment, otherHostOptions: WebhookFlags);
        if (!loaded.Ok) throw new UsageException("invalid configuration:\n  " + string.Join("\n  ", loaded.Errors));
        return loaded;
    }

    private static readonly string[] ManifestExtensions = [".yaml", ".yml", ".json"];

    private static List<ManifestSource> ReadSources(List<string> inputs, TextReader stdin)
    {
        var sources = new List<ManifestSource>();
        foreach (var input in inputs)
        {
            if (input == "-")
            {
                sources.Add(new ManifestSource("<stdin>", stdin.ReadToEnd()));
            }
            else if (Directory.Exists(input))
            {
                // Recursively, in a stable order, so that the output does not depend on the file system.
                var files = Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories)
                    .Where(f => ManifestExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal);
                sources.AddRange(files.Select(f => new ManifestSource(f, ReadFile(f))));
            }
            else
            {
                sources.Add(new ManifestSource(input, ReadFile(input)));
            }
        }
        return sources;
    }

    private static string ReadFile(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read '{path}': {ex.Message}");
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
