using System.Text.Json.Nodes;
using Injector.Core.Injection;
using Injector.Core.Naming;

namespace Injector.Tests.Unit;

/// <summary>SPEC §2: the workload (and so the virtual node) a pod is named after.</summary>
public class WorkloadNameTests
{
    /// <summary>Answers from a fixed table and records every question.</summary>
    private sealed class FakeLookup(Dictionary<string, OwnerReference?>? answers = null, string? failure = null) : IOwnerLookup
    {
        public List<string> Calls { get; } = [];

        public ValueTask<OwnerReference?> GetControllerAsync(string apiVersion, string kind, string @namespace, string name, CancellationToken cancellationToken)
        {
            Calls.Add($"{apiVersion} {kind} {@namespace}/{name}");
            if (failure is not null) throw new OwnerLookupException(failure);
            return ValueTask.FromResult(answers?.GetValueOrDefault($"{kind}/{name}"));
        }
    }

    private static JsonObject PodOwnedBy(string kind, string name, string apiVersion = "apps/v1", string? hash = null)
    {
        var pod = TestPods.Parse($$$"""
            {"metadata":{"name":"{{{name}}}-x7k2p","ownerReferences":[{"apiVersion":"{{{apiVersion}}}","kind":"{{{kind}}}","name":"{{{name}}}","controller":true,"blockOwnerDeletion":true}]},
             "spec":{"containers":[{"name":"app","image":"nginx"}]}}
            """);
        if (hash is not null) pod["metadata"]!["labels"] = new JsonObject { ["app"] = "web", ["pod-template-hash"] = hash };
        return pod;
    }

    private static ValueTask<WorkloadName> Resolve(JsonObject pod, IOwnerLookup? lookup) =>
        WorkloadResolver.ResolveAsync(TestPods.Parsed(pod), "shop", lookup, CancellationToken.None);

    [Fact]
    public async Task A_ReplicaSet_with_the_pod_template_hash_suffix_gives_the_Deployment_without_a_lookup()
    {
        var lookup = new FakeLookup();

        var workload = await Resolve(PodOwnedBy("ReplicaSet", "web-5d8f9c7b6", hash: "5d8f9c7b6"), lookup);

        Assert.Equal(new WorkloadName("web", "Deployment"), workload);
        Assert.Empty(lookup.Calls);
    }

    // The usual pod's Deployment is read from the UTF-8 as written (WorkloadResolver.DeploymentOf); a name or hash
    // written with an escape, or not ASCII, gives what the general reading gives.
    [Theory]
    [InlineData("web-5d8f9c7b6", "5d8f9c7b6", "web", "Deployment")]
    [InlineData("web\\u002d5d8f9c7b6", "5d8f9c7b6", "web", "Deployment")]
    [InlineData("w\\u00e9b-5d8f9c7b6", "5d8f9c7b6", "w\u00e9b", "Deployment")]
    [InlineData("w\u00e9b-\u9875-5d8f9c7b6", "5d8f9c7b6", "w\u00e9b-\u9875", "Deployment")]
    [InlineData("web-5d8f9c7b6", "5d8f9c7b\\u0036", "web", "Deployment")]
    [InlineData("-5d8f9c7b6", "5d8f9c7b6", "-5d8f9c7b6", "ReplicaSet")]
    [InlineData("5d8f9c7b6", "5d8f9c7b6", "5d8f9c7b6", "ReplicaSet")]
    [InlineData("web_5d8f9c7b6", "5d8f9c7b6", "web_5d8f9c7b6", "ReplicaSet")]
    [InlineData("web-5d8f9c7b6", "", "web-5d8f9c7b6", "ReplicaSet")]
    public async Task A_ReplicaSet_name_and_hash_give_the_same_Deployment_however_they_are_written(string name, string hash, string workload, string kind)
    {
        using var pod = System.Text.Json.JsonDocument.Parse($$$"""
            {"metadata":{"labels":{"pod-template-hash":"{{{hash}}}"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"{{{name}}}","controller":true}]},
             "spec":{"containers":[{"name":"app","image":"nginx"}]}}
            """);

        // Twice: the second answer may be the one kept from the first.
        for (var i = 0; i < 2; i++)
        {
            var resolved = await WorkloadResolver.ResolveAsync(pod.RootElement, "shop", new FakeLookup(), CancellationToken.None);
            Assert.Equal((workload, kind), (resolved.Name, resolved.Kind));
        }
    }

