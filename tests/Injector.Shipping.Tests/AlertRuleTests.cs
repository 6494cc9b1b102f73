using System.Text.Json.Nodes;
using Injector.Manifests;

namespace Injector.Shipping.Tests;

/// <summary>The chart's PrometheusRule, checked and unit-tested by promtool (Prometheus' own rule checker and
/// evaluator): the expressions parse, and over series shaped like the webhook's metrics each alert fires
/// when it should — with the labels and text an operator gets — and not for what it must ignore (clients
/// that close during the handshake, another release's certificate, calls that do not fail).</summary>
public sealed class AlertRuleTests : IDisposable
{
    private readonly TempDir _temp = new("alerts");

    private static string Promtool => RepoPaths.OnPath("promtool", "apt-get install prometheus");

    /// <summary>The rendered rule groups as a Prometheus rule file.</summary>
    private string RuleFile()
    {
        var manifests = Helm.Template(Helm.Namespace, "--set", "metrics.prometheusRule.enabled=true");
        var rule = Yaml.Documents(manifests).Single(d => (string?)d["kind"] == "PrometheusRule");
        var path = Path.Combine(_temp.Path, "rules.yaml");
        File.WriteAllText(path, YamlJson.Write(new JsonObject { ["groups"] = rule["spec"]!["groups"]!.DeepClone() }));
        return path;
    }

    [Fact]
    public void Promtool_accepts_the_rules()
    {
        var result = ProcessRunner.Run(Promtool, ["check", "rules", RuleFile()]);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("  SUCCESS: 5 rules found", result.StdOut.Split('\n'));
    }

    [Fact]
    public void Each_alert_fires_on_its_failure_and_says_what_happened()
    {
        RuleFile();
        // One release (job appmesh-inject) whose certificate is not trusted, with an internal error, a denial, a
        // certificate 7 days from expiry and a failing ReplicaSet lookup; another release's certificate expiring
        // is not this release's alert. Timestamps are seconds from the start of the test.
        const string series = "job=\"appmesh-inject\",namespace=\"appmesh-system\",pod=\"appmesh-inject-a\"";
        var test = $$"""
            rule_files: [rules.yaml]
            evaluation_interval: 1m
            tests:
              - interval: 1m
                input_series:
                  - series: 'appmesh_inject_tls_handshake_failures_total{{{series}},reason="certificate-rejected"}'
                    values: '0+6x30'
                  - series: 'appmesh_inject_tls_handshake_failures_total{{{series}},reason="closed"}'
                    values: '0+60x30'
                  - series: 'appmesh_inject_admission_requests_total{{{series}},result="injected",reason="injected"}'
                    values: '0+100x30'
                  - series: 'appmesh_inject_admission_requests_total{{{series}},result="error",reason="internal-error"}'
                    values: '0x9 3x20'
                  - series: 'appmesh_inject_admission_requests_total{{{series}},result="denied",reason="invalid-annotation"}'
                    values: '0x9 2x20'
                  - series: 'appmesh_inject_certificate_expiry_timestamp_seconds{{{series}}}'
                    values: '604800x30'
                  - series: 'appmesh_inject_certificate_expiry_timestamp_seconds{job="other-release",namespace="appmesh-system",pod="b"}'
                    values: '60x30'
                  - series: 'appmesh_inject_kubernetes_api_failures_total{{{series}},operation="get-replicaset"}'
                    values: '0+2x30'
                  - series: 'appmesh_inject_kubernetes_api_failures_total{{{series}},operation="list-namespaces"}'
                    values: '0x30'
                alert_rule_test:
                  # Nothing yet: the errors start at minute 10, and the others wait for their "for".
                  - eval_time: 4m
                    alertname: AppMeshInjectTLSHandshakeFailures
                  - eval_time: 5m
                    alertname: AppMeshInjectAdmissionErrors
                  - eval_time: 5m
                    alertname: AppMeshInjectDenials
                  - eval_time: 9m
                    alertname: AppMeshInjectCertificateExpiresSoon
                  - eval_time: 9m
                    alertname: AppMeshInjectKubernetesAPIFailures
                  - eval_time: 15m
                    alertname: AppMeshInjectTLSHandshakeFailures
                    exp_alerts:
                      - exp_labels: {namespace: appmesh-system, reason: certificate-rejected, severity: critical}
                        exp_annotations:
                          summary: TLS handshakes with appmesh-inject are failing
                          description: 'Handshakes fail with reason certificate-rejected. certificate-rejected means clients, usually the API server, do not trust the serving certificate: the caBundle of the MutatingWebhookConfiguration is not its CA, and every pod creation in labelled namespaces fails (docs/install.md, Troubleshooting).'
                  - eval_time: 15m
                    alertname: AppMeshInjectAdmissionErrors
                    exp_alerts:
                      - exp_labels: {namespace: appmesh-system, severity: critical}
                        exp_annotations:
                          summary: appmesh-inject failed inside the injector while deciding admissions
                          description: '3 admissions ended in an internal error in the last 10 minutes; under failurePolicy Fail those pods were refused, under Ignore they started without a sidecar. The webhook log has one error line per cause, with its stack trace.'
                  - eval_time: 15m
                    alertname: AppMeshInjectDenials
                    exp_alerts:
                      - exp_labels: {namespace: appmesh-system, reason: invalid-annotation, severity: warning}
                        exp_annotations:
                          summary: appmesh-inject is refusing pods
                          description: "2 pods were denied in the last 10 minutes (reason invalid-annotation): their workloads cannot create pods. The webhook log's warning lines and the InjectionFailed Events on the workloads name the annotation and the fix."
                  - eval_time: 15m
                    alertname: AppMeshInjectCertificateExpiresSoon
                    exp_alerts:
                      - exp_labels: {namespace: appmesh-system, severity: warning}
                        exp_annotations:
                          summary: the serving certificate of appmesh-inject expires soon
                          description: 'The serving certificate expires in 6d 23h 45m 0s. Once it has expired the API server cannot call the webhook; renew it (docs/install.md, Certificates).'
                  - eval_time: 15m
                    alertname: AppMeshInjectKubernetesAPIFailures
                    exp_alerts:
                      - exp_labels: {namespace: appmesh-system, operation: get-replicaset, severity: warning}
                        exp_annotations:
                          summary: appmesh-inject cannot reach the Kubernetes API
                          description: 'Calls get-replicaset fail: owner lookups fall back to the ReplicaSet or Job name (with a warning), namespace defaults go stale and Events are lost. The webhook log says why (often RBAC).'
            """;
        var testFile = Path.Combine(_temp.Path, "test.yaml");
        File.WriteAllText(testFile, test);

        var result = ProcessRunner.Run(Promtool, ["test", "rules", testFile], workingDirectory: _temp.Path);

        Assert.True(result.ExitCode == 0, result.StdOut + result.StdErr);
        Assert.Contains("  SUCCESS", result.StdOut.Split('\n'));
    }

    public void Dispose() => _temp.Dispose();
}
