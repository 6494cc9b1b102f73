using System.Text.Json.Nodes;
using Injector.Core.Admission;
using Injector.Core.Injection;

namespace Injector.Tests.Unit;

/// <summary>The status annotation records what undoing an injection needs, and Job pods in classic mode
/// are warned about (issue 12, items 3 and 4).</summary>
public class InjectionRecordTests
{
    private static JsonObject Status(InjectionResult result) =>
        JsonNode.Parse(result.Pod!["metadata"]!["annotations"]!["appmesh.k8s.aws/sidecarInjectorStatus"]!.GetValue<string>())!.AsObject();

    [Fact]
    public void A_value_the_injection_replaces_is_recorded_with_its_old_value()
    {
        // CNI mode writes the ports back in their canonical form, replacing the user's spelling.
        var result = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/appmeshCNI", "enabled"), ("appmesh.k8s.aws/ports", "8080, 9090"), ("appmesh.k8s.aws/sidecarInjectorWebhook", "Enabled")));

        var status = Status(result);
        Assert.Equal("""{"/metadata/annotations/appmesh.k8s.aws~1ports":"8080, 9090","/metadata/annotations/appmesh.k8s.aws~1sidecarInjectorWebhook":"Enabled"}""", status["replaced"]!.ToJsonString());
        Assert.Equal(
            """["/metadata/annotations/appmesh.k8s.aws~1mesh","/metadata/annotations/appmesh.k8s.aws~1virtualNode","/metadata/annotations/appmesh.k8s.aws~1egressIgnoredIPs","/metadata/annotations/appmesh.k8s.aws~1egressIgnoredPorts","/metadata/annotations/appmesh.k8s.aws~1proxyEgressPort","/metadata/annotations/appmesh.k8s.aws~1proxyIngressPort","/metadata/annotations/appmesh.k8s.aws~1ignoredUID","/spec/securityContext","/spec/securityContext/fsGroup"]""",
            status["added"]!.ToJsonString());
    }

    [Fact]
    public void The_pull_secret_is_named_when_the_injection_added_it_and_not_when_the_pod_had_it()
    {
        var settings = TestPods.Settings with { EnableEcrSecret = true };
        var pod = TestPods.Web();
        pod["spec"]!["imagePullSecrets"] = new JsonArray(new JsonObject { ["name"] = "regcred" });

        var added = Status(TestPods.Inject(pod, settings));
        pod["spec"]!["imagePullSecrets"]!.AsArray().Add(new JsonObject { ["name"] = "appmesh-ecr-secret" });
        var present = Status(TestPods.Inject(pod, settings));

        Assert.Equal("""["appmesh-ecr-secret"]""", added["imagePullSecrets"]!.ToJsonString());
        Assert.Null(present["imagePullSecrets"]);
    }

    [Fact]
    public void An_existing_security_context_gets_only_its_fs_group_recorded_in_document_order()
    {
        var pod = TestPods.Web();
        pod["spec"]!["securityContext"] = new JsonObject { ["runAsNonRoot"] = true };

        Assert.Equal("""["/metadata/annotations","/metadata/annotations/appmesh.k8s.aws~1mesh","/metadata/annotations/appmesh.k8s.aws~1virtualNode","/spec/securityContext/fsGroup","/spec/initContainers"]""",
            Status(TestPods.Inject(pod))["added"]!.ToJsonString());
    }

    [Fact]
    public void An_annotation_of_ours_the_pod_has_is_replaced_where_it_stands_even_written_with_an_escape_and_one_it_lacks_is_added()
    {
        // The placement asks the annotations only for keys the gate saw (read by their text): the ports, written
        // "appmesh.k8s.aws\/ports", are found and replaced; the mesh, absent, is added after the others.
        const string Pod = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","annotations":{"appmesh.k8s.aws\/ports":"8080, 9090","x":"1","appmesh.k8s.aws/appmeshCNI":"enabled"}},"spec":{"containers":[{"name":"app","image":"nginx:1.27","ports":[{"containerPort":8080}]}]}}""";
        using var doc = System.Text.Json.JsonDocument.Parse(Pod);

        var result = new PodInjector(TestPods.Settings).Inject(doc.RootElement, new PodContext(TestPods.Namespace));

        var ops = result.Patch.Where(op => op.Path.StartsWith("/metadata/annotations/", StringComparison.Ordinal)).Select(op => $"{op.Op} {op.Path}").ToList();
        Assert.Equal("replace /metadata/annotations/appmesh.k8s.aws~1ports", ops[0]);
        Assert.Equal("add /metadata/annotations/appmesh.k8s.aws~1mesh", ops[1]);
        Assert.DoesNotContain("add /metadata/annotations/appmesh.k8s.aws~1ports", ops);
    }

    [Theory]
    [InlineData("Job")]
    [InlineData("CronJob")]
    public void A_job_pod_in_classic_mode_is_warned_about_with_the_fix(string kind)
    {
        var result = TestPods.Inject(TestPods.Web(), context: new PodContext(TestPods.Namespace, "web") { WorkloadKind = kind });

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Equal(
            [$"{kind} pods never complete while a classic Envoy sidecar keeps running; use native sidecars on Kubernetes >= 1.29 (--sidecar-mode native, or --sidecar-mode auto against such a cluster, or the annotation appmesh.k8s.aws/nativeSidecar: enabled)"],
            result.Warnings);
    }

    [Fact]
    public void A_job_pod_in_native_mode_and_a_deployment_pod_in_classic_mode_get_no_such_warning()
    {
        var native = TestPods.Inject(TestPods.Web(), context: new PodContext(TestPods.Namespace, "web", NativeSidecarsSupported: true) { WorkloadKind = "Job" });
        var deployment = TestPods.Inject(TestPods.Web(), context: new PodContext(TestPods.Namespace, "web") { WorkloadKind = "Deployment" });

        Assert.Empty(native.Warnings);
        Assert.Empty(deployment.Warnings);
    }

    [Fact]
    public async Task The_admission_handler_passes_the_owner_kind_so_the_webhook_warns_about_job_pods()
    {
        var pod = TestPods.Web();
        pod["metadata"]!["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "batch/v1", ["kind"] = "Job", ["name"] = "migrate", ["controller"] = true });
        var handler = new AdmissionHandler(new PodInjector(TestPods.Settings));

        var decision = await handler.HandleAsync(Reviews.Request(pod, uid: "job"));

        Assert.Contains(decision.Response.Warnings!, w => w.StartsWith("Job pods never complete while a classic Envoy sidecar keeps running;", StringComparison.Ordinal));
    }
}
