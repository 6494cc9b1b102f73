using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Injector.Cli.Rendering;
using k8s.Models;

namespace Injector.Shipping.Tests;

public class ChartTests
{
    private const string Name = "appmesh-inject";

    public static TheoryData<string, string[]> CertificateModes => new()
    {
        { "generate (default values)", [] },
        { "certManager with a chart-made CA", ["--set", "tls.mode=certManager"] },
        { "certManager with a given ClusterIssuer", ["--set", "tls.mode=certManager", "--set", "tls.certManager.issuerRef.name=corp-ca", "--set", "tls.certManager.issuerRef.kind=ClusterIssuer"] },
        { "secret with a caBundle", ["--set", "tls.mode=secret", "--set", "tls.existingSecret=webhook-tls", "--set", "tls.caBundle=Q0E="] },
        { "secret with a self-patched caBundle", ["--set", "tls.mode=secret", "--set", "tls.existingSecret=webhook-tls", "--set", "webhook.patchCaBundle=true"] },
        { "everything optional on", ["--set", "metrics.serviceMonitor.enabled=true", "--set", "metrics.prometheusRule.enabled=true", "--set", "autoscaling.enabled=true"] },
    };

    [Theory]
    [MemberData(nameof(CertificateModes))]
    public void Helm_lint_strict_passes(string mode, string[] values)
    {
        var result = Helm.Run(["lint", "--strict", Repo.ChartDir, .. Helm.Required, .. values]);

        Assert.True(result.ExitCode == 0, $"{mode}: {result.StdOut}{result.StdErr}");
        Assert.Contains("1 chart(s) linted, 0 chart(s) failed", result.StdOut.Split('\n'));
    }

    [Theory]
    [MemberData(nameof(CertificateModes))]
    public void Every_rendered_document_loads_strictly_into_the_kubernetes_models(string mode, string[] values)
    {
        var rendered = Helm.Render(values);

        string[] common =
        [
            "policy/v1 PodDisruptionBudget appmesh-inject",
            "v1 ServiceAccount appmesh-inject",
            "rbac.authorization.k8s.io/v1 ClusterRole appmesh-inject",
            "rbac.authorization.k8s.io/v1 ClusterRoleBinding appmesh-inject",
            "v1 Service appmesh-inject",
            "apps/v1 Deployment appmesh-inject",
            "admissionregistration.k8s.io/v1 MutatingWebhookConfiguration appmesh-inject",
        ];
        string[] expected = mode switch
        {
            "generate (default values)" => [.. common[..2], "v1 Secret appmesh-inject-tls", .. common[2..]],
            "certManager with a chart-made CA" =>
            [
                .. common,
                "cert-manager.io/v1 Certificate appmesh-inject-ca",
                "cert-manager.io/v1 Certificate appmesh-inject",
                "cert-manager.io/v1 Issuer appmesh-inject-selfsigned",
                "cert-manager.io/v1 Issuer appmesh-inject-ca",
            ],
            "certManager with a given ClusterIssuer" => [.. common, "cert-manager.io/v1 Certificate appmesh-inject"],
            "everything optional on" =>
            [
                .. common[..2], "v1 Secret appmesh-inject-tls", .. common[2..6],
                "autoscaling/v2 HorizontalPodAutoscaler appmesh-inject",
                "admissionregistration.k8s.io/v1 MutatingWebhookConfiguration appmesh-inject",
                "monitoring.coreos.com/v1 PrometheusRule appmesh-inject",
                "monitoring.coreos.com/v1 ServiceMonitor appmesh-inject",
            ],
            _ => common,
        };
        Assert.Equal(expected, rendered.Inventory());
    }

    [Fact]
    public void Strict_loading_rejects_a_field_the_models_do_not_have()
    {
        var manifests = Helm.Template().Replace("sideEffects: NoneOnDryRun", "sideEffects: NoneOnDryRun\n    sideEffect: None");

        Assert.ThrowsAny<Exception>(() => Helm.LoadStrict(manifests));
    }

