using System.Text.Json.Nodes;
using Injector.Core.Injection;
using Injector.Core.Settings;

namespace Injector.Tests.Unit;

/// <summary>A namespace that enforces a Pod Security level refuses an injected pod after the webhook admits it, with
/// a message naming containers the user never wrote: the injected pod carries a warning that says which rule what
/// the injector added breaks, and the way out. What is injected does not change, and no pod is denied for it.</summary>
public class PodSecurityTests
{
    private const string Label = "pod-security.kubernetes.io/enforce";

    private const string Restricted =
        "proxyinit adds capability NET_ADMIN, which restricted does not allow; "
        + "proxyinit and envoy do not set allowPrivilegeEscalation: false; proxyinit and envoy do not drop capability ALL; "
        + "proxyinit and envoy do not set runAsNonRoot: true, nor does the pod; "
        + "proxyinit and envoy do not set seccompProfile RuntimeDefault or Localhost, nor does the pod; "
        + "no injection mode meets restricted (the injected containers' security context is fixed): "
        + "label the namespace pod-security.kubernetes.io/enforce=baseline with CNI mode (annotation appmesh.k8s.aws/appmeshCNI: enabled, with the App Mesh CNI plugin); "
        + "or label the namespace pod-security.kubernetes.io/enforce=privileged";

    private static PodContext In(string? enforce) =>
        new(TestPods.Namespace) { NamespaceLabels = enforce is null ? PodContext.NoLabels : new Dictionary<string, string> { [Label] = enforce } };

    private static InjectionResult Inject(string? enforce, JsonObject? pod = null, InjectorSettings? settings = null) =>
        TestPods.Inject(pod ?? TestPods.Web(), settings, In(enforce));

    [Fact]
    public void A_baseline_namespace_warns_that_proxyinit_adds_NET_ADMIN_and_names_CNI_mode()
    {
        var result = Inject("baseline");

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Equal([
            "namespace shop enforces Pod Security level baseline (pod-security.kubernetes.io/enforce=baseline) and will refuse this pod after injection: "
            + "proxyinit adds capability NET_ADMIN, which baseline does not allow; "
            + "to mesh it: CNI mode (annotation appmesh.k8s.aws/appmeshCNI: enabled, with the App Mesh CNI plugin) adds no proxyinit; "
            + "or label the namespace pod-security.kubernetes.io/enforce=privileged"], result.Warnings);
        // What is injected does not change.
        Assert.Equal(Injector.Core.Json.JsonPatch.ToJson(Inject(null).Patch), Injector.Core.Json.JsonPatch.ToJson(result.Patch));
    }

    [Fact]
    public void A_restricted_namespace_warns_of_every_rule_the_added_containers_break()
    {
        var result = Inject("restricted");

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Equal(["namespace shop enforces Pod Security level restricted (pod-security.kubernetes.io/enforce=restricted) and will refuse this pod after injection: " + Restricted],
            result.Warnings);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("privileged")]
    public void A_privileged_or_unlabelled_namespace_gets_no_warning(string? enforce) =>
        Assert.Empty(Inject(enforce).Warnings);

    [Fact]
    public void A_namespace_whose_enforce_value_is_no_level_is_warned_of_as_restricted_as_the_API_server_enforces_it()
    {
        var result = Inject("Baseline");

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Equal(["namespace shop has pod-security.kubernetes.io/enforce=Baseline, which is not privileged, baseline or restricted, so the API server enforces restricted "
            + "and will refuse this pod after injection: " + Restricted], result.Warnings);
    }

