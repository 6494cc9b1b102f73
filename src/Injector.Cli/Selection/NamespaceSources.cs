using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Injector.Cli.Commands;
using Injector.Core;
using Injector.Core.Admission;
using Injector.Manifests;
using k8s;
using k8s.Models;

namespace Injector.Cli.Selection;

/// <summary>What <c>inject</c> and <c>explain</c> know about the cluster they prepare pods for: the namespaces'
/// labels and annotations (from the cluster, then the input's Namespace documents, then
/// <c>--namespace-labels</c>, each over the one before), whether the webhook selects a namespace, and
/// whether the cluster supports native sidecars (<c>--kubernetes-version</c>, else the cluster's version).</summary>
internal static partial class NamespaceSources
{
    [GeneratedRegex(@"^v?(?<major>\d+)\.(?<minor>\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex VersionPattern();

    public static readonly FlagSpec NamespaceLabelsFlag = new("namespace-labels", null, "[NS:]KEY=VALUE[,…]",
        "labels of a namespace (of -n's, or NS's), as the cluster has them: they decide whether the webhook sees its pods and the namespace's injection default (repeatable)");
    public static readonly FlagSpec KubeconfigFlag = new("kubeconfig", null, "FILE",
        "read namespace labels and annotations, the webhook configuration's namespace selector and the Kubernetes version from this cluster (default: KUBECONFIG when set)");
    public static readonly FlagSpec OfflineFlag = new("offline", null, null, "do not read the cluster even when KUBECONFIG is set");
    public static readonly FlagSpec KubernetesVersionFlag = new("kubernetes-version", null, "VERSION",
        "the cluster's Kubernetes version (1.29 and later run native sidecars), so that --sidecar-mode auto means what it means there");
    public static readonly FlagSpec InjectorNamespaceFlag = new("injector-namespace", null, "NAMESPACE", "the namespace the injector runs in, which the webhook never sees (default appmesh-system)");
    public static readonly FlagSpec WebhookConfigNameFlag = new("webhook-config-name", null, "NAME", "the MutatingWebhookConfiguration to read from the cluster (default appmesh-inject)");

    public static readonly IReadOnlyList<FlagSpec> Flags = [NamespaceLabelsFlag, KubeconfigFlag, OfflineFlag, KubernetesVersionFlag, InjectorNamespaceFlag, WebhookConfigNameFlag];

    /// <summary>The options for a run over <paramref name="sources"/>, and notes for standard error.</summary>
    public static ManifestOptions Build(ParsedArgs args, IReadOnlyList<ManifestSource> sources, string defaultNamespace, IReadOnlyDictionary<string, string> environment, List<string> notes)
    {
        var injectorNamespace = args.Get("injector-namespace", "appmesh-system");
        if (!Formats.IsDnsSubdomain(injectorNamespace)) throw new UsageException($"--injector-namespace: '{injectorNamespace}' is not a valid namespace name");
        var native = ParseVersion(args.Get("kubernetes-version"));

        var namespaces = new Dictionary<string, NamespaceInfo>(StringComparer.Ordinal);
        JsonObject? selector = null;
        if (!args.Switch("offline"))
        {
            using var cluster = ClusterConnection.Open(args.Get("kubeconfig"), environment, required: false);
            if (cluster is not null)
            {
                try
                {
                    ReadCluster(cluster, args.Get("webhook-config-name", "appmesh-inject"), namespaces, ref selector, ref native, notes);
                }
                catch (ClusterException ex)
                {
                    throw new UsageException($"cannot read the cluster ({cluster.Source}): {ex.Message}; pass --offline to work without it", pointToHelp: false);
                }
            }
        }
        foreach (var (name, info) in NamespaceScan.Read(sources)) namespaces[name] = Merge(namespaces.GetValueOrDefault(name), info);
        foreach (var (name, labels) in ParseLabels(args.All("namespace-labels"), defaultNamespace))
            namespaces[name] = Merge(namespaces.GetValueOrDefault(name), new NamespaceInfo(labels, null));

        return new ManifestOptions
        {
            DefaultNamespace = defaultNamespace,
            Namespaces = namespaces,
            Selection = ns => WebhookSelection.Evaluate(ns, namespaces.GetValueOrDefault(ns)?.Labels, injectorNamespace, selector),
            PodSelection = WebhookSelection.PodNotSent,
            NativeSidecarsSupported = native ?? false,
        };
    }

    private static NamespaceInfo Merge(NamespaceInfo? under, NamespaceInfo over)
    {
        if (under is null) return over;
        Dictionary<string, string>? Join(IReadOnlyDictionary<string, string>? a, IReadOnlyDictionary<string, string>? b)
        {
            if (a is null && b is null) return null;
            var map = new Dictionary<string, string>(a ?? new Dictionary<string, string>(), StringComparer.Ordinal);
            foreach (var (k, v) in b ?? new Dictionary<string, string>()) map[k] = v;
            return map;
        }
        return new NamespaceInfo(Join(under.Labels, over.Labels), Join(under.Annotations, over.Annotations));
    }

    private static void ReadCluster(ClusterConnection cluster, string webhookConfigName, Dictionary<string, NamespaceInfo> namespaces, ref JsonObject? selector, ref bool? native, List<string> notes)
    {
        var list = cluster.CallAsync("list namespaces", (c, t) => c.CoreV1.ListNamespaceAsync(cancellationToken: t)).GetAwaiter().GetResult();
        foreach (var ns in list.Items) namespaces[ns.Metadata.Name] = InfoOf(ns);
        if (native is null)
        {
            var version = cluster.CallAsync("read the version", (c, t) => c.Version.GetCodeAsync(t)).GetAwaiter().GetResult();
            native = ParseVersion(version.GitVersion);
        }
        try
        {
            var configuration = cluster.CallAsync($"read mutatingwebhookconfiguration {webhookConfigName}",
                (c, t) => c.AdmissionregistrationV1.ReadMutatingWebhookConfigurationAsync(webhookConfigName, cancellationToken: t)).GetAwaiter().GetResult();
            if (configuration.Webhooks?.FirstOrDefault()?.NamespaceSelector is { } found)
                selector = JsonNode.Parse(KubernetesJson.Serialize(found)) as JsonObject;
        }
        catch (ClusterException ex) when (ClusterConnection.IsNotFound(ex))
        {
            notes.Add($"the cluster has no MutatingWebhookConfiguration {webhookConfigName}: the selection shown is the one appmesh-inject installs");
        }
        notes.Add($"namespaces, version and webhook configuration read from {cluster.Server} ({cluster.Source})");
    }

    /// <summary>A namespace's labels and annotations as the cluster has them (empty, not unknown, when it has none).</summary>
    public static NamespaceInfo InfoOf(V1Namespace ns) => new(
        new Dictionary<string, string>(ns.Metadata.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal),
        new Dictionary<string, string>(ns.Metadata.Annotations ?? new Dictionary<string, string>(), StringComparer.Ordinal));

    /// <summary>Whether a Kubernetes version runs native sidecars (≥ 1.29); null when not given.</summary>
    public static bool? ParseVersion(string? version)
    {
        if (version is null) return null;
        var match = VersionPattern().Match(version.Trim());
        if (!match.Success) throw new UsageException($"--kubernetes-version: '{version}' is not a Kubernetes version such as 1.30 or v1.30.4");
        var major = int.Parse(match.Groups["major"].Value, CultureInfo.InvariantCulture);
        var minor = int.Parse(match.Groups["minor"].Value, CultureInfo.InvariantCulture);
        return major > 1 || major == 1 && minor >= 29;
    }

    /// <summary><c>[NS:]KEY=VALUE[,KEY=VALUE]</c> values by namespace (without <c>NS:</c>, the default namespace).</summary>
    public static Dictionary<string, Dictionary<string, string>> ParseLabels(IEnumerable<string> values, string defaultNamespace)
    {
        var result = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            var rest = value;
            var ns = defaultNamespace;
            var colon = value.IndexOf(':');
            var equals = value.IndexOf('=');
            if (colon >= 0 && (equals < 0 || colon < equals))
            {
                ns = value[..colon];
                rest = value[(colon + 1)..];
                if (!Formats.IsDnsSubdomain(ns)) throw new UsageException($"--namespace-labels: '{ns}' is not a valid namespace name (in '{value}')");
            }
            var labels = result.TryGetValue(ns, out var existing) ? existing : result[ns] = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in rest.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=');
                if (eq <= 0) throw new UsageException($"--namespace-labels: '{pair}' is not KEY=VALUE (in '{value}')");
                labels[pair[..eq]] = pair[(eq + 1)..];
            }
        }
        return result;
    }
}