    [Fact]
    public void Webhook_configuration_sends_only_pod_creation_in_labelled_namespaces()
    {
        var webhook = Helm.Render().Webhook;

        Assert.Equal("appmesh-inject.appmesh-system.svc", webhook.Name);
        Assert.Equal(["v1", "v1beta1"], webhook.AdmissionReviewVersions);
        Assert.Equal("NoneOnDryRun", webhook.SideEffects);
        Assert.Equal("Fail", webhook.FailurePolicy);
        Assert.Equal("Equivalent", webhook.MatchPolicy);
        Assert.Equal("IfNeeded", webhook.ReinvocationPolicy);
        Assert.Equal(10, webhook.TimeoutSeconds);
        var optOut = Assert.Single(webhook.ObjectSelector.MatchExpressions);
        Assert.Equal(("appmesh.k8s.aws/sidecarInjectorWebhook", "NotIn"), (optOut.Key, optOut.OperatorProperty));
        Assert.Equal(["disabled"], optOut.Values);
        Assert.Equal(["not-opted-out", "not-host-network", "not-the-injector"], webhook.MatchConditions.Select(c => c.Name));
        Assert.Null(webhook.ClientConfig.Url);
        Assert.Equal(Name, webhook.ClientConfig.Service.Name);
        Assert.Equal("appmesh-system", webhook.ClientConfig.Service.NamespaceProperty);
        Assert.Equal("/mutate", webhook.ClientConfig.Service.Path);
        Assert.Equal(443, webhook.ClientConfig.Service.Port);

        var rule = Assert.Single(webhook.Rules);
        Assert.Equal(["CREATE"], rule.Operations);
        Assert.Equal([""], rule.ApiGroups);
        Assert.Equal(["v1"], rule.ApiVersions);
        Assert.Equal(["pods"], rule.Resources);
        Assert.Equal("Namespaced", rule.Scope);

        Assert.Null(webhook.NamespaceSelector.MatchLabels);
        Assert.Collection(webhook.NamespaceSelector.MatchExpressions,
            gate =>
            {
                Assert.Equal("appmesh.k8s.aws/sidecarInjectorWebhook", gate.Key);
                Assert.Equal("In", gate.OperatorProperty);
                Assert.Equal(["enabled", "disabled"], gate.Values);
            },
            exclusions =>
            {
                Assert.Equal("kubernetes.io/metadata.name", exclusions.Key);
                Assert.Equal("NotIn", exclusions.OperatorProperty);
                Assert.Equal(["kube-system", "kube-public", "kube-node-lease", "appmesh-system"], exclusions.Values);
            });
    }

    [Theory]
    [InlineData("mesh-infra", new[] { "kube-system", "kube-public", "kube-node-lease", "mesh-infra" })]
    [InlineData("kube-system", new[] { "kube-system", "kube-public", "kube-node-lease" })]
    public void The_release_namespace_is_always_excluded_once(string ns, string[] excluded)
    {
        var webhook = Helm.RenderIn(ns).Webhook;

        Assert.Equal(excluded, webhook.NamespaceSelector.MatchExpressions[1].Values);
        Assert.Equal(ns, webhook.ClientConfig.Service.NamespaceProperty);
        Assert.Equal($"appmesh-inject.{ns}.svc", webhook.Name);
    }

    /// <summary>A values file's <c>excludeNamespaces: null</c> (Helm's way to drop a default) or <c>[]</c> leaves the
    /// release namespace alone excluded; null ended helm in "error calling append: runtime error: invalid memory
    /// address or nil pointer dereference".</summary>
    [Theory]
    [InlineData("excludeNamespaces: null")]
    [InlineData("excludeNamespaces: []")]
    public void Without_excluded_namespaces_only_the_release_namespace_is_excluded(string values)
    {
        using var temp = new TempDir("exclude-namespaces");
        var file = Path.Combine(temp.Path, "values.yaml");
        File.WriteAllText(file, values + "\n");

        var result = Helm.Run(["template", Helm.Release, Repo.ChartDir, "--namespace", "mesh-infra", .. Helm.Required, "-f", file]);

        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.Equal(["mesh-infra"], new Rendered(Helm.LoadStrict(result.StdOut)).Webhook.NamespaceSelector.MatchExpressions[1].Values);
    }

    [Theory]
    [InlineData("Fail")]
    [InlineData("Ignore")]
    public void Failure_policy_and_timeout_come_from_values(string policy)
    {
        var rendered = Helm.Render("--set", $"webhook.failurePolicy={policy}", "--set", "webhook.timeoutSeconds=5");

        Assert.Equal(policy, rendered.Webhook.FailurePolicy);
        Assert.Equal(5, rendered.Webhook.TimeoutSeconds);
        // The webhook applies the same policy to its own internal errors.
        Assert.Contains($"--failure-policy={policy}", rendered.Container.Args);
    }

    public static TheoryData<string, string, string[], WebhookConfigurationOptions> RendererCases => new()
    {
        { "appmesh-inject", "appmesh-system", [], new() },
        { "injector", "mesh-infra", [], new() { Name = "injector-appmesh-inject", ServiceName = "injector-appmesh-inject", ServiceNamespace = "mesh-infra" } },
        { "appmesh-inject", "appmesh-system", ["--set", "webhook.failurePolicy=Ignore", "--set", "webhook.timeoutSeconds=5"], new() { FailurePolicy = "Ignore", TimeoutSeconds = 5 } },
        { "appmesh-inject", "appmesh-system", ["--set", "webhook.matchConditions=false"], new() { MatchConditions = false } },
        { "appmesh-inject", "kube-system", [], new() { ServiceNamespace = "kube-system" } },
    };

    [Theory]
    [MemberData(nameof(RendererCases))]
    public void The_chart_renders_the_webhook_that_appmesh_inject_webhook_config_renders(string release, string ns, string[] values, WebhookConfigurationOptions options)
    {
        var manifests = Helm.Run(["template", release, Repo.ChartDir, "--namespace", ns, .. Helm.Required, "--set", "tls.mode=certManager", .. values]).EnsureSuccess().StdOut;
        var chart = Yaml.Documents(manifests).Single(d => (string?)d["kind"] == "MutatingWebhookConfiguration");
        var cli = WebhookConfiguration.Render(options);

        // cert-manager fills the chart's caBundle; the command leaves it out without --ca-file.
        chart.Remove("metadata");
        cli.Remove("metadata");
        Assert.True(JsonNode.DeepEquals(cli, chart), $"chart:\n{chart}\ncommand:\n{cli}");
    }

