using System.Globalization;
using System.Text.Json;
using Injector.Cli.Rendering;
using Injector.Manifests;

namespace Injector.Cli.Commands;

/// <summary><c>appmesh-inject webhook-config</c>: the MutatingWebhookConfiguration for installs without Helm.</summary>
internal static class WebhookConfigCommand
{
    private static readonly string[] Flags = ["--name", "--service-name", "--service-namespace", "--path", "--service-port", "--ca-file", "--failure-policy", "--timeout-seconds", "--output"];

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var o = new WebhookConfigurationOptions();
        string? caFile = null;
        var output = "yaml";
        for (var i = 0; i < args.Length; i++)
        {
            var (name, inline) = CommandLine.SplitFlag(args[i]);
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
                case "-h" or "--help": stdout.Write(CliApp.Help()); return CliApp.Ok;
                default: throw CommandLine.Unknown(args[i], Flags);
            }
        }
        if (output is not ("yaml" or "json")) throw new UsageException($"--output: '{output}' is not yaml or json");
        if (caFile is not null) o = o with { CaPem = ManifestFiles.ReadFile(caFile) };
        var errors = WebhookConfiguration.Validate(o);
        if (errors.Count > 0) throw new UsageException(string.Join("; ", errors));
        var rendered = WebhookConfiguration.Render(o);
        stdout.Write(output == "json" ? rendered.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n" : YamlJson.Write(rendered));
        if (caFile is null) stderr.WriteLine("appmesh-inject: note: no --ca-file, so caBundle is left out; set it, or let cert-manager's CA injector fill it");
        return CliApp.Ok;
    }
}
