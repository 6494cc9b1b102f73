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
        Assert.Equal("the pod uses the host network; redirecting its traffic would capture the node's traffic", refusal.Message);
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

/// <summary>The webhook's edits hand their arrays to the next edit on the same thread (JsonEdit.Recycle): an edit made
/// after others gives the patch one made on a fresh thread gives, whatever the earlier ones recorded.</summary>
public class EditReuseTests
{
    private static readonly InjectorSettings Xray = TestPods.Settings with { EnableXrayTracing = true, EnableEcrSecret = true, EnableSds = true };

    private static IEnumerable<(InjectorSettings Settings, JsonObject Pod)> Cases()
    {
        yield return (TestPods.Settings, TestPods.Web());
        // Many places and operations: X-Ray, the ECR secret, SDS, mounts and env from annotations (grows past the kept size).
        var many = TestPods.Web(("appmesh.k8s.aws/secretMounts", "certs:/certs"), ("appmesh.k8s.aws/volumeMounts", "data:/data"), ("appmesh.k8s.aws/sidecarEnv", "A=1,B=2"));
        many["spec"]!["volumes"] = new JsonArray(new JsonObject { ["name"] = "data", ["emptyDir"] = new JsonObject() });
        yield return (Xray, many);
        // Objects the injection writes into that the pod has already (annotations, a security context, init containers).
        var existing = TestPods.Web(("appmesh.k8s.aws/mesh", "other"));
        existing["spec"]!["securityContext"] = new JsonObject { ["fsGroup"] = 7 };
        existing["spec"]!["initContainers"] = new JsonArray(new JsonObject { ["name"] = "setup", ["image"] = "busybox" });
        yield return (TestPods.Settings, existing);
        yield return (TestPods.Settings, TestPods.Web(("appmesh.k8s.aws/ports", "8080,9090")));
    }

    private static string Patch(InjectorSettings settings, JsonObject pod)
    {
        using var parsed = Injector.Core.Json.JsonElements.Parse(pod);
        var result = new PodInjector(settings).Inject(parsed.RootElement, new PodContext(TestPods.Namespace, WorkloadName: "web"), writeOnly: true);
        return $"{result.Outcome} {result.Message} {Injector.Core.Json.JsonPatch.ToJson(result.Patch)}";
    }

    private static T OnNewThread<T>(Func<T> work)
    {
        T result = default!;
        var thread = new Thread(() => result = work());
        thread.Start();
        thread.Join();
        return result;
    }

    [Fact]
    public void An_edit_after_others_on_one_thread_gives_the_patch_of_an_edit_on_a_fresh_thread()
    {
        var cases = Cases().ToList();
        var fresh = cases.Select(c => OnNewThread(() => Patch(c.Settings, c.Pod))).ToList();
        // Twice through, forwards and backwards, on one thread: every case follows every kind of earlier edit.
        var order = Enumerable.Range(0, cases.Count).Concat(Enumerable.Range(0, cases.Count).Reverse()).ToList();
        var reused = OnNewThread(() => order.Select(i => Patch(cases[i].Settings, cases[i].Pod)).ToList());

        Assert.All(fresh, patch => Assert.StartsWith("Injected ", patch, StringComparison.Ordinal));
        Assert.Equal(order.Select(i => fresh[i]), reused);
    }

    [Fact]
    public void An_edit_after_an_injection_on_its_thread_takes_that_injections_arrays()
    {
        using var pod = Injector.Core.Json.JsonElements.Parse(TestPods.Web());
        var injector = new PodInjector(TestPods.Settings);
        var context = new PodContext(TestPods.Namespace, WorkloadName: "web");

        static long Bytes(Action action)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            action();
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        var (afterInjection, afterEdit) = OnNewThread(() =>
        {
            _ = new Injector.Core.Json.JsonEdit(pod.RootElement); // the type's statics made
            Assert.Equal(InjectionOutcome.Injected, injector.Inject(pod.RootElement, context, writeOnly: true).Outcome);
            // The injection handed its arrays on; an edit nobody recycles hands nothing on.
            var afterInjection = Bytes(() => _ = new Injector.Core.Json.JsonEdit(pod.RootElement));
            return (afterInjection, Bytes(() => _ = new Injector.Core.Json.JsonEdit(pod.RootElement)));
        });

        // The second edit made the two arrays of 8 entries the first one took from the injection.
        Assert.True(afterEdit - afterInjection >= 2 * 8 * IntPtr.Size, $"{afterInjection} bytes after an injection, {afterEdit} after an edit");
    }
}