    [Fact]
    public void The_chart_and_the_command_write_the_same_caBundle_for_the_same_CA()
    {
        var caBundle = Convert.ToBase64String(Encoding.UTF8.GetBytes(TestCa));
        var manifests = Helm.Template(Helm.Namespace, "--set", "tls.mode=secret", "--set", "tls.existingSecret=webhook-tls", "--set", $"tls.caBundle={caBundle}");
        var chart = Yaml.Documents(manifests).Single(d => (string?)d["kind"] == "MutatingWebhookConfiguration");
        var cli = WebhookConfiguration.Render(new WebhookConfigurationOptions { CaPem = TestCa });

        Assert.Equal(caBundle, (string?)cli["webhooks"]![0]!["clientConfig"]!["caBundle"]);
        Assert.Equal(caBundle, (string?)chart["webhooks"]![0]!["clientConfig"]!["caBundle"]);
    }

    private static readonly string TestCa = CertificateStoreCa();

    private static string CertificateStoreCa()
    {
        using var ca = Injector.Webhook.CertificateStore.CreateCa("CN=test CA");
        return ca.ExportCertificatePem() + "\n";
    }

    [Fact]
    public void Without_match_conditions_the_webhook_still_keeps_labelled_opt_outs_away()
    {
        var webhook = Helm.Render("--set", "webhook.matchConditions=false").Webhook;

        Assert.Null(webhook.MatchConditions);
        Assert.Equal("appmesh.k8s.aws/sidecarInjectorWebhook", Assert.Single(webhook.ObjectSelector.MatchExpressions).Key);
    }

    [Fact]
    public void The_autoscaler_scales_the_deployment_on_cpu_from_two_replicas_and_the_deployment_leaves_replicas_to_it()
    {
        var rendered = Helm.Render("--set", "autoscaling.enabled=true");
        var hpa = rendered.Single<V2HorizontalPodAutoscaler>();

        Assert.Null(rendered.Deployment.Spec.Replicas);
        Assert.Equal(("apps/v1", "Deployment", "appmesh-inject"), (hpa.Spec.ScaleTargetRef.ApiVersion, hpa.Spec.ScaleTargetRef.Kind, hpa.Spec.ScaleTargetRef.Name));
        Assert.Equal((2, 6), (hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas));
        var metric = Assert.Single(hpa.Spec.Metrics);
        Assert.Equal(("Resource", "cpu", "Utilization", 75), (metric.Type, metric.Resource.Name, metric.Resource.Target.Type, metric.Resource.Target.AverageUtilization));
        Assert.Equal(1, int.Parse(rendered.Single<V1PodDisruptionBudget>().Spec.MinAvailable.Value));
    }

    [Fact]
    public void Monitoring_objects_are_rendered_only_when_asked()
    {
        var plain = Helm.Render();
        Assert.Empty(plain.All<ServiceMonitor>());
        Assert.Empty(plain.All<PrometheusRule>());
        Assert.Empty(plain.All<V2HorizontalPodAutoscaler>());

        var rendered = Helm.Render("--set", "metrics.serviceMonitor.enabled=true", "--set", "metrics.serviceMonitor.labels.release=kube-prometheus-stack",
            "--set", "metrics.prometheusRule.enabled=true");
        var monitor = rendered.Single<ServiceMonitor>();
        Assert.Equal("kube-prometheus-stack", monitor.Metadata.Labels["release"]);
        Assert.Equal(rendered.Deployment.Spec.Selector.MatchLabels, monitor.Spec.Selector.MatchLabels);
        Assert.Equal(["appmesh-system"], monitor.Spec.NamespaceSelector!.MatchNames);
        var endpoint = Assert.Single(monitor.Spec.Endpoints);
        Assert.Equal(("http-metrics", "/metrics", "http", "30s"), (endpoint.Port, endpoint.Path, endpoint.Scheme, endpoint.Interval));
        Assert.Contains(rendered.Single<V1Service>().Spec.Ports, p => p.Name == endpoint.Port);
        Assert.Equal(
            ["AppMeshInjectAdmissionErrors", "AppMeshInjectDenials", "AppMeshInjectTLSHandshakeFailures", "AppMeshInjectCertificateExpiresSoon", "AppMeshInjectKubernetesAPIFailures"],
            Assert.Single(rendered.Single<PrometheusRule>().Spec.Groups).Rules.Select(r => r.Alert));
    }

    [Fact]
    public void The_webhook_gets_requests_and_limits_by_default()
    {
        var resources = Helm.Render().Container.Resources;

        Assert.Equal(("100m", "160Mi"), (resources.Requests["cpu"].ToString(), resources.Requests["memory"].ToString()));
        Assert.Equal(("1", "256Mi"), (resources.Limits["cpu"].ToString(), resources.Limits["memory"].ToString()));
    }

