using System.Text.Json.Nodes;
using Injector.Core.Injection;
using Injector.Core.Naming;

namespace Injector.Tests.Unit;

/// <summary>SPEC §1: which pods are injected, and why the others are not.</summary>
public class SelectionTests
{
    [Fact]
    public void With_inject_default_off_a_pod_without_the_annotation_is_skipped()
    {
        var result = TestPods.Inject(TestPods.Web(), TestPods.Settings with { InjectDefault = false });

        Assert.Equal(InjectionOutcome.Skipped, result.Outcome);
        Assert.Equal(Reasons.InjectDefaultOff, result.Reason);
        Assert.Equal("injection is off by default (--inject-default=false) and appmesh.k8s.aws/sidecarInjectorWebhook is not enabled", result.Message);
        Assert.Empty(result.Patch);
        Assert.Null(result.Pod);
    }

    [Theory]
    [InlineData("enabled")]
    [InlineData("Enabled")]
    [InlineData(" ENABLED ")]
    public void With_inject_default_off_an_enabled_pod_is_injected(string value)
    {
        var result = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/sidecarInjectorWebhook", value)), TestPods.Settings with { InjectDefault = false });

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Equal(Reasons.Injected, result.Reason);
        Assert.Equal("injected into mesh demo as virtual node web-shop", result.Message);
    }

    [Theory]
    [InlineData("disabled")]
    [InlineData("Disabled")]
    [InlineData("DISABLED")]
    public void A_disabled_pod_is_skipped_whatever_the_case(string value)
    {
        var result = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/sidecarInjectorWebhook", value)));

        Assert.Equal(InjectionOutcome.Skipped, result.Outcome);
        Assert.Equal(Reasons.DisabledByAnnotation, result.Reason);
        Assert.Equal("appmesh.k8s.aws/sidecarInjectorWebhook is disabled", result.Message);
        Assert.Empty(result.Patch);
    }

    [Fact]
    public void A_pod_with_the_status_annotation_is_already_injected()
    {
        var result = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/sidecarInjectorStatus", "{}")));

        AssertAlreadyInjected(result);
    }

    [Theory]
    [InlineData("containers", "envoy")]
    [InlineData("containers", "proxyinit")]
    [InlineData("initContainers", "envoy")]
    [InlineData("initContainers", "proxyinit")]
    public void A_pod_with_a_container_named_like_the_injected_ones_is_already_injected(string list, string name)
    {
        var pod = TestPods.Web();
        var spec = pod["spec"]!.AsObject();
        var extra = new JsonObject { ["name"] = name, ["image"] = "envoy:custom" };
        if (spec[list] is JsonArray existing) existing.Add(extra);
        else spec[list] = new JsonArray(extra);

        AssertAlreadyInjected(TestPods.Inject(pod));
    }

    private static void AssertAlreadyInjected(InjectionResult result)
    {
        Assert.Equal(InjectionOutcome.Skipped, result.Outcome);
        Assert.Equal(Reasons.AlreadyInjected, result.Reason);
        Assert.Equal("the pod is already injected", result.Message);
        Assert.Empty(result.Patch);
        Assert.Null(result.Pod);
    }

    [Fact]
    public void A_host_network_pod_is_skipped()
    {
        var pod = TestPods.Web();
        pod["spec"]!["hostNetwork"] = true;

        var result = TestPods.Inject(pod);

        Assert.Equal(InjectionOutcome.Skipped, result.Outcome);
        Assert.Equal(Reasons.HostNetwork, result.Reason);
        Assert.Equal("the pod uses the host network; redirecting its traffic would capture the node's traffic", result.Message);
        Assert.Empty(result.Patch);
    }

    [Fact]
    public void A_pod_with_neither_owner_nor_name_is_skipped()
    {
        var pod = TestPods.Parse("""{"metadata":{"generateName":"web-","namespace":"shop"},"spec":{"containers":[{"name":"app","image":"nginx"}]}}""");

        var result = TestPods.Inject(pod);

        Assert.Equal(InjectionOutcome.Skipped, result.Outcome);
        Assert.Equal(Reasons.NoWorkloadName, result.Reason);
        Assert.Equal("the pod has neither an owner nor a name to derive its virtual node from", result.Message);
        Assert.Empty(result.Patch);
    }

    [Fact]
    public void A_pod_with_neither_owner_nor_name_but_a_virtual_node_annotation_is_injected()
    {
        var pod = TestPods.Parse("""{"metadata":{"generateName":"web-","annotations":{"appmesh.k8s.aws/virtualNode":"web"}},"spec":{"containers":[{"name":"app","image":"nginx"}]}}""");

        var result = TestPods.Inject(pod);

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Equal("web", result.VirtualNode);
    }

    [Theory]
    [InlineData("""{"metadata":{"name":"web"}}""")]
    [InlineData("""{"metadata":{"name":"web"},"spec":{}}""")]
    [InlineData("""{"metadata":{"name":"web"},"spec":{"containers":[]}}""")]
    [InlineData("""{"metadata":{"name":"web"},"spec":{"containers":{"name":"app"}}}""")]
    [InlineData("""{"metadata":{"name":"web"},"spec":"none"}""")]
    public void A_pod_without_containers_is_denied_as_invalid(string json)
    {
        var result = TestPods.Inject(TestPods.Parse(json));

        Assert.Equal(InjectionOutcome.Denied, result.Outcome);
        Assert.Equal(Reasons.InvalidPod, result.Reason);
        Assert.Equal("the pod has no spec.containers", result.Message);
    }

    [Fact]
    public void A_pod_whose_annotations_are_not_strings_is_denied_as_invalid()
    {
        var pod = TestPods.Parse("""{"metadata":{"name":"web","annotations":{"replicas":3}},"spec":{"containers":[{"name":"app"}]}}""");

        var result = TestPods.Inject(pod);

        Assert.Equal(InjectionOutcome.Denied, result.Outcome);
        Assert.Equal(Reasons.InvalidPod, result.Reason);
        Assert.Equal("metadata.annotations must map strings to strings", result.Message);
    }

    [Fact]
    public async Task A_derived_virtual_node_name_that_App_Mesh_rejects_is_made_valid_with_a_warning()
    {
        // The controller names virtual nodes after VirtualNode resources and would inject this StatefulSet's
        // pods: the pod is admitted under a name App Mesh accepts, and told how to choose one.
        var pod = TestPods.Parse("""
            {"metadata":{"name":"db.primary-0","ownerReferences":[{"apiVersion":"apps/v1","kind":"StatefulSet","name":"db.primary","controller":true}]},
             "spec":{"containers":[{"name":"db","image":"postgres:16"}]}}
            """);
        var workload = await WorkloadResolver.ResolveAsync(TestPods.Parsed(pod), "data", lookup: null, CancellationToken.None);

        var result = TestPods.Inject(pod, context: new PodContext("data", workload.Name));

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Equal("db-primary-data", result.VirtualNode);
        Assert.Equal(["the derived virtual node name \"db.primary-data\" is not a valid App Mesh name (1 to 255 letters, digits, '-' or '_'); injected as \"db-primary-data\"; set the appmesh.k8s.aws/virtualNode annotation to name it"], result.Warnings);
        Assert.Equal("db.primary", result.Workload);
    }

    [Fact]
    public void The_input_pod_is_never_modified()
    {
        var pod = TestPods.Web(("appmesh.k8s.aws/secretMounts", "tls:/etc/tls"));
        var before = pod.ToJsonString();

        var result = TestPods.Inject(pod);

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Equal(before, pod.ToJsonString());
    }
}