    [Fact]
    public void Native_sidecar_mode_breaks_the_same_rules_because_proxyinit_is_still_added()
    {
        var result = Inject("baseline", TestPods.Web(("appmesh.k8s.aws/nativeSidecar", "enabled")));

        Assert.Equal("Always", TestPods.Container(result, "envoy")["restartPolicy"]!.GetValue<string>());
        Assert.Equal([
            "namespace shop enforces Pod Security level baseline (pod-security.kubernetes.io/enforce=baseline) and will refuse this pod after injection: "
            + "proxyinit adds capability NET_ADMIN, which baseline does not allow; "
            + "to mesh it: CNI mode (annotation appmesh.k8s.aws/appmeshCNI: enabled, with the App Mesh CNI plugin) adds no proxyinit; "
            + "or label the namespace pod-security.kubernetes.io/enforce=privileged"], result.Warnings);
    }

    [Fact]
    public void CNI_mode_meets_baseline_and_under_restricted_only_envoy_is_named()
    {
        var cni = TestPods.Web(("appmesh.k8s.aws/appmeshCNI", "enabled"));

        Assert.Empty(Inject("baseline", cni).Warnings);
        Assert.Equal(["namespace shop enforces Pod Security level restricted (pod-security.kubernetes.io/enforce=restricted) and will refuse this pod after injection: "
            + "envoy does not set allowPrivilegeEscalation: false; envoy does not drop capability ALL; "
            + "envoy does not set runAsNonRoot: true, nor does the pod; envoy does not set seccompProfile RuntimeDefault or Localhost, nor does the pod; "
            + "no injection mode meets restricted (the injected containers' security context is fixed): "
            + "label the namespace pod-security.kubernetes.io/enforce=baseline; or label the namespace pod-security.kubernetes.io/enforce=privileged"], Inject("restricted", cni).Warnings);
    }

    [Fact]
    public void The_pods_own_runAsNonRoot_and_seccomp_profile_cover_the_added_containers()
    {
        var pod = TestPods.Web(("appmesh.k8s.aws/appmeshCNI", "enabled"));
        pod["spec"]!["securityContext"] = new JsonObject { ["runAsNonRoot"] = true, ["seccompProfile"] = new JsonObject { ["type"] = "RuntimeDefault" } };

        Assert.Equal(["namespace shop enforces Pod Security level restricted (pod-security.kubernetes.io/enforce=restricted) and will refuse this pod after injection: "
            + "envoy does not set allowPrivilegeEscalation: false; envoy does not drop capability ALL; "
            + "no injection mode meets restricted (the injected containers' security context is fixed): "
            + "label the namespace pod-security.kubernetes.io/enforce=baseline; or label the namespace pod-security.kubernetes.io/enforce=privileged"], Inject("restricted", pod).Warnings);
    }

    [Fact]
    public void The_SDS_hostPath_volume_and_the_xray_daemon_are_named_with_the_annotation_that_leaves_the_volume_out()
    {
        var settings = TestPods.Settings with { EnableSds = true, EnableXrayTracing = true };

        Assert.Equal(["namespace shop enforces Pod Security level baseline (pod-security.kubernetes.io/enforce=baseline) and will refuse this pod after injection: "
            + "proxyinit adds capability NET_ADMIN, which baseline does not allow; "
            + "the SDS socket volume appmesh-sds-socket-volume is a hostPath volume, which baseline does not allow; "
            + "to mesh it: CNI mode (annotation appmesh.k8s.aws/appmeshCNI: enabled, with the App Mesh CNI plugin) adds no proxyinit; "
            + "or annotation appmesh.k8s.aws/sds: disabled adds no SDS volume; or label the namespace pod-security.kubernetes.io/enforce=privileged"],
            Inject("baseline", settings: settings).Warnings);
        Assert.Contains("proxyinit, envoy and xray-daemon do not drop capability ALL", Inject("restricted", settings: settings).Warnings.Single());
    }

    [Fact]
    public void A_skipped_pod_gets_no_Pod_Security_warning()
    {
        var result = Inject("baseline", TestPods.Web(("appmesh.k8s.aws/sidecarInjectorWebhook", "disabled")));

        Assert.Equal(InjectionOutcome.Skipped, result.Outcome);
        Assert.Empty(result.Warnings);
    }
}
