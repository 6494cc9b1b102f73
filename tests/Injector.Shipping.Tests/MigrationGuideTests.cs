using System.Text.RegularExpressions;
using Injector.Core.Injection;
using Injector.Core.Settings;
using Injector.Webhook;
using YamlDotNet.RepresentationModel;

namespace Injector.Shipping.Tests;

/// <summary>docs/migrating-from-controller.md and the README's annotation table say what the code does:
/// every controller flag is mapped to an option that exists, every chart value named exists, every
/// annotation is in the behaviour table.</summary>
public sealed partial class MigrationGuideTests
{
    private static readonly string Guide = File.ReadAllText(Path.Combine(Repo.Root, "docs", "migrating-from-controller.md"));

    /// <summary>The controller's injector flags: aws-app-mesh-controller-for-k8s pkg/inject/config.go
    /// (BindFlags), plus --aws-region and --aws-account-id of its AWS config and the --sidecar-image of
    /// its older charts.</summary>
    private static readonly string[] ControllerFlags =
    [
        "enable-iam-for-service-accounts", "enable-ecr-secret", "enable-sds", "sds-uds-path", "enable-backend-groups",
        "sidecar-image-repository", "sidecar-image-tag", "sidecar-cpu-requests", "sidecar-memory-requests", "sidecar-cpu-limits",
        "sidecar-memory-limits", "preview", "sidecar-log-level", "prestop-delay", "poststart-timeout", "poststart-interval",
        "readiness-probe-initial-delay", "readiness-probe-period", "envoy-admin-access-port", "envoy-admin-access-log-file",
        "envoy-admin-access-enable-ipv6", "dual-stack-endpoint", "wait-until-proxy-ready", "fips-endpoint",
        "envoy-aws-access-key-id", "envoy-aws-secret-access-key", "envoy-aws-session-token", "init-image", "ignored-ips",
        "enable-jaeger-tracing", "jaeger-address", "jaeger-port", "enable-datadog-tracing", "datadog-address", "datadog-port",
        "enable-xray-tracing", "xray-daemon-port", "xray-sampling-rate", "xray-log-level", "xray-config-roleArn", "enable-stats-tags",
        "enable-statsd", "statsd-address", "statsd-port", "statsd-socket-path", "xray-image", "cluster-name", "tls-min-version",
        "tls-cipher-suite", "aws-region", "aws-account-id", "sidecar-image",
    ];

    private static readonly IOption[] Options = [.. EngineOptions.Table.Options, .. WebhookOptions.Table.Options];