    [Theory]
    [InlineData("webhook.failurePolicy=ignore", "- at '/webhook/failurePolicy': value must be one of 'Fail', 'Ignore'")]
    [InlineData("webhook.timeoutSeconds=31", "- at '/webhook/timeoutSeconds': maximum: got 31, want 30")]
    [InlineData("tls.mode=selfsigned", "- at '/tls/mode': value must be one of 'generate', 'certManager', 'secret'")]
    [InlineData("tracing.provider=zipkin", "- at '/tracing/provider': value must be one of '', 'xray', 'jaeger', 'datadog'")]
    [InlineData("failurePolicy=Ignore", "- at '': additional properties 'failurePolicy' not allowed")]
    [InlineData("namespaceSelector.value=enabled", "- at '': additional properties 'namespaceSelector' not allowed")]
    [InlineData("autoscaling.minReplicas=1", "- at '/autoscaling/minReplicas': minimum: got 1, want 2")]
    // The image is repository:tag: a tag in the repository rendered "r/x:0.1.0:0.1.0", a pod that cannot pull (InvalidImageName).
    [InlineData("image.repository=registry.example.com/appmesh-inject-webhook:0.1.0", "- at '/image/repository': 'registry.example.com/appmesh-inject-webhook:0.1.0' does not match pattern '^(<your-registry>/appmesh-inject-webhook|(?:[A-Za-z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:[._/-]+[a-z0-9]+)*)$'")]
    [InlineData("image.tag=0.1.0:latest", "- at '/image/tag': '0.1.0:latest' does not match pattern '^([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$'")]
    // null removes a default in Helm: a setting every template needs is then missing, not %!q(<nil>) or a nil pointer.
    [InlineData("webhook.failurePolicy=null", "- at '/webhook': missing property 'failurePolicy'")]
    [InlineData("tls.mode=null", "- at '/tls': missing property 'mode'")]
    [InlineData("autoscaling.enabled=null", "- at '/autoscaling': missing property 'enabled'")]
    public void Values_outside_the_schema_are_refused(string value, string message)
    {
        var result = Helm.Run(["template", Helm.Release, Repo.ChartDir, .. Helm.Required, "--set", value]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.StdErr.Split('\n'));
    }

