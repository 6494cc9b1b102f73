using System.Globalization;
using System.Text.Json;
using Injector.Cli.Rendering;
using Injector.Manifests;

namespace Injector.Cli.Commands;

/// <summary><c>appmesh-inject webhook-config</c>: the MutatingWebhookConfiguration for installs without Helm.</summary>
internal static class WebhookConfigCommand
{
    private static readonly string[] Policies = ["Fail", "Ignore"];

    public static readonly CommandSpec Spec = new(
        "webhook-config",
        "print the MutatingWebhookConfiguration for installs without Helm",
        "webhook-config [--ca-file CA.pem] [--service-name NAME] [--service-namespace NS] [--path /mutate] [--service-port 443] [--failure-policy Fail|Ignore] [--timeout-seconds 10] [--name NAME] [-o yaml|json]",
        """
        Prints the MutatingWebhookConfiguration the chart renders: CREATE of pods only, admissionReviewVersions v1
        and v1beta1, sideEffects NoneOnDryRun, matchPolicy Equivalent, reinvocationPolicy IfNeeded, the namespace
        selector (label appmesh.k8s.aws/sidecarInjectorWebhook enabled or disabled; kube-system, kube-public,
        kube-node-lease and the injector's namespace left out), an objectSelector that keeps pods labelled
        appmesh.k8s.aws/sidecarInjectorWebhook=disabled away, match conditions (Kubernetes 1.28+) that keep
        opted-out pods (not-opted-out), host-network pods (not-host-network) and the injector's own pods
        (not-the-injector) away, and caBundle from the CA file (left out without --ca-file, for cert-manager's CA
        injector). Fail makes pod creation wait for the injector (no pod without its sidecar); Ignore lets pods
        start without a sidecar while the injector is down.
        """,
        [
            new("ca-file", null, "FILE", "PEM file of the CA that signed the serving certificate (caBundle)"),
            new("service-name", null, "NAME", "the injector's Service (default appmesh-inject)"),
            new("service-namespace", null, "NAMESPACE", "the injector's namespace (default appmesh-system)"),
            new("path", null, "PATH", "the webhook path (default /mutate)"),
            new("service-port", null, "PORT", "the Service port (default 443)"),
            new("failure-policy", null, "POLICY", "Fail (default) or Ignore, in any case"),
            new("timeout-seconds", null, "SECONDS", "1 to 30 (default 10)"),
            new("name", null, "NAME", "the configuration's name (default appmesh-inject)"),
            new("output", 'o', "FORMAT", "yaml (default) or json"),
        ],
        TakesFiles: false,
        TakesSettings: false);

    public static int Run(ParsedArgs args, TextWriter stdout, TextWriter stderr)
    {
        var defaults = new WebhookConfigurationOptions();
        int Number(string flag, int fallback)
        {
            var value = args.Get(flag);
            if (value is null) return fallback;
            return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new UsageException($"flag '--{flag}' needs a whole number");
        }
        var policy = args.Get("failure-policy", defaults.FailurePolicy);
        var o = defaults with
        {
            Name = args.Get("name", defaults.Name),
            ServiceName = args.Get("service-name", defaults.ServiceName),
            ServiceNamespace = args.Get("service-namespace", defaults.ServiceNamespace),
            Path = args.Get("path", defaults.Path),
            Port = Number("service-port", defaults.Port),
            // kubectl reads enums in any case; the configuration gets the API's spelling.
            FailurePolicy = Policies.FirstOrDefault(p => string.Equals(p, policy, StringComparison.OrdinalIgnoreCase)) ?? policy,
            TimeoutSeconds = Number("timeout-seconds", defaults.TimeoutSeconds),
        };
        var output = Flags.Choice(args, "output", ["yaml", "json"], "yaml");
        var caFile = args.Get("ca-file");
        if (caFile is not null) o = o with { CaPem = ManifestFiles.ReadFile(caFile) };
        var errors = WebhookConfiguration.Validate(o);
        if (errors.Count > 0) throw new UsageException(string.Join("; ", errors));
        var rendered = WebhookConfiguration.Render(o);
        stdout.Write(output == "json" ? rendered.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n" : YamlJson.Write(rendered));
        if (caFile is null) stderr.WriteLine("appmesh-inject: note: no --ca-file, so caBundle is left out; set it, or let cert-manager's CA injector fill it");
        return CliApp.Ok;
    }
}
