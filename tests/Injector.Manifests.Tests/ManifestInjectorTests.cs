using System.Text.Json.Nodes;
using Injector.Core.Admission;
using Injector.Core.Injection;
using Injector.Core.Settings;

namespace Injector.Manifests.Tests;

public sealed class ManifestInjectorTests
{
    private static readonly PodInjector Engine = new(new InjectorSettings { MeshName = "demo", Region = "us-west-2", SidecarMode = SidecarMode.Classic });

    [Theory]
    [InlineData("v1", "Pod", "")]
    [InlineData(null, "Pod", "")]
    [InlineData("apps/v1", "Deployment", "spec.template")]
    [InlineData("extensions/v1beta1", "Deployment", "spec.template")]
    [InlineData("apps/v1", "StatefulSet", "spec.template")]
    [InlineData("v1", "ReplicationController", "spec.template")]
    [InlineData("batch/v1", "Job", "spec.template")]
    [InlineData("batch/v1", "CronJob", "spec.jobTemplate.spec.template")]
    [InlineData("batch/v1beta1", "CronJob", "spec.jobTemplate.spec.template")]
    [InlineData("v1", "Service", null)]
    [InlineData("apps.openshift.io/v1", "DeploymentConfig", null)]
    // Custom resources that reuse a built-in kind's name are other kinds.
    [InlineData("batch.volcano.sh/v1alpha1", "Job", null)]
    [InlineData("apps.kruise.io/v1beta1", "StatefulSet", null)]
    [InlineData("example.com/v1", "Deployment", null)]
    [InlineData("example.com/v1", "Pod", null)]
    [InlineData("apps/v1", "Pod", null)]
    public void Each_kind_has_its_pod_template_path_in_its_own_api_group(string? apiVersion, string kind, string? path)
    {
        var resource = new JsonObject { ["kind"] = kind };
        if (apiVersion is not null) resource["apiVersion"] = apiVersion;
        Assert.Equal(path, PodTemplates.PathOf(resource) is { } p ? string.Join('.', p) : null);
    }

    [Fact]
    public void A_template_pod_gets_the_workload_name_and_the_document_namespace_and_the_input_is_not_changed()
    {
        var deployment = YamlJson.Read("kind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  template:\n    spec:\n      containers: [{name: api, image: x}]\n")!.AsObject();
        var before = deployment.ToJsonString();

        var result = Assert.Single(new ManifestInjector(Engine).InjectDocument(deployment).Resources);

        Assert.Equal(before, deployment.ToJsonString());
        Assert.Equal((ResourceOutcome.Injected, "api-shop", "shop"), (result.Outcome, result.VirtualNode, result.Namespace));
        Assert.Equal(
            ["add /spec/template/metadata", "add /spec/template/spec/containers/1", "add /spec/template/spec/initContainers", "add /spec/template/spec/securityContext"],
            result.Patch.Select(op => $"{op.Op} {op.Path}"));
    }

    [Fact]
    public void A_bare_pod_is_named_like_the_webhook_names_it_from_its_owner()
    {
        var pod = YamlJson.Read("kind: Pod\nmetadata:\n  name: api-7d9f-x\n  labels: {pod-template-hash: 7d9f}\n  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-7d9f, controller: true}]\nspec:\n  containers: [{name: api, image: x}]\n")!.AsObject();

        var result = Assert.Single(new ManifestInjector(Engine, new ManifestOptions { DefaultNamespace = "team" }).InjectDocument(pod).Resources);

        Assert.Equal("api-team", result.VirtualNode);
    }

    [Fact]
    public void A_workload_without_a_template_fails_with_a_message()
    {
        var result = Assert.Single(new ManifestInjector(Engine).InjectDocument(YamlJson.Read("kind: CronJob\nmetadata: {name: c}\nspec: {schedule: '@daily'}\n")).Resources);

        Assert.Equal((ResourceOutcome.Failed, "invalid-pod", "CronJob has no pod template at spec.jobTemplate.spec.template"), (result.Outcome, result.Reason, result.Message));
    }

    [Fact]
    public void Namespace_annotations_act_as_defaults_for_workloads_of_that_namespace()
    {
        var options = new ManifestOptions
        {
            Namespaces = new Dictionary<string, NamespaceInfo>
            {
                ["shop"] = new(null, new Dictionary<string, string> { [AnnotationKeys.SidecarInjectorWebhook] = "disabled" }),
            },
        };
        var result = Assert.Single(new ManifestInjector(Engine, options).InjectDocument(YamlJson.Read("kind: Job\nmetadata: {name: j, namespace: shop}\nspec:\n  template:\n    spec:\n      containers: [{name: a, image: x}]\n")).Resources);

        Assert.Equal((ResourceOutcome.Skipped, Reasons.DisabledByAnnotation), (result.Outcome, result.Reason));
    }

    [Fact]
    public void Scalars_and_unknown_kinds_pass_through_as_the_same_node()
    {
        var injector = new ManifestInjector(Engine);
        var service = YamlJson.Read("kind: Service\nmetadata: {name: s}\n");

        Assert.Same(service, injector.InjectDocument(service).Output);
        Assert.Equal(ResourceOutcome.PassedThrough, Assert.Single(injector.InjectDocument(JsonValue.Create("text")).Resources).Outcome);
    }
}
