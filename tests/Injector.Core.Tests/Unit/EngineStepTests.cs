using System.Text.Json.Nodes;
using Injector.Core.Injection;
using Injector.Core.Settings;

namespace Injector.Tests.Unit;

/// <summary>The engine's steps on their own: the selection gate and the resolved plan. Their results
/// through PodInjector.Inject are covered by the selection, annotation and golden tests.</summary>
public class EngineStepTests
{
    [Fact]
    public void The_gate_lets_a_selected_pod_through_with_its_spec_metadata_and_namespace_defaults()
    {
        var pod = TestPods.Web(("appmesh.k8s.aws/ports", "8080"));
        var context = new PodContext("shop", NamespaceAnnotations: new Dictionary<string, string> { ["appmesh.k8s.aws/mesh"] = "shop-mesh" });

        Assert.True(SelectionGate.TrySelect(TestPods.Parsed(pod), context, injectDefault: true, out var selected, out var refusal));

        Assert.Null(refusal);
        Assert.Equal(pod["spec"]!.ToJsonString(), selected.Spec.GetRawText());
        Assert.Equal(pod["metadata"]!.ToJsonString(), selected.Metadata?.GetRawText());
        Assert.True(selected.Annotations.TryGet("appmesh.k8s.aws/ports", out var ports, out var portsSource));
        Assert.Equal(("8080", AnnotationSource.Pod), (ports, portsSource));
        Assert.True(selected.Annotations.TryGet("appmesh.k8s.aws/mesh", out var mesh, out var meshSource));
        Assert.Equal(("shop-mesh", AnnotationSource.Namespace), (mesh, meshSource));
    }

    [Fact]
    public void The_gate_refuses_with_the_reason_and_leaves_nothing_selected()
    {
        var pod = TestPods.Web();
        pod["spec"]!["hostNetwork"] = true;

        Assert.False(SelectionGate.TrySelect(TestPods.Parsed(pod), new PodContext("shop"), injectDefault: true, out var selected, out var refusal));

        Assert.Equal((InjectionOutcome.Skipped, Reasons.HostNetwork), (refusal.Outcome, refusal.Reason));
        Assert.Equal("the pod uses the host network; redirecting its traffic would capture the node's", refusal.Message);
        Assert.Equal(default, selected);
    }

    [Fact]
    public void The_plan_resolves_names_and_each_value_from_annotation_over_flag()
    {
        var pod = TestPods.Web(("appmesh.k8s.aws/cpuRequest", "50m"), ("appmesh.k8s.aws/egressIgnoredPorts", "443"));
        pod["metadata"]!["labels"] = new JsonObject { ["eks.amazonaws.com/fargate-profile"] = "fp" };
        var settings = TestPods.Settings with { SidecarMemoryLimits = "128Mi", SidecarMode = SidecarMode.Auto };
        var context = new PodContext("shop", WorkloadName: "web-v1", NativeSidecarsSupported: true);
        Assert.True(SelectionGate.TrySelect(TestPods.Parsed(pod), context, settings.InjectDefault, out var selected, out _));

        Assert.True(InjectionPlan.TryResolve(settings, selected, context, out var plan, out var refusal));

        Assert.Null(refusal);
        Assert.Equal(("demo", "web-v1-shop", "web-v1"), (plan.Mesh, plan.VirtualNode, plan.Workload));
        Assert.Equal("mesh/demo/virtualNode/web-v1-shop", plan.ResourceArn);
        Assert.True(plan.Cni); // Fargate
        Assert.True(plan.Native); // auto, and the cluster supports native sidecars
        Assert.Equal(("50m", "32Mi", null, "128Mi"), (plan.CpuRequest, plan.MemoryRequest, plan.CpuLimit, plan.MemoryLimit));
        Assert.Equal(("8080", "169.254.169.254", "443"), (plan.AppPorts, plan.EgressIgnoredIps, plan.EgressIgnoredPorts));
        Assert.Empty(plan.Warnings);
    }

    [Theory]
    [InlineData("""{"eks.amazonaws.com/fargate-profile":"fp"}""", true)]
    [InlineData("""{"app":"web","eks.amazonaws.com/fargate-profile":"fp","tier":1}""", false)] // not a map of strings: read as none
    [InlineData("""{"eks.amazonaws.com/fargate-profile-x":"fp"}""", false)]
    [InlineData("""["eks.amazonaws.com/fargate-profile"]""", false)]
    [InlineData("null", false)]
    public void A_Fargate_pod_is_read_from_its_labels_as_a_map_of_strings(string labels, bool cni)
    {
        var pod = TestPods.Web();
        pod["metadata"]!["labels"] = JsonNode.Parse(labels);
        var context = new PodContext("shop", WorkloadName: "web-v1");
        Assert.True(SelectionGate.TrySelect(TestPods.Parsed(pod), context, TestPods.Settings.InjectDefault, out var selected, out _));
        Assert.True(InjectionPlan.TryResolve(TestPods.Settings, selected, context, out var plan, out _));
        Assert.Equal(cni, plan.Cni);
    }

