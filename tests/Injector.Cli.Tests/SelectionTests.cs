namespace Injector.Cli.Tests;

/// <summary><c>explain</c> and <c>inject</c> follow the selection the cluster applies (issue 12 item 2,
/// issue 11 item 4): the namespace selector, the exclusions and the match conditions of the webhook
/// configuration, with namespace labels from Namespace documents, <c>--namespace-labels</c> or the cluster.</summary>
public sealed class SelectionTests
{
    private static string Deployment(string ns, string annotations = "") => $$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: {{ns}}}
        spec:
          template:
            metadata:
              annotations: {{{annotations}}}
            spec:
              containers: [{name: web, image: web:1}]

        """;

    private static string Namespace(string name, string? label) =>
        $"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n" + (label is null ? "" : $"  labels:\n    appmesh.k8s.aws/sidecarInjectorWebhook: {label}\n") + "---\n";

    private static string[] Explain(string input, params string[] args)
    {
        var result = Cli.Run(input, ["explain", .. Cli.BaseArgs, "-f", "-", .. args]);
        return result.Stdout.Split('\n');
    }

    [Fact]
    public void A_deployment_in_a_namespace_without_the_label_would_not_be_injected()
    {
        var lines = Explain(Namespace("shop", null) + Deployment("shop"));

        Assert.Equal("  would be injected: no (skipped: namespace-not-selected): namespace shop has no appmesh.k8s.aws/sidecarInjectorWebhook label, so the webhook never sees its pods; label it appmesh.k8s.aws/sidecarInjectorWebhook=enabled to inject them", lines[1]);
    }

    [Fact]
    public void A_daemonset_in_kube_system_or_the_injectors_namespace_would_never_be_sent()
    {
        var system = Explain(Deployment("kube-system").Replace("Deployment", "DaemonSet", StringComparison.Ordinal));
        var own = Explain(Deployment("mesh-system"), "--injector-namespace", "mesh-system");

        Assert.Equal("  would be injected: no (skipped: namespace-excluded): namespace kube-system is never sent to the injector (the webhook configuration leaves out kube-system, kube-public, kube-node-lease, appmesh-system)", system[1]);
        Assert.Equal("  would be injected: no (skipped: namespace-excluded): namespace mesh-system is never sent to the injector (the webhook configuration leaves out kube-system, kube-public, kube-node-lease, mesh-system)", own[1]);
    }

    [Fact]
    public void Without_labels_the_answer_is_unknown_with_what_it_would_be_if_the_webhook_sees_it()
    {
        var lines = Explain(Deployment("shop"));

        Assert.Equal("  would be injected: unknown (namespace-labels-unknown): the labels of namespace shop are not known (no Namespace document in the input, no --namespace-labels, no cluster); the webhook sees its pods only when it is labelled appmesh.k8s.aws/sidecarInjectorWebhook=enabled or disabled; if the webhook sees it: yes (injected into mesh demo as virtual node web-shop)", lines[1]);
    }

    [Theory]
    [InlineData("shop:appmesh.k8s.aws/sidecarInjectorWebhook=enabled", "-n", "other")]
    [InlineData("appmesh.k8s.aws/sidecarInjectorWebhook=enabled,team=a", "-n", "shop")]
    public void Namespace_labels_from_the_flag_select_the_namespace(string labels, string flag, string defaultNamespace)
    {
        var lines = Explain(Deployment("shop"), "--namespace-labels", labels, flag, defaultNamespace);

        Assert.Equal("  namespace shop: selected by the webhook configuration (labelled appmesh.k8s.aws/sidecarInjectorWebhook=enabled)", lines[1]);
        Assert.Equal("  would be injected: yes (injected into mesh demo as virtual node web-shop)", lines[2]);
    }

    [Fact]
    public void A_disabled_namespace_is_selected_and_its_label_is_the_injection_default_explain_shows()
    {
        var lines = Explain(Namespace("shop", "disabled") + Deployment("shop"));

        Assert.Equal("  namespace shop: selected by the webhook configuration (labelled appmesh.k8s.aws/sidecarInjectorWebhook=disabled)", lines[1]);
        Assert.Matches(@"^    injection +disabled +\(namespace label appmesh\.k8s\.aws/sidecarInjectorWebhook=disabled\)$", lines.Single(l => l.StartsWith("    injection ", StringComparison.Ordinal)));
    }

    [Fact]
    public void In_a_disabled_namespace_inject_injects_only_the_pods_annotated_enabled_as_the_controller_does()
    {
        var input = Namespace("legacy", "disabled") + Deployment("legacy") + "---\n" + Deployment("legacy", "appmesh.k8s.aws/sidecarInjectorWebhook: enabled").Replace("name: web", "name: opted-in", StringComparison.Ordinal);

        var result = Cli.Run(input, ["inject", .. Cli.BaseArgs, "-f", "-"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(
        [
            "<stdin>:1: Namespace legacy: passed through",
            "<stdin>:8: Deployment legacy/web: skipped (disabled-by-annotation): namespace label appmesh.k8s.aws/sidecarInjectorWebhook is disabled and the pod is not annotated enabled",
            "<stdin>:18: Deployment legacy/opted-in: injected (mesh demo, virtual node opted-in-legacy)",
            "1 injected, 1 skipped, 1 passed through, 0 failed, 0 unreadable",
        ], result.ReportLines);
    }

    [Fact]
    public void Inject_skips_the_pods_of_a_namespace_the_webhook_does_not_select_and_writes_them_unchanged()
    {
        var input = Namespace("shop", null) + Deployment("shop") + "---\n" + Namespace("cart", "enabled") + Deployment("cart");

        var result = Cli.Run(input, ["inject", .. Cli.BaseArgs, "-f", "-"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(
        [
            "<stdin>:1: Namespace shop: passed through",
            "<stdin>:6: Deployment shop/web: skipped (namespace-not-selected): namespace shop has no appmesh.k8s.aws/sidecarInjectorWebhook label, so the webhook never sees its pods; label it appmesh.k8s.aws/sidecarInjectorWebhook=enabled to inject them",
            "<stdin>:16: Namespace cart: passed through",
            "<stdin>:23: Deployment cart/web: injected (mesh demo, virtual node web-cart)",
            "1 injected, 1 skipped, 2 passed through, 0 failed, 0 unreadable",
        ], result.ReportLines);
        Assert.StartsWith(Namespace("shop", null) + Deployment("shop") + "---\n", result.Stdout);
    }

    [Fact]
    public void Explain_names_the_match_condition_that_keeps_a_host_network_pod_away()
    {
        var input = Namespace("shop", "enabled") + Deployment("shop").Replace("spec:\n      containers", "spec:\n      hostNetwork: true\n      containers", StringComparison.Ordinal);

        var lines = Explain(input);

        Assert.Contains("  would be injected: no (skipped: host-network): the pod uses the host network; redirecting its traffic would capture the node's traffic", lines);
        Assert.Contains("  not sent to the webhook: the pod uses the host network (match condition not-host-network), so such pods are created even while the injector is down", lines);
    }

    [Fact]
    public void A_pod_the_object_selector_keeps_away_would_not_be_injected_and_explain_names_both_rules_that_keep_it_away()
    {
        var input = Namespace("shop", "enabled") + Deployment("shop").Replace("metadata:\n      annotations", "metadata:\n      labels: {app.kubernetes.io/name: appmesh-inject, appmesh.k8s.aws/sidecarInjectorWebhook: disabled}\n      annotations", StringComparison.Ordinal);

        var lines = Explain(input);

        Assert.Equal("  would be injected: no (skipped: pod-not-sent): the pod is labelled appmesh.k8s.aws/sidecarInjectorWebhook=disabled (object selector), so the webhook never sees it", lines[1]);
        Assert.Contains("  not sent to the webhook: the pod is labelled appmesh.k8s.aws/sidecarInjectorWebhook=disabled (object selector), so such pods are created even while the injector is down", lines);
        Assert.Contains("  not sent to the webhook: the pod is the injector's own (app.kubernetes.io/name: appmesh-inject) (match condition not-the-injector), so such pods are created even while the injector is down", lines);
    }

    [Fact]
    public void Inject_leaves_the_injectors_own_pods_as_they_are_because_the_webhook_never_sees_them()
    {
        var own = Deployment("shop").Replace("metadata:\n      annotations", "metadata:\n      labels: {app.kubernetes.io/name: appmesh-inject}\n      annotations", StringComparison.Ordinal);

        var result = Cli.Run(Namespace("shop", "enabled") + own, ["inject", .. Cli.BaseArgs, "-f", "-"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(
        [
            "<stdin>:1: Namespace shop: passed through",
            "<stdin>:8: Deployment shop/web: skipped (pod-not-sent): the pod is the injector's own (app.kubernetes.io/name: appmesh-inject) (match condition not-the-injector), so the webhook never sees it",
            "0 injected, 1 skipped, 1 passed through, 0 failed, 0 unreadable",
        ], result.ReportLines);
        Assert.Equal(Namespace("shop", "enabled") + own, result.Stdout);
    }

    [Fact]
    public void Explain_shows_the_namespace_label_as_the_switch_when_the_namespace_also_has_the_annotation_as_the_engine_reads_them()
    {
        var input = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    appmesh.k8s.aws/sidecarInjectorWebhook: enabled\n  annotations:\n    appmesh.k8s.aws/sidecarInjectorWebhook: disabled\n---\n" + Deployment("shop");

        var lines = Explain(input);

        Assert.Equal("  would be injected: yes (injected into mesh demo as virtual node web-shop)", lines[2]);
        Assert.Matches(@"^    injection +enabled +\(namespace label appmesh\.k8s\.aws/sidecarInjectorWebhook=enabled\)$", lines.Single(l => l.StartsWith("    injection ", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("1.30", true)]
    [InlineData("v1.29.3-eks-1", true)]
    [InlineData("1.28", false)]
    public void The_kubernetes_version_makes_auto_mode_mean_what_it_means_in_that_cluster(string version, bool native)
    {
        var job = Deployment("shop").Replace("apps/v1", "batch/v1", StringComparison.Ordinal).Replace("Deployment", "Job", StringComparison.Ordinal);

        var result = Cli.Run(job, ["inject", .. Cli.BaseArgs, "-f", "-", "--kubernetes-version", version, "-o", "json"]);

        var spec = System.Text.Json.Nodes.JsonNode.Parse(result.Stdout)!["spec"]!["template"]!["spec"]!;
        Assert.Equal(native, spec["initContainers"]!.AsArray().Any(c => c!["name"]!.GetValue<string>() == "envoy"));
        Assert.Equal(!native, result.ReportLines.Any(l => l.Contains("warning: Job pods never complete while a classic Envoy sidecar keeps running", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(new[] { "--kubernetes-version", "latest" }, "appmesh-inject: --kubernetes-version: 'latest' is not a Kubernetes version such as 1.30 or v1.30.4")]
    [InlineData(new[] { "--namespace-labels", "shop:team" }, "appmesh-inject: --namespace-labels: 'team' is not KEY=VALUE (in 'shop:team')")]
    [InlineData(new[] { "--namespace-labels", "Shop_1:a=b" }, "appmesh-inject: --namespace-labels: 'Shop_1' is not a valid namespace name (in 'Shop_1:a=b')")]
    public void Bad_selection_flags_are_usage_errors(string[] args, string message)
    {
        var result = Cli.Run(Deployment("shop"), ["inject", .. Cli.BaseArgs, "-f", "-", .. args]);

        Assert.Equal((2, ""), (result.ExitCode, result.Stdout));
        Assert.StartsWith(message + "\n", result.Stderr);
    }

    private const string RestrictedReasons =
        "and will refuse this pod after injection: proxyinit adds capability NET_ADMIN, which restricted does not allow; "
        + "proxyinit and envoy do not set allowPrivilegeEscalation: false; proxyinit and envoy do not drop capability ALL; "
        + "proxyinit and envoy do not set runAsNonRoot: true, nor does the pod; "
        + "proxyinit and envoy do not set seccompProfile RuntimeDefault or Localhost, nor does the pod; "
        + "no injection mode meets restricted (the injected containers' security context is fixed): "
        + "label the namespace pod-security.kubernetes.io/enforce=baseline with CNI mode (annotation appmesh.k8s.aws/appmeshCNI: enabled, with the App Mesh CNI plugin); "
        + "or label the namespace pod-security.kubernetes.io/enforce=privileged";

    [Fact]
    public void Inject_warns_when_the_Namespace_document_enforces_a_Pod_Security_level_the_injected_containers_break()
    {
        var input = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    appmesh.k8s.aws/sidecarInjectorWebhook: enabled\n"
            + "    pod-security.kubernetes.io/enforce: restricted\n---\n" + Deployment("shop");

        var result = Cli.Inject(input, "-f", "-");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal([
            "<stdin>:1: Namespace shop: passed through",
            "<stdin>:9: Deployment shop/web: injected (mesh demo, virtual node web-shop)",
            "<stdin>:9: Deployment shop/web: warning: namespace shop enforces Pod Security level restricted (pod-security.kubernetes.io/enforce=restricted) " + RestrictedReasons,
            "1 injected, 0 skipped, 1 passed through, 0 failed, 0 unreadable",
        ], result.ReportLines);
    }

    [Fact]
    public void Explain_warns_of_an_enforce_label_value_that_is_no_level_as_the_restricted_level_the_API_server_applies()
    {
        var lines = Explain(Deployment("shop"), "--namespace-labels", "shop:appmesh.k8s.aws/sidecarInjectorWebhook=enabled,pod-security.kubernetes.io/enforce=strict");

        Assert.Contains("  warning: namespace shop has pod-security.kubernetes.io/enforce=strict, which is not privileged, baseline or restricted, so the API server enforces restricted " + RestrictedReasons, lines);
        Assert.Equal("  would be injected: yes (injected into mesh demo as virtual node web-shop)", lines[2]);
    }
}

/// <summary>The cluster as the source of namespace labels, annotations, the webhook configuration's selector
/// and the Kubernetes version (<c>--kubeconfig</c>, or KUBECONFIG as kubectl reads it).</summary>
public sealed class ClusterSelectionTests
{
    private const string Job = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: migrate, namespace: shop}\nspec:\n  template:\n    spec:\n      containers: [{name: m, image: m}]\n";

    [Fact]
    public async Task Explain_reads_labels_annotations_and_the_version_from_the_cluster_named_by_KUBECONFIG()
    {
        await using var api = await FakeApiServer.StartAsync();
        using var dir = new TempDir("cluster");
        api.SetNamespace("shop", new() { ["appmesh.k8s.aws/sidecarLogLevel"] = "debug" }, labels: new() { ["appmesh.k8s.aws/sidecarInjectorWebhook"] = "enabled" });
        var env = new Dictionary<string, string> { ["KUBECONFIG"] = api.WriteKubeconfig(dir.Path) };

        var result = Cli.RunWith(env, Job, ["explain", .. Cli.BaseArgs, "-f", "-"]);

        Assert.Equal(0, result.ExitCode);
        var lines = result.Stdout.Split('\n');
        Assert.Equal("  namespace shop: selected by the webhook configuration (labelled appmesh.k8s.aws/sidecarInjectorWebhook=enabled)", lines[1]);
        Assert.Matches(@"^    envoy log level +debug +\(namespace annotation appmesh\.k8s\.aws/sidecarLogLevel\)$", lines.Single(l => l.StartsWith("    envoy log level", StringComparison.Ordinal)));
        // The fake reports v1.30: auto mode means native there, so the Job gets no warning.
        Assert.Matches(@"^    sidecar mode +native \(auto: the cluster supports native sidecars\) +\(default\)$", lines.Single(l => l.StartsWith("    sidecar mode", StringComparison.Ordinal)));
        Assert.DoesNotContain(lines, l => l.Contains("warning: Job pods", StringComparison.Ordinal));
        Assert.Equal(
        [
            $"appmesh-inject: note: the cluster has no MutatingWebhookConfiguration appmesh-inject: the selection shown is the one appmesh-inject installs",
            $"appmesh-inject: note: namespaces, version and webhook configuration read from {api.Url} (KUBECONFIG={env["KUBECONFIG"]})",
        ], result.ReportLines);
    }

    // kubectl's merge of a KUBECONFIG list: the first file that names a current context names it, the first file
    // that defines a name defines it; a file that does not exist is passed over.
    [Fact]
    public async Task A_KUBECONFIG_list_is_merged_as_kubectl_merges_it()
    {
        await using var api = await FakeApiServer.StartAsync();
        using var dir = new TempDir("cluster");
        api.SetNamespace("shop", new() { ["appmesh.k8s.aws/sidecarLogLevel"] = "debug" }, labels: new() { ["appmesh.k8s.aws/sidecarInjectorWebhook"] = "enabled" });
        var real = api.WriteKubeconfig(dir.Path);
        // The first file chooses the context and defines only it; the cluster and user come from the second, whose
        // own current-context ("fake") is not the one used. A third file defines "fake" again, pointing nowhere.
        var first = dir.Write("first", "apiVersion: v1\nkind: Config\ncontexts:\n- name: mine\n  context: {cluster: fake, user: tester}\ncurrent-context: mine\n");
        var third = dir.Write("third", "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster: {server: 'http://127.0.0.1:1'}\n");
        var list = string.Join(Path.PathSeparator, first, Path.Combine(dir.Path, "missing"), real, third);
        var env = new Dictionary<string, string> { ["KUBECONFIG"] = list };

        var result = Cli.RunWith(env, Job, ["explain", .. Cli.BaseArgs, "-f", "-"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains($"appmesh-inject: note: namespaces, version and webhook configuration read from {api.Url} (KUBECONFIG={list})", result.ReportLines);
        Assert.Matches(@"^    envoy log level +debug +\(namespace annotation appmesh\.k8s\.aws/sidecarLogLevel\)$", result.Stdout.Split('\n').Single(l => l.StartsWith("    envoy log level", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_clusters_own_namespace_selector_is_the_one_followed()
    {
        await using var api = await FakeApiServer.StartAsync();
        using var dir = new TempDir("cluster");
        api.SetNamespace("shop", labels: new() { ["appmesh.k8s.aws/sidecarInjectorWebhook"] = "enabled" });
        api.AddWebhookConfiguration("appmesh-inject", "Y2E=");
        var stored = api.Objects["/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/appmesh-inject"];
        // An older install that selects namespaces labelled mesh=on only.
        stored["webhooks"]![0]!["namespaceSelector"] = new System.Text.Json.Nodes.JsonObject { ["matchLabels"] = new System.Text.Json.Nodes.JsonObject { ["mesh"] = "on" } };

        var result = Cli.Run(Job, ["inject", .. Cli.BaseArgs, "-f", "-", "--kubeconfig", api.WriteKubeconfig(dir.Path)]);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("<stdin>:1: Job shop/migrate: skipped (namespace-not-selected): namespace shop is labelled appmesh.k8s.aws/sidecarInjectorWebhook=enabled, which the webhook configuration does not select (enabled or disabled), so the webhook never sees its pods", result.ReportLines);
    }

    [Fact]
    public void An_unreachable_cluster_is_a_usage_error_that_names_offline()
    {
        using var dir = new TempDir("cluster");
        var kubeconfig = dir.Write("config", "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'http://127.0.0.1:1'}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n");

        var failed = Cli.Run(Job, ["inject", .. Cli.BaseArgs, "-f", "-", "--kubeconfig", kubeconfig]);
        var offline = Cli.Run(Job, ["inject", .. Cli.BaseArgs, "-q", "-f", "-", "--kubeconfig", kubeconfig, "--offline"]);

        Assert.Equal(2, failed.ExitCode);
        Assert.StartsWith($"appmesh-inject: cannot read the cluster (--kubeconfig {kubeconfig}): list namespaces: ", failed.Stderr);
        Assert.EndsWith("; pass --offline to work without it\n", failed.Stderr);
        Assert.Equal(0, offline.ExitCode);
    }
}