    [Fact]
    public async Task A_ReplicaSet_without_the_suffix_is_named_after_its_Deployment_from_the_API()
    {
        var lookup = new FakeLookup(new() { ["ReplicaSet/web-legacy"] = new OwnerReference("apps/v1", "Deployment", "web") });

        var workload = await Resolve(PodOwnedBy("ReplicaSet", "web-legacy", hash: "5d8f9c7b6"), lookup);

        Assert.Equal(new WorkloadName("web", "Deployment"), workload);
        Assert.Equal(["apps/v1 ReplicaSet shop/web-legacy"], lookup.Calls);
    }

    [Fact]
    public async Task A_ReplicaSet_of_an_Argo_Rollout_is_named_after_the_Rollout()
    {
        var lookup = new FakeLookup(new() { ["ReplicaSet/canary-6f7d9"] = new OwnerReference("argoproj.io/v1alpha1", "Rollout", "canary") });

        var workload = await Resolve(PodOwnedBy("ReplicaSet", "canary-6f7d9"), lookup);

        Assert.Equal(new WorkloadName("canary", "Rollout"), workload);
        Assert.Equal(["apps/v1 ReplicaSet shop/canary-6f7d9"], lookup.Calls);
    }

    [Fact]
    public async Task A_ReplicaSet_without_a_controller_is_named_after_itself()
    {
        var lookup = new FakeLookup();

        var workload = await Resolve(PodOwnedBy("ReplicaSet", "standalone"), lookup);

        Assert.Equal(new WorkloadName("standalone", "ReplicaSet"), workload);
        Assert.Single(lookup.Calls);
    }

    [Fact]
    public async Task A_Job_created_by_a_CronJob_is_named_after_the_CronJob()
    {
        var lookup = new FakeLookup(new() { ["Job/nightly-28391234"] = new OwnerReference("batch/v1", "CronJob", "nightly") });

        var workload = await Resolve(PodOwnedBy("Job", "nightly-28391234", "batch/v1"), lookup);

        Assert.Equal(new WorkloadName("nightly", "CronJob"), workload);
        Assert.Equal(["batch/v1 Job shop/nightly-28391234"], lookup.Calls);
    }

    [Fact]
    public async Task A_plain_Job_is_named_after_itself()
    {
        var lookup = new FakeLookup();

        var workload = await Resolve(PodOwnedBy("Job", "migrate", "batch/v1"), lookup);

        Assert.Equal(new WorkloadName("migrate", "Job"), workload);
        Assert.Single(lookup.Calls);
    }

    [Fact]
    public async Task A_Job_owned_by_something_other_than_a_CronJob_is_named_after_itself()
    {
        var lookup = new FakeLookup(new() { ["Job/step-1"] = new OwnerReference("argoproj.io/v1alpha1", "Workflow", "pipeline") });

        var workload = await Resolve(PodOwnedBy("Job", "step-1", "batch/v1"), lookup);

        Assert.Equal(new WorkloadName("step-1", "Job"), workload);
    }

    [Theory]
    [InlineData("StatefulSet", "db")]
    [InlineData("DaemonSet", "node-agent")]
    [InlineData("ReplicationController", "legacy")]
    [InlineData("Workflow", "pipeline")]
    public async Task Other_owners_give_their_own_name_without_a_lookup(string kind, string name)
    {
        var lookup = new FakeLookup();

        var workload = await Resolve(PodOwnedBy(kind, name), lookup);

        Assert.Equal(new WorkloadName(name, kind), workload);
        Assert.Empty(lookup.Calls);
    }

    [Fact]
    public async Task A_pod_without_owner_is_named_after_itself()
    {
        var workload = await Resolve(TestPods.Web(), new FakeLookup());

        Assert.Equal(new WorkloadName("web", "Pod"), workload);
    }

