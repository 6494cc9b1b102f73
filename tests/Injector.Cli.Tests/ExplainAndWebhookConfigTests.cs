using System.Text;
using Injector.Manifests;

namespace Injector.Cli.Tests;

public sealed class ExplainAndWebhookConfigTests
{
    private const string Manifests = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: shop
          labels:
            appmesh.k8s.aws/sidecarInjectorWebhook: enabled
          annotations:
            appmesh.k8s.aws/sidecarLogLevel: debug
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: cart
          namespace: shop
          annotations:
            appmesh.k8s.aws/mesh: wrong-place
        spec:
          template:
            metadata:
              annotations:
                appmesh.k8s.aws/cpuRequest: 50m
            spec:
              containers:
              - name: cart
                image: example.com/cart:1
                ports:
                - containerPort: 8080
        ---
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: once
        spec:
          template:
            metadata:
              annotations:
                appmesh.k8s.aws/sidecarInjectorWebhook: disabled
            spec:
              containers:
              - name: once
                image: busybox
        """;

    [Fact]
    public void Explain_names_the_environment_variable_or_config_file_a_setting_came_from()
    {
        using var dir = new TempDir("cli");
        var config = dir.Write("inject.yaml", "sidecar-image: registry.example.com/envoy:v1\n");
        var env = new Dictionary<string, string> { ["APPMESH_NAME"] = "env-mesh", ["AWS_REGION"] = "eu-west-1" };

        var result = Cli.RunWith(env, Manifests, "explain", "-f", "-", "--config", config, "--sidecar-memory-requests", "64Mi");

        Assert.Equal(0, result.ExitCode);
        var cart = result.Stdout.Split('\n').TakeWhile(l => l.Length > 0).ToList();
        string Setting(string name) => cart.Single(l => l.StartsWith("    " + name + " ", StringComparison.Ordinal));
        Assert.Matches(@"^    envoy image +registry\.example\.com/envoy:v1 +\(config file '.*/inject\.yaml'\)$", Setting("envoy image"));
        Assert.Matches(@"^    region +eu-west-1 +\(environment variable AWS_REGION\)$", Setting("region"));
        Assert.Matches(@"^    memory request +64Mi +\(flag --sidecar-memory-requests\)$", Setting("memory request"));
        Assert.Matches(@"^    tracing +none +\(default\)$", Setting("tracing"));
    }

    [Fact]
    public void Explain_says_why_and_where_each_setting_comes_from()
    {
        var result = Cli.Run(Manifests, "explain", "-f", "-", "--mesh-name", "demo", "--region", "us-west-2", "--sidecar-memory-requests", "64Mi");

        Assert.Equal(0, result.ExitCode);
        var lines = result.Stdout.Split('\n');
        Assert.Equal("<stdin>:10: Deployment shop/cart (pod template: spec.template)", lines[0]);
        Assert.Equal("  namespace shop: selected by the webhook configuration (labelled appmesh.k8s.aws/sidecarInjectorWebhook=enabled)", lines[1]);
        Assert.Equal("  would be injected: yes (injected into mesh demo as virtual node cart-shop)", lines[2]);
        var cart = lines.TakeWhile(l => l.Length > 0).ToList();
        string Setting(string name) => cart.Single(l => l.StartsWith("    " + name + " ", StringComparison.Ordinal));
        Assert.Matches(@"^    mesh +demo +\(flag --mesh-name\)$", Setting("mesh"));
        Assert.Matches(@"^    virtual node +cart-shop +\(derived: workload cart \+ namespace shop\)$", Setting("virtual node"));
        Assert.Matches(@"^    envoy log level +debug +\(namespace annotation appmesh\.k8s\.aws/sidecarLogLevel\)$", Setting("envoy log level"));
        Assert.Matches(@"^    cpu request +50m +\(annotation appmesh\.k8s\.aws/cpuRequest\)$", Setting("cpu request"));
        Assert.Matches(@"^    memory request +64Mi +\(flag --sidecar-memory-requests\)$", Setting("memory request"));
        Assert.Matches(@"^    egress ignored ports +22 +\(default\)$", Setting("egress ignored ports"));
        Assert.Matches(@"^    app ports +8080 +\(containerPorts of the app containers\)$", Setting("app ports"));
        Assert.Contains("  warning: annotation appmesh.k8s.aws/mesh is on the Deployment's own metadata, where the injector does not read it; move it to spec.template.metadata.annotations", lines);
        Assert.Contains("<stdin>:29: Job default/once (pod template: spec.template)", lines);
        Assert.Contains("  would be injected: unknown (namespace-labels-unknown): the labels of namespace default are not known (no Namespace document in the input, no --namespace-labels, no cluster); the webhook sees its pods only when it is labelled appmesh.k8s.aws/sidecarInjectorWebhook=enabled or disabled; if the webhook sees it: no (skipped: disabled-by-annotation): appmesh.k8s.aws/sidecarInjectorWebhook is disabled", lines);
        Assert.Contains("  not sent to the webhook: the pod opts out (appmesh.k8s.aws/sidecarInjectorWebhook: disabled) (match condition not-opted-out), so such pods are created even while the injector is down", lines);
    }

    [Fact]
    public void Explain_exits_1_when_a_pod_would_be_denied()
    {
        var result = Cli.Run("kind: Pod\nmetadata:\n  name: p\n  annotations:\n    appmesh.k8s.aws/cpuLimit: lots\nspec:\n  containers: [{name: a, image: b}]\n",
            "explain", "-f", "-", "--mesh-name", "demo", "--region", "us-west-2", "--namespace-labels", "appmesh.k8s.aws/sidecarInjectorWebhook=enabled");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("  would be injected: no (denied: invalid-annotation): annotation appmesh.k8s.aws/cpuLimit: \"lots\" is not valid; expected a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi", result.Stdout.Split('\n'));
    }

    [Fact]
    public void Injection_uses_the_namespace_documents_annotations_as_defaults()
    {
        var result = Cli.Inject(Manifests, "-q", "-f", "-", "-o", "json");

        var envoyEnv = System.Text.Json.Nodes.JsonNode.Parse(result.Stdout)!["items"]![1]!["spec"]!["template"]!["spec"]!["containers"]![1]!["env"]!;
        Assert.Equal("ENVOY_LOG_LEVEL=debug", $"{envoyEnv[3]!["name"]}={envoyEnv[3]!["value"]}");
    }

    [Fact]
    public void Webhook_config_renders_the_configuration_with_the_ca_bundle()
    {
        using var dir = new TempDir("cli");
        const string pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        var ca = dir.Write("ca.crt", pem);
        var result = Cli.Run(null, "webhook-config", "--ca-file", ca, "--service-namespace", "mesh-system", "--failure-policy", "Ignore", "--timeout-seconds", "5");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Stderr);
        Assert.Equal($"""
            apiVersion: admissionregistration.k8s.io/v1
            kind: MutatingWebhookConfiguration
            metadata:
              name: appmesh-inject
            webhooks:
            - name: appmesh-inject.mesh-system.svc
              admissionReviewVersions:
              - v1
              - v1beta1
              clientConfig:
                service:
                  name: appmesh-inject
                  namespace: mesh-system
                  path: /mutate
                  port: 443
                caBundle: {Convert.ToBase64String(Encoding.UTF8.GetBytes(pem))}
              rules:
              - apiGroups:
                - ""
                apiVersions:
                - v1
                operations:
                - CREATE
                resources:
                - pods
                scope: Namespaced
              namespaceSelector:
                matchExpressions:
                - key: appmesh.k8s.aws/sidecarInjectorWebhook
                  operator: In
                  values:
                  - enabled
                  - disabled
                - key: kubernetes.io/metadata.name
                  operator: NotIn
                  values:
                  - kube-system
                  - kube-public
                  - kube-node-lease
                  - mesh-system
              objectSelector:
                matchExpressions:
                - key: appmesh.k8s.aws/sidecarInjectorWebhook
                  operator: NotIn
                  values:
                  - disabled
              failurePolicy: Ignore
              matchPolicy: Equivalent
              sideEffects: NoneOnDryRun
              timeoutSeconds: 5
              reinvocationPolicy: IfNeeded
              matchConditions:
              - name: not-opted-out
                expression: "!has(object.metadata.annotations) || !('appmesh.k8s.aws/sidecarInjectorWebhook' in object.metadata.annotations) || object.metadata.annotations['appmesh.k8s.aws/sidecarInjectorWebhook'] != 'disabled'"
              - name: not-host-network
                expression: '!has(object.spec.hostNetwork) || !object.spec.hostNetwork'
              - name: not-the-injector
                expression: "!has(object.metadata.labels) || !('app.kubernetes.io/name' in object.metadata.labels) || object.metadata.labels['app.kubernetes.io/name'] != 'appmesh-inject'"

