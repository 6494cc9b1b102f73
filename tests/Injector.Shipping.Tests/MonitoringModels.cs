using k8s;
using k8s.Models;

namespace Injector.Shipping.Tests;

// monitoring.coreos.com/v1 objects the chart renders on request (Prometheus Operator). KubernetesClient
// has no models for them, so these list exactly the fields the operator's CRDs define and the chart uses;
// strict loading rejects anything else.

public sealed class ServiceMonitor : IKubernetesObject<V1ObjectMeta>
{
    public string ApiVersion { get; set; } = "";
    public string Kind { get; set; } = "";
    public V1ObjectMeta Metadata { get; set; } = new();
    public ServiceMonitorSpec Spec { get; set; } = new();
}

public sealed class ServiceMonitorSpec
{
    public V1LabelSelector Selector { get; set; } = new();
    public ServiceMonitorNamespaceSelector? NamespaceSelector { get; set; }
    public List<ServiceMonitorEndpoint> Endpoints { get; set; } = [];
}

public sealed class ServiceMonitorNamespaceSelector
{
    public List<string>? MatchNames { get; set; }
}

public sealed class ServiceMonitorEndpoint
{
    public string? Port { get; set; }
    public string? Path { get; set; }
    public string? Scheme { get; set; }
    public string? Interval { get; set; }
}

public sealed class PrometheusRule : IKubernetesObject<V1ObjectMeta>
{
    public string ApiVersion { get; set; } = "";
    public string Kind { get; set; } = "";
    public V1ObjectMeta Metadata { get; set; } = new();
    public PrometheusRuleSpec Spec { get; set; } = new();
}

public sealed class PrometheusRuleSpec
{
    public List<PrometheusRuleGroup> Groups { get; set; } = [];
}

public sealed class PrometheusRuleGroup
{
    public string Name { get; set; } = "";
    public List<PrometheusAlertingRule> Rules { get; set; } = [];
}

public sealed class PrometheusAlertingRule
{
    public string Alert { get; set; } = "";
    public string Expr { get; set; } = "";
    public string? For { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
}