    [Theory]
    [InlineData(new[] { "--set", "tls.mode=secret" }, "tls.mode=secret needs tls.existingSecret: the name of a kubernetes.io/tls secret in the release namespace")]
    [InlineData(new[] { "--set", "tls.mode=secret", "--set", "tls.existingSecret=s" }, "tls.mode=secret needs tls.caBundle (base64 PEM of the CA) or webhook.patchCaBundle=true")]
    [InlineData(new[] { "--set", "metrics.port=8443" }, "metrics.port and containerPort are both 8443: the plain-HTTP metrics port and the HTTPS port need their own numbers")]
    // The webhook refuses them at start-up (exit 2): refused here, not in a crash-looping pod.
    [InlineData(new[] { "--set", "sidecar.envoyAdminPort=15000" }, "sidecar.envoyAdminPort 15000 is Envoy's ingress port; choose another port (the webhook refuses it and would not start)")]
    [InlineData(new[] { "--set", "sidecar.envoyAdminPort=15001" }, "sidecar.envoyAdminPort 15001 is Envoy's egress port; choose another port (the webhook refuses it and would not start)")]
    public void Settings_that_cannot_work_together_are_refused_with_a_message(string[] values, string message)
    {
        var result = Helm.Run(["template", Helm.Release, Repo.ChartDir, .. Helm.Required, .. values]);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"Error: execution error at (appmesh-inject/templates/deployment.yaml:1:4): {message}", result.StdErr.Split('\n')[0]);
    }

    [Theory]
    [InlineData("mesh.name", "mesh.name is required: the App Mesh mesh that pods join unless they carry the appmesh.k8s.aws/mesh annotation (--set mesh.name=<mesh>)")]
    [InlineData("region", "region is required: the AWS region of the mesh, given to Envoy as AWS_REGION (--set region=<region>); the chart does not guess it")]
    [InlineData("image.repository", "image.repository is still the placeholder \"<your-registry>/appmesh-inject-webhook\": build and push the webhook image (docs/install.md, step 1) and --set image.repository=<registry>/appmesh-inject-webhook")]
    public void Without_a_required_value_the_chart_refuses_to_render_and_says_what_to_set(string key, string message)
    {
        var others = Helm.Required.Chunk(2).Where(pair => !pair[1].StartsWith(key + "=", StringComparison.Ordinal)).SelectMany(pair => pair).ToArray();
        // helm install and upgrade render as template does (helm lint turns fail into an info line, by design).
        var template = Helm.Run(["template", Helm.Release, Repo.ChartDir, .. others]);

        Assert.Equal((1, $"Error: execution error at (appmesh-inject/templates/deployment.yaml:1:4): {message}"), (template.ExitCode, template.StdErr.Split('\n')[0]));
    }

    [Fact]
    public void Deployment_runs_two_spread_replicas_with_no_privileges()
    {
        var rendered = Helm.Render();
        var deployment = rendered.Deployment;
        var pod = deployment.Spec.Template.Spec;
        var container = rendered.Container;

        Assert.Equal(2, deployment.Spec.Replicas);
        Assert.Equal("disabled", deployment.Spec.Template.Metadata.Labels["appmesh.k8s.aws/sidecarInjectorWebhook"]);
        Assert.DoesNotContain("appmesh.k8s.aws/sidecarInjectorWebhook", deployment.Spec.Selector.MatchLabels.Keys);
        Assert.Equal(0, int.Parse(deployment.Spec.Strategy.RollingUpdate.MaxUnavailable.Value));
        Assert.Equal(Name, pod.ServiceAccountName);
        Assert.Null(pod.HostNetwork);
        Assert.False(pod.EnableServiceLinks);

        Assert.True(pod.SecurityContext.RunAsNonRoot);
        Assert.Equal(1654, pod.SecurityContext.RunAsUser);
        Assert.Equal(1654, pod.SecurityContext.RunAsGroup);
        Assert.Equal(1654, pod.SecurityContext.FsGroup);
        Assert.Equal("RuntimeDefault", pod.SecurityContext.SeccompProfile.Type);

        var sc = container.SecurityContext;
        Assert.False(sc.AllowPrivilegeEscalation);
        Assert.False(sc.Privileged);
        Assert.True(sc.ReadOnlyRootFilesystem);
        Assert.True(sc.RunAsNonRoot);
        Assert.Equal(["ALL"], sc.Capabilities.Drop);
        Assert.Null(sc.Capabilities.Add);
        Assert.Equal("RuntimeDefault", sc.SeccompProfile.Type);

        var term = Assert.Single(pod.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution);
        Assert.Equal("kubernetes.io/hostname", term.PodAffinityTerm.TopologyKey);
        Assert.Equal(deployment.Spec.Selector.MatchLabels, term.PodAffinityTerm.LabelSelector.MatchLabels);
        Assert.Equal(new Dictionary<string, string> { ["kubernetes.io/os"] = "linux" }, pod.NodeSelector);
        var spread = Assert.Single(pod.TopologySpreadConstraints);
        Assert.Equal((1, "topology.kubernetes.io/zone", "ScheduleAnyway"), (spread.MaxSkew, spread.TopologyKey, spread.WhenUnsatisfiable));
        Assert.Equal(deployment.Spec.Selector.MatchLabels, spread.LabelSelector.MatchLabels);
        Assert.Null(pod.PriorityClassName);

        var pdb = rendered.Single<V1PodDisruptionBudget>();
        Assert.Equal(1, int.Parse(pdb.Spec.MinAvailable.Value));
        Assert.Equal(deployment.Spec.Selector.MatchLabels, pdb.Spec.Selector.MatchLabels);
    }

    [Theory]
    [InlineData(new string[0], 30)]
    [InlineData(new[] { "--set", "shutdownDelaySeconds=60" }, 80)]
    [InlineData(new[] { "--set", "shutdownDelaySeconds=15" }, 35)]
    public void The_grace_period_outlasts_the_shutdown_delay_and_the_reviews_in_flight(string[] values, long grace)
    {
        var pod = Helm.Render(values).Deployment.Spec.Template.Spec;

        Assert.Equal(grace, pod.TerminationGracePeriodSeconds);
    }

    [Fact]
    public void Probes_and_port_match_the_webhook_endpoints()
    {
        var container = Helm.Render().Container;

        Assert.Equal([("https", 8443, "TCP"), ("http-metrics", 8080, "TCP")], container.Ports.Select(p => (p.Name, p.ContainerPort, p.Protocol)));
        // The probes use the plain-HTTP port, as Prometheus does: no certificate to skip.
        Assert.Equal(("/healthz", "http-metrics", "HTTP"),
            (container.LivenessProbe.HttpGet.Path, container.LivenessProbe.HttpGet.Port.Value, container.LivenessProbe.HttpGet.Scheme));
        Assert.Equal(("/readyz", "http-metrics", "HTTP"),
            (container.ReadinessProbe.HttpGet.Path, container.ReadinessProbe.HttpGet.Port.Value, container.ReadinessProbe.HttpGet.Scheme));

        var service = Helm.Render().Single<V1Service>();
        Assert.Equal([(443, "https"), (8080, "http-metrics")], service.Spec.Ports.Select(p => (p.Port, p.TargetPort.Value)));
    }

    [Fact]
    public void Only_the_certificate_and_tmp_are_mounted()
    {
        var rendered = Helm.Render();
        var pod = rendered.Deployment.Spec.Template.Spec;

        Assert.Collection(rendered.Container.VolumeMounts,
            m => Assert.Equal(("tls", "/etc/appmesh-inject/tls", (bool?)true), (m.Name, m.MountPath, m.ReadOnlyProperty)),
            m => Assert.Equal(("tmp", "/tmp", (bool?)null), (m.Name, m.MountPath, m.ReadOnlyProperty)));
        Assert.Collection(pod.Volumes,
            v => Assert.Equal(("tls", "appmesh-inject-tls", (int?)288), (v.Name, v.Secret.SecretName, v.Secret.DefaultMode)),
            v => Assert.Equal(("tmp", "64Mi"), (v.Name, v.EmptyDir.SizeLimit.ToString())));
    }

    [Fact]
    public void Default_values_give_the_webhook_its_documented_defaults()
    {
        var args = Helm.Render().Container.Args;

        Assert.Equal(
        [
            "--port=8443",
            "--metrics-port=8080",
            "--failure-policy=Fail",
            "--tls-cert-file=/etc/appmesh-inject/tls/tls.crt",
            "--tls-key-file=/etc/appmesh-inject/tls/tls.key",
            "--mesh-name=demo",
            "--region=us-west-2",
            "--inject-default=true",
            "--shutdown-delay=5",
            "--sidecar-mode=auto",
            "--sidecar-image=public.ecr.aws/appmesh/aws-appmesh-envoy:v1.34.13.3-prod",
            "--init-image=840364872350.dkr.ecr.us-west-2.amazonaws.com/aws-appmesh-proxy-route-manager:v7-prod",
            "--sidecar-cpu-requests=10m",
            "--sidecar-memory-requests=32Mi",
            "--ignored-ips=169.254.169.254",
            "--envoy-admin-port=9901",
            "--envoy-log-level=info",
            "--preview=false",
            "--prestop-delay=20",
            "--envoy-admin-access-log-file=/tmp/envoy_admin_access.log",
            "--envoy-admin-access-enable-ipv6=false",
            "--dual-stack-endpoint=false",
            "--fips-endpoint=false",
            "--readiness-probe-initial-delay=1",
            "--readiness-probe-period=10",
            "--wait-until-proxy-ready=false",
            "--enable-sds=false",
            "--tls-min-version=VersionTLS12",
            "--enable-iam-for-service-accounts=true",
            "--enable-ecr-secret=false",
            "--enable-stats-tags=false",
        ], args);
    }

    [Theory]
    [InlineData("xray", new[] { "--enable-xray-tracing=true", "--xray-image=public.ecr.aws/xray/aws-xray-daemon", "--xray-daemon-port=2000", "--xray-sampling-rate=0.05" })]
    [InlineData("jaeger", new[] { "--enable-jaeger-tracing=true", "--jaeger-address=appmesh-jaeger.appmesh-system", "--jaeger-port=9411" })]
    [InlineData("datadog", new[] { "--enable-datadog-tracing=true", "--datadog-address=datadog.default.svc.cluster.local", "--datadog-port=8126" })]
    public void One_tracer_at_most_is_enabled(string provider, string[] tracingArgs)
    {
        var args = Helm.Render("--set", $"tracing.provider={provider}").Container.Args;

        var enabled = args.Where(a => a.StartsWith("--enable-") && a.EndsWith("-tracing=true")).ToList();
        Assert.Equal([tracingArgs[0]], enabled);
        var at = args.IndexOf(tracingArgs[0]);
        Assert.Equal(tracingArgs, args.Skip(at).Take(tracingArgs.Length));
    }

    [Fact]
    public void Sidecar_limits_statsd_and_mesh_settings_reach_the_webhook_flags()
    {
        var args = Helm.Render(
            "--set", "mesh.name=bookinfo", "--set", "region=eu-west-1", "--set", "injectDefault=false",
            "--set", "sidecar.mode=native", "--set", "sidecar.resources.limits.cpu=200m", "--set", "sidecar.resources.limits.memory=128Mi",
            "--set", "init.resources.requests.cpu=5m", "--set", "init.resources.limits.memory=64Mi", "--set", "stats.statsd.enabled=true", "--set", "stats.tags=true").Container.Args;

        Assert.Contains("--mesh-name=bookinfo", args);
        Assert.Contains("--region=eu-west-1", args);
        Assert.Contains("--inject-default=false", args);
        Assert.Contains("--sidecar-mode=native", args);
        Assert.Equal(["--sidecar-cpu-limits=200m", "--sidecar-memory-limits=128Mi"], args.Skip(args.IndexOf("--sidecar-memory-requests=32Mi") + 1).Take(2));
        // Only what init.resources sets: proxyinit takes the rest from the sidecar flags, as the controller gives it them.
        Assert.Equal(["--init-cpu-requests=5m", "--init-memory-limits=64Mi"], args.Where(a => a.StartsWith("--init-cpu-") || a.StartsWith("--init-memory-")));
        Assert.Equal(["--enable-stats-tags=true", "--enable-statsd=true", "--statsd-address=127.0.0.1", "--statsd-port=8125"], args.TakeLast(4));
    }

    /// <summary>Issue 11 item 5: the values of the App Mesh controller's flags (its chart's sidecar.*, sds.*,
    /// tracing.*, stats.*, tlsMinVersion/tlsCipherSuite) reach the webhook as flags it accepts.</summary>
    [Fact]
    public void The_controllers_settings_reach_the_webhook_flags_and_the_webhook_accepts_them()
    {
        var rendered = Helm.Render(
            "--set", "sidecar.envoyAdminAccessLogFile=", "--set", "sidecar.envoyAdminAccessEnableIPv6=true",
            "--set", "sidecar.useDualStackEndpoint=true", "--set", "sidecar.useFipsEndpoint=true",
            "--set", "sidecar.readinessProbeInitialDelay=5", "--set", "sidecar.readinessProbePeriod=3",
            "--set", "sidecar.waitUntilProxyReady=true", "--set", "sidecar.postStartTimeout=120", "--set", "sidecar.postStartInterval=2",
            "--set", "sds.enabled=true", "--set", "sds.udsPath=/run/spire/agent.sock",
            "--set", "tracing.provider=xray", "--set", "tracing.xray.logLevel=debug", "--set", "tracing.xray.role=arn:aws:iam::123456789012:role/xray",
            "--set", "stats.statsd.enabled=true", "--set", "stats.statsd.socketPath=/var/run/datadog/dsd.socket",
            "--set", "xds.endpoint=xds.mesh-system.svc:18000", "--set", "xds.signingName=appmesh", "--set", "xds.resourceCluster=web",
            "--set", "tls.minVersion=VersionTLS13", "--set", "tls.cipherSuites={TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384}");
        var args = rendered.Container.Args;

        Assert.Equal(
        [
            "--envoy-admin-access-log-file=", "--envoy-admin-access-enable-ipv6=true", "--dual-stack-endpoint=true", "--fips-endpoint=true",
            "--readiness-probe-initial-delay=5", "--readiness-probe-period=3", "--wait-until-proxy-ready=true", "--poststart-timeout=120", "--poststart-interval=2",
            "--enable-sds=true", "--sds-uds-path=/run/spire/agent.sock", "--xds-endpoint=xds.mesh-system.svc:18000", "--signing-name=appmesh", "--resource-cluster=web",
            "--tls-min-version=VersionTLS13", "--tls-cipher-suite=TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        ], args.SkipWhile(a => !a.StartsWith("--envoy-admin-access-log-file", StringComparison.Ordinal)).Take(16));
        Assert.Contains("--xray-log-level=debug", args);
        Assert.Contains("--xray-config-role-arn=arn:aws:iam::123456789012:role/xray", args);
        Assert.Contains("--statsd-socket-path=/var/run/datadog/dsd.socket", args);

        var loaded = Injector.Webhook.WebhookHost.LoadOptions([.. args], new Dictionary<string, string>());
        Assert.Empty(loaded.Errors);
        var settings = loaded.Get<Injector.Core.Settings.InjectorSettings>();
        Assert.Equal(("", true, true, "debug", "/run/spire/agent.sock", "xds.mesh-system.svc:18000"),
            (settings.EnvoyAdminAccessLogFile, settings.WaitUntilProxyReady, settings.EnableSds, settings.XrayLogLevel, settings.SdsUdsPath, settings.XdsEndpoint));
        Assert.Equal(System.Security.Authentication.SslProtocols.Tls13, loaded.Get<Injector.Webhook.WebhookOptions>().TlsProtocols);
    }

    [Fact]
    public void Default_chart_arguments_are_accepted_by_the_webhook()
    {
        var loaded = Injector.Webhook.WebhookHost.LoadOptions([.. Helm.Render().Container.Args], new Dictionary<string, string>());

        Assert.Empty(loaded.Errors);
    }

    [Fact]
    public void RBAC_grants_only_what_the_webhook_calls()
    {
        var rendered = Helm.Render();
        var role = rendered.Single<V1ClusterRole>();

        Assert.Equal(
        [
            "apps replicasets [get] []",
            "batch jobs [get] []",
            " namespaces [get,list,watch] []",
            " events [create,patch] []",
        ], role.Rules.Select(Describe));
        Assert.Empty(rendered.All<V1Role>());

        var binding = rendered.Single<V1ClusterRoleBinding>();
        Assert.Equal(("ClusterRole", Name), (binding.RoleRef.Kind, binding.RoleRef.Name));
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal(("ServiceAccount", Name, "appmesh-system"), (subject.Kind, subject.Name, subject.NamespaceProperty));
        Assert.DoesNotContain(rendered.Container.Args, a => a.StartsWith("--webhook-config-name"));
    }

    [Fact]
    public void CaBundle_self_patching_adds_get_and_patch_on_its_own_configuration_only()
    {
        var rendered = Helm.Render("--set", "webhook.patchCaBundle=true");

        Assert.Equal("admissionregistration.k8s.io mutatingwebhookconfigurations [get,patch] [appmesh-inject]",
            Describe(rendered.Single<V1ClusterRole>().Rules.Last()));
        Assert.Contains("--webhook-config-name=appmesh-inject", rendered.Container.Args);
        Assert.Equal(Name, rendered.Single<V1MutatingWebhookConfiguration>().Metadata.Name);
    }

    [Fact]
    public void Generated_certificate_is_trusted_by_the_rendered_caBundle_and_names_the_service()
    {
        var rendered = Helm.Render();
        var secret = rendered.Single<V1Secret>();
        var caBundle = rendered.Webhook.ClientConfig.CaBundle;

        Assert.Equal("kubernetes.io/tls", secret.Type);
        Assert.Equal(["tls.crt", "tls.key", "ca.crt"], secret.Data.Keys);
        Assert.Equal(secret.Data["ca.crt"], caBundle);

        using var ca = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(caBundle));
        using var leaf = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(secret.Data["tls.crt"]), Encoding.ASCII.GetString(secret.Data["tls.key"]));
        Assert.True(leaf.HasPrivateKey);
        Assert.Equal(["appmesh-inject", "appmesh-inject.appmesh-system", "appmesh-inject.appmesh-system.svc"], Certificates.DnsNames(leaf));
        Assert.True(Certificates.ChainsTo(leaf, ca), "the serving certificate must verify against the caBundle");
        Assert.InRange((leaf.NotAfter - DateTime.Now).TotalDays, 3648, 3651);
    }

    [Fact]
    public void CertManager_mode_lets_cert_manager_fill_the_caBundle_from_the_serving_certificate()
    {
        var rendered = Helm.Render("--set", "tls.mode=certManager");
        var configuration = rendered.Single<V1MutatingWebhookConfiguration>();
        var serving = rendered.All<CertManagerCertificate>().Single(c => c.Metadata.Name == Name);
        var ca = rendered.All<CertManagerCertificate>().Single(c => c.Metadata.Name == "appmesh-inject-ca");

        Assert.Equal(new Dictionary<string, string> { ["cert-manager.io/inject-ca-from"] = "appmesh-system/appmesh-inject" }, configuration.Metadata.Annotations);
        Assert.Null(rendered.Webhook.ClientConfig.CaBundle);
        Assert.Empty(rendered.All<V1Secret>());

        Assert.Equal("appmesh-system", serving.Metadata.NamespaceProperty);
        Assert.Equal(["appmesh-inject", "appmesh-inject.appmesh-system", "appmesh-inject.appmesh-system.svc"], serving.Spec.DnsNames);
        Assert.Equal(["server auth", "digital signature"], serving.Spec.Usages);
        Assert.Equal("appmesh-inject-tls", serving.Spec.SecretName);
        Assert.Equal(serving.Spec.SecretName, rendered.Deployment.Spec.Template.Spec.Volumes[0].Secret.SecretName);
        Assert.Equal(("appmesh-inject-ca", "Issuer", "cert-manager.io"), (serving.Spec.IssuerRef.Name, serving.Spec.IssuerRef.Kind, serving.Spec.IssuerRef.Group));
        Assert.Equal("Always", serving.Spec.PrivateKey!.RotationPolicy);

        Assert.True(ca.Spec.IsCA);
        Assert.Equal(("appmesh-inject-selfsigned", "Issuer"), (ca.Spec.IssuerRef.Name, ca.Spec.IssuerRef.Kind));
        var issuers = rendered.All<CertManagerIssuer>().ToDictionary(i => i.Metadata.Name);
        Assert.NotNull(issuers["appmesh-inject-selfsigned"].Spec.SelfSigned);
        Assert.Equal(ca.Spec.SecretName, issuers["appmesh-inject-ca"].Spec.Ca!.SecretName);
    }

    [Theory]
    [InlineData("appmesh-inject", "appmesh-inject-ca")]
    [InlineData("abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghi", "abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghi-appmesh-ca")]
    public void The_chart_CA_common_name_stays_within_the_64_characters_cert_manager_allows(string release, string commonName)
    {
        // Helm allows release names of 53 characters; the full name is cut at 63, and "-ca" would make it 66.
        var manifests = Helm.Run(["template", release, Repo.ChartDir, "--namespace", "appmesh-system", .. Helm.Required, "--set", "tls.mode=certManager"]).EnsureSuccess().StdOut;
        var ca = new Rendered(Helm.LoadStrict(manifests)).All<CertManagerCertificate>().Single(c => c.Spec.IsCA == true);

        Assert.Equal(commonName, ca.Spec.CommonName);
        Assert.InRange(ca.Spec.CommonName!.Length, 1, 64);
    }

    [Fact]
    public void CertManager_mode_uses_the_given_issuer_and_creates_none()
    {
        var rendered = Helm.Render("--set", "tls.mode=certManager", "--set", "tls.certManager.issuerRef.name=corp-ca", "--set", "tls.certManager.issuerRef.kind=ClusterIssuer");

        var serving = rendered.Single<CertManagerCertificate>();
        Assert.Equal(("corp-ca", "ClusterIssuer"), (serving.Spec.IssuerRef.Name, serving.Spec.IssuerRef.Kind));
        Assert.Empty(rendered.All<CertManagerIssuer>());
    }

    [Fact]
    public void Secret_mode_mounts_the_given_secret_and_renders_no_key_material()
    {
        var rendered = Helm.Render("--set", "tls.mode=secret", "--set", "tls.existingSecret=webhook-tls", "--set", "tls.caBundle=Q0E=");

        Assert.Empty(rendered.All<V1Secret>());
        Assert.Equal("webhook-tls", rendered.Deployment.Spec.Template.Spec.Volumes[0].Secret.SecretName);
        Assert.Equal("CA"u8.ToArray(), rendered.Webhook.ClientConfig.CaBundle);
        Assert.Null(rendered.Single<V1MutatingWebhookConfiguration>().Metadata.Annotations);
    }

    [Fact]
    public void A_single_replica_gets_no_disruption_budget_that_would_block_node_drains()
    {
        var rendered = Helm.Render("--set", "replicaCount=1");

        Assert.Empty(rendered.All<V1PodDisruptionBudget>());
        Assert.Equal(1, rendered.Deployment.Spec.Replicas);
    }

    private static string Describe(V1PolicyRule r) =>
        $"{string.Join(",", r.ApiGroups)} {string.Join(",", r.Resources)} [{string.Join(",", r.Verbs)}] [{string.Join(",", r.ResourceNames ?? [])}]";
}