    [Fact]
    public void Validation_lists_every_problem_of_the_plan_in_order()
    {
        var pod = TestPods.Web(
            ("appmesh.k8s.aws/cpuRequest", "250m"),
            ("appmesh.k8s.aws/secretMounts", "tls:/etc/certs"),
            ("appmesh.k8s.aws/volumeMounts", "certs:/etc/certs/"));
        var settings = TestPods.Settings with { SidecarCpuLimits = "100m" };
        var context = new PodContext("shop");
        Assert.True(SelectionGate.TrySelect(TestPods.Parsed(pod), context, settings.InjectDefault, out var selected, out _));

        Assert.False(InjectionPlan.TryResolve(settings, selected, context, out var plan, out var refusal));

        Assert.Null(plan);
        Assert.Equal((InjectionOutcome.Denied, Reasons.InvalidAnnotation, "web"), (refusal.Outcome, refusal.Reason, refusal.Workload));
        Assert.Equal(
            "annotation appmesh.k8s.aws/cpuRequest \"250m\" is above --sidecar-cpu-limits \"100m\"; a request must not exceed its limit; " +
            "annotation appmesh.k8s.aws/volumeMounts: the pod has no volume named \"certs\"; " +
            "annotation appmesh.k8s.aws/volumeMounts: the mount path \"/etc/certs/\" is used more than once",
            refusal.Message);
    }

    [Fact]
    public void App_ports_are_the_containers_ports_in_order_without_repeats()
    {
        var spec = JsonNode.Parse("""
            {"containers":[
              {"name":"a","ports":[{"containerPort":8080},{"containerPort":9090}]},
              {"name":"b","ports":[{"containerPort":8080},{"containerPort":"x"},{"name":"no-port"}]},
              {"name":"c","ports":"not a list"},
              {"name":"d","ports":[{"containerPort":7070}]}]}
            """)!.AsObject();

        Assert.Equal("8080,9090,7070", InjectionPlan.ContainerPorts(TestPods.Parsed(spec)));
        Assert.Equal("", InjectionPlan.ContainerPorts(TestPods.Parsed(new JsonObject())));
    }
}

/// <summary>The sidecars' settings-only parts are written once per settings object and copied into each answer.</summary>
public class SidecarPartsTests
{
    private static string WebhookPatch(InjectorSettings settings, JsonObject pod, PodContext context)
    {
        using var parsed = Injector.Core.Json.JsonElements.Parse(pod);
        return Injector.Core.Json.JsonPatch.ToJson(new PodInjector(settings).Inject(parsed.RootElement, context, writeOnly: true).Patch);
    }

    [Fact]
    public void A_setting_that_is_not_valid_utf16_is_written_as_the_writer_writes_it_whether_used_or_not()
    {
        // A lone surrogate: each way of writing the sidecars gives the same bytes, with X-Ray (the daemon's log level
        // is written) and without it (never written).
        var settings = TestPods.Settings with { XrayLogLevel = "\ud800", SidecarImage = "envoy\udc00:1", XrayImage = "\ud800" };
        var context = new PodContext("shop", WorkloadName: "web");
        foreach (var each in new[] { settings, settings with { EnableXrayTracing = true } })
        {
            var nodes = TestPods.Inject(TestPods.Web(), each, context);
            Assert.Equal(InjectionOutcome.Injected, nodes.Outcome);
            Assert.Equal(Injector.Core.Json.JsonPatch.ToJson(nodes.Patch), WebhookPatch(each, TestPods.Web(), context));
        }
    }

    [Fact]
    public void Each_settings_object_gets_its_own_parts_and_the_pods_own_values_are_written_as_given()
    {
        var context = new PodContext("shop", WorkloadName: "web") { KubernetesVersion = "v1.31.2" };
        var first = TestPods.Settings with { SidecarImage = "first:1", EnvoyAdminPort = 9902 };
        var second = first with { SidecarImage = "second:2", EnvoyAdminPort = 9903 };
        var pod = TestPods.Web(("appmesh.k8s.aws/sidecarLogLevel", "debug"), ("appmesh.k8s.aws/egressIgnoredIPs", "10.0.0.1"));
        foreach (var settings in new[] { first, second, first })
        {
            var expected = Injector.Core.Json.JsonPatch.ToJson(TestPods.Inject(pod, settings, context).Patch);
            var patch = WebhookPatch(settings, pod, context);
            Assert.Equal(expected, patch);
            Assert.Contains($"\"image\":\"{settings.SidecarImage}\"", patch, StringComparison.Ordinal);
            Assert.Contains($"{{\"name\":\"ENVOY_ADMIN_ACCESS_PORT\",\"value\":\"{settings.EnvoyAdminPort}\"}}", patch, StringComparison.Ordinal);
            Assert.Contains("{\"name\":\"ENVOY_LOG_LEVEL\",\"value\":\"debug\"}", patch, StringComparison.Ordinal);
            Assert.Contains("{\"name\":\"APPMESH_EGRESS_IGNORED_IP\",\"value\":\"10.0.0.1\"}", patch, StringComparison.Ordinal);
            Assert.Contains("{\"name\":\"APPMESH_PLATFORM_K8S_VERSION\",\"value\":\"v1.31.2\"}", patch, StringComparison.Ordinal);
        }
    }
}