    [Fact]
    public async Task The_owner_marked_controller_is_preferred_over_the_first()
    {
        var pod = TestPods.Parse("""
            {"metadata":{"name":"db-0","ownerReferences":[
              {"apiVersion":"v1","kind":"ConfigMap","name":"settings"},
              {"apiVersion":"apps/v1","kind":"StatefulSet","name":"db","controller":true}]},
             "spec":{"containers":[{"name":"db","image":"postgres"}]}}
            """);

        Assert.Equal(new WorkloadName("db", "StatefulSet"), await Resolve(pod, null));
    }

    [Fact]
    public async Task Without_a_controller_flag_the_first_owner_is_used()
    {
        var pod = TestPods.Parse("""
            {"metadata":{"name":"db-0","ownerReferences":[
              {"apiVersion":"apps/v1","kind":"StatefulSet","name":"db"},
              {"apiVersion":"v1","kind":"ConfigMap","name":"settings"}]},
             "spec":{"containers":[{"name":"db","image":"postgres"}]}}
            """);

        Assert.Equal(new WorkloadName("db", "StatefulSet"), await Resolve(pod, null));
    }

    [Fact]
    public async Task A_failed_lookup_falls_back_to_the_owner_with_a_warning()
    {
        var lookup = new FakeLookup(failure: "timed out after 2s");

        var workload = await Resolve(PodOwnedBy("ReplicaSet", "web-legacy"), lookup);

        Assert.Equal(new WorkloadName("web-legacy", "ReplicaSet",
            "could not look up the owner of ReplicaSet web-legacy (timed out after 2s); the virtual node is named after the ReplicaSet"), workload);
    }

    [Theory]
    [InlineData("ReplicaSet", "web-legacy", "apps/v1")]
    [InlineData("Job", "nightly-28391234", "batch/v1")]
    public async Task Without_a_lookup_the_owner_stands_for_itself_with_a_warning(string kind, string name, string apiVersion)
    {
        var workload = await Resolve(PodOwnedBy(kind, name, apiVersion), null);

        Assert.Equal(new WorkloadName(name, kind,
            $"the Kubernetes API is not configured, so the owner of {kind} {name} was not looked up; the virtual node is named after the {kind}"), workload);
    }

    [Fact]
    public async Task Envoy_gets_the_virtual_node_resource_name_and_the_names_are_written_back()
    {
        var pod = PodOwnedBy("ReplicaSet", "web-5d8f9c7b6", hash: "5d8f9c7b6");
        var workload = await Resolve(pod, null);

        var result = TestPods.Inject(pod, context: new PodContext("shop", workload.Name));

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Equal(("demo", "web-shop", "web"), (result.Mesh, result.VirtualNode, result.Workload));
        Assert.Equal(TestPods.DefaultEnvoyEnv(), TestPods.Env(result, "envoy"));
        Assert.Equal(
            [
                "appmesh.k8s.aws/mesh=demo",
                "appmesh.k8s.aws/virtualNode=web-shop",
                """appmesh.k8s.aws/sidecarInjectorStatus={"containers":["envoy"],"initContainers":["proxyinit"],"volumes":[],"added":["/metadata/annotations","/metadata/annotations/appmesh.k8s.aws~1mesh","/metadata/annotations/appmesh.k8s.aws~1virtualNode","/spec/initContainers","/spec/securityContext","/spec/securityContext/fsGroup"],"version":"0.1.0"}""",
            ],
            TestPods.Annotations(result));
    }

    [Fact]
    public void Mesh_and_virtual_node_annotations_are_used_verbatim()
    {
        var result = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/mesh", "payments"), ("appmesh.k8s.aws/virtualNode", "Web_v2")));

        Assert.Equal(("payments", "Web_v2"), (result.Mesh, result.VirtualNode));
        Assert.Equal(TestPods.DefaultEnvoyEnv(mesh: "payments", virtualNode: "Web_v2"), TestPods.Env(result, "envoy"));
        Assert.Equal(
            [
                "appmesh.k8s.aws/mesh=payments",
                "appmesh.k8s.aws/virtualNode=Web_v2",
                // The two annotations were there already: only what the injection created is recorded.
                """appmesh.k8s.aws/sidecarInjectorStatus={"containers":["envoy"],"initContainers":["proxyinit"],"volumes":[],"added":["/spec/initContainers","/spec/securityContext","/spec/securityContext/fsGroup"],"version":"0.1.0"}""",
            ],
            TestPods.Annotations(result));
    }
}