            """, result.Stdout);
    }

    [Theory]
    [InlineData(new[] { "--failure-policy", "Maybe" }, "appmesh-inject: --failure-policy: 'Maybe' is not Fail or Ignore\n")]
    [InlineData(new[] { "--timeout-seconds", "31" }, "appmesh-inject: --timeout-seconds: 31 must be from 1 to 30 (the API server's limit)\n")]
    [InlineData(new[] { "--service-nmespace", "x" }, "appmesh-inject: unknown flag '--service-nmespace' for appmesh-inject webhook-config; did you mean '--service-namespace'?\n")]
    public void Webhook_config_rejects_bad_options_with_exit_2(string[] args, string message)
    {
        var result = Cli.Run(null, ["webhook-config", .. args]);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(message + "Run 'appmesh-inject webhook-config --help' for usage.\n", result.Stderr);
    }

    [Fact]
    public void Webhook_config_rejects_a_ca_file_without_a_certificate()
    {
        using var dir = new TempDir("cli");
        var result = Cli.Run(null, "webhook-config", "--ca-file", dir.Write("ca.crt", "not a pem"));

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("appmesh-inject: --ca-file: the file holds no PEM certificate", result.Stderr);
    }

    [Fact]
    public void Webhook_config_output_is_valid_yaml_of_the_same_object_as_json()
    {
        var yaml = Cli.Run(null, "webhook-config");
        var json = Cli.Run(null, "webhook-config", "-o", "json");

        Cli.AssertJsonEqual(YamlJson.Read(yaml.Stdout), System.Text.Json.Nodes.JsonNode.Parse(json.Stdout));
        Assert.Equal("appmesh-inject: note: no --ca-file, so caBundle is left out; set it, or let cert-manager's CA injector fill it\n", yaml.Stderr);
    }

    /// <summary>The help says what the configuration holds: every match condition by name, the object selector and
    /// sideEffects — a reader comparing it with a cluster's configuration finds each part named.</summary>
    [Fact]
    public void Webhook_config_help_names_each_selector_and_condition_it_prints()
    {
        var webhook = System.Text.Json.Nodes.JsonNode.Parse(Cli.Run(null, "webhook-config", "-o", "json").Stdout)!["webhooks"]![0]!;
        var help = Cli.Run(null, "webhook-config", "--help").Stdout.ReplaceLineEndings(" ").Replace("  ", " ", StringComparison.Ordinal);

        var parts = webhook["matchConditions"]!.AsArray().Select(c => (string)c!["name"]!)
            .Append("objectSelector")
            .Append($"sideEffects {webhook["sideEffects"]}")
            .Append($"matchPolicy {webhook["matchPolicy"]}");
        Assert.All(parts, part => Assert.True(help.Contains(part, StringComparison.Ordinal), $"the help does not name {part}"));
    }
}