    /// <summary>The rows of the first table after <paramref name="heading"/>, split into cells.</summary>
    private static List<string[]> Table(string text, string heading)
    {
        var start = text.IndexOf(heading + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no section {heading}");
        return text[start..].Split('\n').SkipWhile(l => !l.StartsWith('|')).TakeWhile(l => l.StartsWith('|')).Skip(2)
            .Select(l => l.Split('|')[1..^1].Select(c => c.Trim()).ToArray()).ToList();
    }

    private static IEnumerable<string> Flags(string cell) => Flag().Matches(cell).Select(m => m.Groups[1].Value);

    [Fact]
    public void Every_controller_flag_is_in_the_flag_table()
    {
        var listed = Table(Guide, "## Flags").SelectMany(row => Flags(row[0])).ToHashSet();

        var missing = ControllerFlags.Where(f => !listed.Contains(f)).ToList();
        Assert.True(missing.Count == 0, "not in the flag table: " + string.Join(", ", missing));
    }

    [Fact]
    public void Every_flag_the_guide_maps_to_exists_and_each_alias_is_one()
    {
        foreach (var row in Table(Guide, "## Flags"))
        {
            foreach (var ours in Flags(row[1]))
                Assert.Contains(Options, o => o.Name == ours);
            if (!row[2].StartsWith("alias", StringComparison.Ordinal)) continue;
            var option = Options.Single(o => o.Name == Flags(row[1]).Single());
            Assert.Contains(Flags(row[0]).Single(), option.FlagAliases);
        }
        // And every alias the options declare is in the table.
        var aliases = Table(Guide, "## Flags").Where(r => r[2].StartsWith("alias", StringComparison.Ordinal)).SelectMany(r => Flags(r[0])).ToHashSet();
        Assert.Equal(Options.SelectMany(o => o.FlagAliases).Order(), aliases.Order());
    }

    [Fact]
    public void Every_chart_value_the_guide_maps_to_exists()
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(Repo.ChartDir, "values.yaml"))));
        var keys = Keys((YamlMappingNode)stream.Documents[0].RootNode, "").ToHashSet();

        foreach (var row in Table(Guide, "## Chart values"))
        {
            string? first = null;
            foreach (Match m in Key().Matches(row[1]))
            {
                var key = m.Groups[1].Value;
                // "`a.b` / `.c`" names a.b and a.c.
                if (key.StartsWith('.') && first is not null) key = first[..first.LastIndexOf('.')] + key;
                else first = key;
                if (key.Contains(':')) continue; // a value, such as tls.mode: certManager
                Assert.Contains(key, keys);
            }
        }
    }

    /// <summary>The App Mesh controller chart's defaults (config/helm/appmesh-controller/values.yaml) for the values the
    /// guide says keep their names: a values file carried over installs as it is.</summary>
    private const string ControllerDefaults = """
        replicaCount: 1
        image:
          pullPolicy: IfNotPresent
        sidecar:
          resources:
            requests:
              cpu: 10m
              memory: 32Mi
            limits:
              cpu: ""
              memory: ""
        resources:
          limits:
            cpu: 2000m
            memory: 1Gi
          requests:
            cpu: 100m
            memory: 200Mi
        nodeSelector: {}
        tolerations: []
        affinity: {}
        podAnnotations: {}
        podLabels: {}
        serviceAccount:
          create: true
          name: ""
          annotations: {}
        rbac:
          create: true
          pspEnabled: false
        podDisruptionBudget: {}
        """;

    [Fact]
    public void The_controller_charts_defaults_for_the_values_that_keep_their_names_install()
    {
        using var temp = new TempDir("controller-values");
        var file = Path.Combine(temp.Path, "values.yaml");
        File.WriteAllText(file, ControllerDefaults);

        var result = Helm.Run(["template", Helm.Release, Repo.ChartDir, .. Helm.Required, "-f", file]);

        Assert.True(result.ExitCode == 0, result.StdErr);
        var args = new Rendered(Helm.LoadStrict(result.StdOut)).Container.Args;
        // Empty limits are no limits: no limit flag reaches the webhook.
        Assert.Contains("--sidecar-cpu-requests=10m", args);
        Assert.DoesNotContain(args, a => a.StartsWith("--sidecar-cpu-limits", StringComparison.Ordinal) || a.StartsWith("--sidecar-memory-limits", StringComparison.Ordinal));
    }

    /// <summary>The controller's chart renders its podDisruptionBudget value as the PDB's spec, so either bound may
    /// be carried over; maxUnavailable was refused ("additional properties 'maxUnavailable' not allowed").</summary>
    [Theory]
    [InlineData("maxUnavailable: 1", "maxUnavailable", "1")]
    [InlineData("maxUnavailable: 0", "maxUnavailable", "0")]
    [InlineData("maxUnavailable: 50%", "maxUnavailable", "50%")]
    [InlineData("minAvailable: 1", "minAvailable", "1")]
    public void A_controller_pod_disruption_budget_carries_over_with_either_bound(string bound, string field, string value)
    {
        using var temp = new TempDir("controller-pdb");
        var file = Path.Combine(temp.Path, "values.yaml");
        File.WriteAllText(file, $"replicaCount: 2\npodDisruptionBudget:\n  {bound}\n");

        var result = Helm.Run(["template", Helm.Release, Repo.ChartDir, .. Helm.Required, "-f", file]);

        Assert.True(result.ExitCode == 0, result.StdErr);
        var spec = new Rendered(Helm.LoadStrict(result.StdOut)).Single<k8s.Models.V1PodDisruptionBudget>().Spec;
        Assert.Equal((field, value), field == "maxUnavailable" ? (field, spec.MaxUnavailable?.Value) : (field, spec.MinAvailable?.Value));
        Assert.Null(field == "maxUnavailable" ? spec.MinAvailable : spec.MaxUnavailable);
    }

    [Fact]
    public void The_behaviour_table_covers_every_annotation_and_the_README_lists_them_all()
    {
        var names = AnnotationKeys.UserKeys.Select(k => k[AnnotationKeys.Prefix.Length..]).ToList();
        var covered = Table(Guide, "### Malformed annotation values").SelectMany(row => Key().Matches(row[0]).Select(m => m.Groups[1].Value)).ToHashSet();
        var missing = names.Where(n => !covered.Contains(n)).ToList();
        Assert.True(missing.Count == 0, "not in the behaviour table: " + string.Join(", ", missing));

        var readme = File.ReadAllText(Path.Combine(Repo.Root, "README.md"));
        var documented = Table(readme, "## Annotations").SelectMany(row => Key().Matches(row[0]).Select(m => m.Groups[1].Value)).ToList();
        Assert.Equal(names.Order(), documented.Order());
    }

    private static IEnumerable<string> Keys(YamlMappingNode node, string prefix)
    {
        foreach (var (k, v) in node.Children)
        {
            var key = prefix + ((YamlScalarNode)k).Value;
            yield return key;
            if (v is YamlMappingNode map) foreach (var inner in Keys(map, key + ".")) yield return inner;
        }
    }

    [GeneratedRegex(@"`--([A-Za-z0-9-]+)")]
    private static partial Regex Flag();

    [GeneratedRegex(@"`([A-Za-z0-9.:]+)")]
    private static partial Regex Key();

    [Fact]
    public void Every_helm_command_of_the_guide_works_on_the_release_in_the_namespace_the_guide_installs_it_in()
    {
        // Commands wrap across lines in the guide's prose: read it as one line, each command up to its closing backtick.
        var text = Regex.Replace(Guide, @"\s+", " ");
        var commands = HelmCommand().Matches(text).Select(m => m.Value).ToList();
        var namespaces = commands.Select(c => HelmNamespace().Match(c).Groups[1].Value).ToList();

        Assert.Equal(3, commands.Count);
        Assert.All(namespaces, n => Assert.Equal("appmesh-inject", n));
    }

    [GeneratedRegex(@"\bhelm (?:install|upgrade|uninstall|-n) [^`]*")]
    private static partial Regex HelmCommand();

    [GeneratedRegex(@"(?:-n|--namespace)[ =](\S+)")]
    private static partial Regex HelmNamespace();
}
