using System.Text.Json.Nodes;
using Injector.Core;
using Injector.Core.Injection;
using Injector.Core.Json;

namespace Injector.Tests.Unit;

/// <summary>SPEC §5 and issue 11 item 6: a malformed annotation the App Mesh controller refuses too, or one
/// that would give a pod the API server rejects, denies the pod with a message naming the annotation, quoting
/// the value and stating the format; any other malformed value is admitted with the controller's reading and
/// a warning that says the same. Each case names the controller source (aws/aws-app-mesh-controller-for-k8s,
/// pkg/inject) its outcome was read from.</summary>
public class AnnotationTests
{
    private static readonly string Long256 = new('a', 256);

    private const string PortsFormat = "expected a comma-separated list of ports from 1 to 65535, such as 8080,9090";
    private const string AddressFormat = "expected a comma-separated list of IPv4/IPv6 addresses or CIDR blocks, such as 169.254.169.254,10.0.0.0/8";
    private const string NameFormat = "expected 1 to 255 letters, digits, '-' or '_'";
    private const string PassedAsGiven = "passed to proxyinit as given, as the App Mesh controller passes it; proxyinit fails if iptables cannot read it";

    public static TheoryData<string, string, string> RefusedAnnotations => new()
    {
        // sidecar_builder.go sidecarResources: resource.ParseQuantity fails the admission.
        { "appmesh.k8s.aws/cpuRequest", "lots",
            "annotation appmesh.k8s.aws/cpuRequest: \"lots\" is not valid; expected a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi" },
        { "appmesh.k8s.aws/cpuRequest", "10 m",
            "annotation appmesh.k8s.aws/cpuRequest: \"10 m\" is not valid; expected a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi" },
        { "appmesh.k8s.aws/cpuRequest", "-1",
            "annotation appmesh.k8s.aws/cpuRequest: \"-1\" is not valid; expected a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi" },
        { "appmesh.k8s.aws/memoryRequest", "lots",
            "annotation appmesh.k8s.aws/memoryRequest: \"lots\" is not valid; expected a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi" },
        { "appmesh.k8s.aws/memoryRequest", "10 m",
            "annotation appmesh.k8s.aws/memoryRequest: \"10 m\" is not valid; expected a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi" },
        { "appmesh.k8s.aws/memoryRequest", "-1",
            "annotation appmesh.k8s.aws/memoryRequest: \"-1\" is not valid; expected a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi" },
        { "appmesh.k8s.aws/cpuLimit", "lots",
            "annotation appmesh.k8s.aws/cpuLimit: \"lots\" is not valid; expected a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi" },
        { "appmesh.k8s.aws/cpuLimit", "10 m",
            "annotation appmesh.k8s.aws/cpuLimit: \"10 m\" is not valid; expected a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi" },
        { "appmesh.k8s.aws/cpuLimit", "-1",
            "annotation appmesh.k8s.aws/cpuLimit: \"-1\" is not valid; expected a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi" },
        { "appmesh.k8s.aws/memoryLimit", "lots",
            "annotation appmesh.k8s.aws/memoryLimit: \"lots\" is not valid; expected a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi" },
        { "appmesh.k8s.aws/memoryLimit", "10 m",
            "annotation appmesh.k8s.aws/memoryLimit: \"10 m\" is not valid; expected a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi" },
        { "appmesh.k8s.aws/memoryLimit", "-1",
            "annotation appmesh.k8s.aws/memoryLimit: \"-1\" is not valid; expected a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi" },
        // A control character inside a quantity is no quantity (issue 13 B.4).
        { "appmesh.k8s.aws/cpuLimit", "1\u00070m",
            "annotation appmesh.k8s.aws/cpuLimit: \"1\\u00070m\" is not valid; expected a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi" },
        // envoy.go getSecretMounts/getVolumeMounts: an entry that does not split into name:path fails the admission.
        { "appmesh.k8s.aws/secretMounts", "my-secret",
            "annotation appmesh.k8s.aws/secretMounts: \"my-secret\" is not valid; expected a comma-separated list of secretName:mountPath, such as my-secret:/etc/secret" },
        { "appmesh.k8s.aws/secretMounts", "s:/a:b",
            "annotation appmesh.k8s.aws/secretMounts: \"s:/a:b\" is not valid; expected a comma-separated list of secretName:mountPath, such as my-secret:/etc/secret" },
        // The API server refuses volume names that are not DNS labels (the secret's name is the volume's).
        { "appmesh.k8s.aws/secretMounts", "My_Secret:/etc/secret",
            "annotation appmesh.k8s.aws/secretMounts: \"My_Secret:/etc/secret\" is not valid; expected a comma-separated list of secretName:mountPath, such as my-secret:/etc/secret" },
        { "appmesh.k8s.aws/secretMounts", "tls.certs:/etc/tls",
            "annotation appmesh.k8s.aws/secretMounts: \"tls.certs:/etc/tls\" is not valid; expected a comma-separated list of secretName:mountPath, such as my-secret:/etc/secret" },
        { "appmesh.k8s.aws/volumeMounts", "data",
            "annotation appmesh.k8s.aws/volumeMounts: \"data\" is not valid; expected a comma-separated list of volumeName:mountPath, such as my-volume:/etc/volume" },
        { "appmesh.k8s.aws/volumeMounts", "Data!:/var/data",
            "annotation appmesh.k8s.aws/volumeMounts: \"Data!:/var/data\" is not valid; expected a comma-separated list of volumeName:mountPath, such as my-volume:/etc/volume" },
        // envoy.go getCustomEnv: an entry without '=' fails the admission; the API server refuses bad names.
        { "appmesh.k8s.aws/sidecarEnv", "1FOO=bar",
            "annotation appmesh.k8s.aws/sidecarEnv: \"1FOO=bar\" is not valid; expected a comma-separated list of KEY=value, such as ENVOY_STATS_FLUSH_INTERVAL=10s,FOO=bar" },
        { "appmesh.k8s.aws/sidecarEnv", "FOO=bar,BAZ",
            "annotation appmesh.k8s.aws/sidecarEnv: \"FOO=bar,BAZ\" is not valid; expected a comma-separated list of KEY=value, such as ENVOY_STATS_FLUSH_INTERVAL=10s,FOO=bar" },
    };

    [Theory]
    [MemberData(nameof(RefusedAnnotations))]
    public void A_malformed_annotation_the_controller_refuses_denies_the_pod_naming_the_annotation_the_value_and_the_format(string key, string value, string expected)
    {
        var pod = TestPods.Web((key, value));
        var before = pod.ToJsonString();

        var result = TestPods.Inject(pod);

        Assert.Equal(InjectionOutcome.Denied, result.Outcome);
        Assert.Equal(Reasons.InvalidAnnotation, result.Reason);
        Assert.Equal(expected, result.Message);
        Assert.Null(result.Pod);
        Assert.Empty(result.Patch);
        Assert.Equal(before, pod.ToJsonString());
    }

    /// <summary>Key, value, the warning, and what the pod gets: <c>container:NAME=value</c> (an env line) or
    /// <c>container:image=…</c>, <c>pod:virtualNode=…</c>.</summary>
    public static TheoryData<string, string, string, string> AdmittedAnnotations => new()
    {
        // inject.go determineSidecarInjectMode: a value other than enabled/disabled is "unspecified".
        { "appmesh.k8s.aws/sidecarInjectorWebhook", "maybe",
            "annotation appmesh.k8s.aws/sidecarInjectorWebhook: \"maybe\" is not valid; expected 'enabled' or 'disabled'; treated as unset, as the App Mesh controller treats it: --inject-default=true applies",
            "envoy:AWS_REGION=us-west-2" },
        { "appmesh.k8s.aws/sidecarInjectorWebhook", "true",
            "annotation appmesh.k8s.aws/sidecarInjectorWebhook: \"true\" is not valid; expected 'enabled' or 'disabled'; treated as unset, as the App Mesh controller treats it: --inject-default=true applies",
            "envoy:AWS_REGION=us-west-2" },
        // The controller never reads mesh or virtualNode (its VirtualNode resources name both).
        { "appmesh.k8s.aws/mesh", "has.dots",
            $"annotation appmesh.k8s.aws/mesh: \"has.dots\" is not valid; {NameFormat}; ignored (the App Mesh controller does not read it): --mesh-name applies",
            "envoy:APPMESH_RESOURCE_ARN=mesh/demo/virtualNode/web-shop" },
        { "appmesh.k8s.aws/mesh", Long256,
            $"annotation appmesh.k8s.aws/mesh: \"{Long256}\" is not valid; {NameFormat}; ignored (the App Mesh controller does not read it): --mesh-name applies",
            "envoy:APPMESH_RESOURCE_ARN=mesh/demo/virtualNode/web-shop" },
        { "appmesh.k8s.aws/mesh", "",
            $"annotation appmesh.k8s.aws/mesh: \"\" is not valid; {NameFormat}; ignored (the App Mesh controller does not read it): --mesh-name applies",
            "envoy:APPMESH_RESOURCE_ARN=mesh/demo/virtualNode/web-shop" },
        // Issue 13 B.4: names are checked to the true end, and no control character reaches Envoy.
        { "appmesh.k8s.aws/mesh", "demo\n",
            $"annotation appmesh.k8s.aws/mesh: \"demo\\n\" is not valid; {NameFormat}; ignored (the App Mesh controller does not read it): --mesh-name applies",
            "envoy:APPMESH_RESOURCE_ARN=mesh/demo/virtualNode/web-shop" },
        { "appmesh.k8s.aws/virtualNode", "has.dots",
            $"annotation appmesh.k8s.aws/virtualNode: \"has.dots\" is not valid; {NameFormat}; ignored (the App Mesh controller does not read it): the name derived from the workload applies",
            "envoy:APPMESH_VIRTUAL_NODE_NAME=mesh/demo/virtualNode/web-shop" },
        { "appmesh.k8s.aws/virtualNode", Long256,
            $"annotation appmesh.k8s.aws/virtualNode: \"{Long256}\" is not valid; {NameFormat}; ignored (the App Mesh controller does not read it): the name derived from the workload applies",
            "envoy:APPMESH_VIRTUAL_NODE_NAME=mesh/demo/virtualNode/web-shop" },
        { "appmesh.k8s.aws/virtualNode", "web\n",
            $"annotation appmesh.k8s.aws/virtualNode: \"web\\n\" is not valid; {NameFormat}; ignored (the App Mesh controller does not read it): the name derived from the workload applies",
            "envoy:APPMESH_VIRTUAL_NODE_NAME=mesh/demo/virtualNode/web-shop" },
        // proxy.go getAppPorts / getEgressIgnoredPorts, init_proxy.go: copied into proxyinit's env unchecked.
        { "appmesh.k8s.aws/ports", "0", $"annotation appmesh.k8s.aws/ports: \"0\" is not valid; {PortsFormat}; {PassedAsGiven}", "proxyinit:APPMESH_APP_PORTS=0" },
        { "appmesh.k8s.aws/ports", "65536", $"annotation appmesh.k8s.aws/ports: \"65536\" is not valid; {PortsFormat}; {PassedAsGiven}", "proxyinit:APPMESH_APP_PORTS=65536" },
        { "appmesh.k8s.aws/ports", "80,abc", $"annotation appmesh.k8s.aws/ports: \"80,abc\" is not valid; {PortsFormat}; {PassedAsGiven}", "proxyinit:APPMESH_APP_PORTS=80,abc" },
        { "appmesh.k8s.aws/ports", "8080;9090", $"annotation appmesh.k8s.aws/ports: \"8080;9090\" is not valid; {PortsFormat}; {PassedAsGiven}", "proxyinit:APPMESH_APP_PORTS=8080;9090" },
        { "appmesh.k8s.aws/egressIgnoredPorts", "22,ssh", $"annotation appmesh.k8s.aws/egressIgnoredPorts: \"22,ssh\" is not valid; {PortsFormat}; {PassedAsGiven}", "proxyinit:APPMESH_EGRESS_IGNORED_PORTS=22,ssh" },
        { "appmesh.k8s.aws/egressIgnoredPorts", "70000", $"annotation appmesh.k8s.aws/egressIgnoredPorts: \"70000\" is not valid; {PortsFormat}; {PassedAsGiven}", "proxyinit:APPMESH_EGRESS_IGNORED_PORTS=70000" },
        // Issue 13 B.5: a port as iptables reads it (multiport's numbers take C's base prefixes).
        { "appmesh.k8s.aws/ports", "010",
            "annotation appmesh.k8s.aws/ports: \"010\" is written as \"8\", the way iptables reads it (a leading 0 makes a number octal); write \"8\", or the value you meant",
            "proxyinit:APPMESH_APP_PORTS=8" },
        // proxy.go: the controller copies --ignored-ips unchecked; iptables reads these entries as it can.
        { "appmesh.k8s.aws/egressIgnoredIPs", "300.1.1.1", $"annotation appmesh.k8s.aws/egressIgnoredIPs: \"300.1.1.1\" is not valid; {AddressFormat}; {PassedAsGiven}", "proxyinit:APPMESH_EGRESS_IGNORED_IP=300.1.1.1" },
        { "appmesh.k8s.aws/egressIgnoredIPs", "10.0.0.0/33", $"annotation appmesh.k8s.aws/egressIgnoredIPs: \"10.0.0.0/33\" is not valid; {AddressFormat}; {PassedAsGiven}", "proxyinit:APPMESH_EGRESS_IGNORED_IP=10.0.0.0/33" },
        { "appmesh.k8s.aws/egressIgnoredIPs", "example.com", $"annotation appmesh.k8s.aws/egressIgnoredIPs: \"example.com\" is not valid; {AddressFormat}; {PassedAsGiven}", "proxyinit:APPMESH_EGRESS_IGNORED_IP=example.com" },
        { "appmesh.k8s.aws/egressIgnoredIPs", "1.2.3",
            "annotation appmesh.k8s.aws/egressIgnoredIPs: \"1.2.3\" is written as \"1.2.3.0\", the way iptables reads it (iptables completes a short address with zeros); write \"1.2.3.0\", or the value you meant",
            "proxyinit:APPMESH_EGRESS_IGNORED_IP=1.2.3.0" },
        // envoy.go getPreview: only "enabled" turns the preview channel on.
        { "appmesh.k8s.aws/preview", "maybe",
            "annotation appmesh.k8s.aws/preview: \"maybe\" is not valid; expected 'enabled' or 'disabled'; read as disabled, as the App Mesh controller reads every value but \"enabled\"",
            "envoy:APPMESH_PREVIEW=0" },
        { "appmesh.k8s.aws/preview", "1",
            "annotation appmesh.k8s.aws/preview: \"1\" is not valid; expected 'enabled' or 'disabled'; read as disabled, as the App Mesh controller reads every value but \"enabled\"",
            "envoy:APPMESH_PREVIEW=0" },
        // The controller does not read sidecarImage, sidecarLogLevel or nativeSidecar.
        { "appmesh.k8s.aws/sidecarImage", "envoy image:v1",
            "annotation appmesh.k8s.aws/sidecarImage: \"envoy image:v1\" is not valid; expected a container image reference such as registry.example.com/envoy:v1.2.3; ignored: --sidecar-image applies",
            "envoy:image=public.ecr.aws/appmesh/aws-appmesh-envoy:v1.34.13.3-prod" },
        { "appmesh.k8s.aws/sidecarImage", "registry.example.com/Envoy:v1",
            "annotation appmesh.k8s.aws/sidecarImage: \"registry.example.com/Envoy:v1\" is not valid; expected a container image reference such as registry.example.com/envoy:v1.2.3; ignored: --sidecar-image applies",
            "envoy:image=public.ecr.aws/appmesh/aws-appmesh-envoy:v1.34.13.3-prod" },
        { "appmesh.k8s.aws/sidecarLogLevel", "verbose",
            "annotation appmesh.k8s.aws/sidecarLogLevel: \"verbose\" is not valid; expected one of trace, debug, info, warning, warn, error, critical, off; ignored: --envoy-log-level applies",
            "envoy:ENVOY_LOG_LEVEL=info" },
        { "appmesh.k8s.aws/nativeSidecar", "yes",
            "annotation appmesh.k8s.aws/nativeSidecar: \"yes\" is not valid; expected 'enabled' or 'disabled'; ignored: --sidecar-mode applies",
            "proxyinit:APPMESH_START_ENABLED=1" },
        // proxy.go isAppMeshCNIEnabled: only "enabled" turns CNI mode on; isIPV6Enabled: only "disabled" turns IPv6 off.
        { "appmesh.k8s.aws/appmeshCNI", "yes",
            "annotation appmesh.k8s.aws/appmeshCNI: \"yes\" is not valid; expected 'enabled' or 'disabled'; read as disabled, as the App Mesh controller reads every value but \"enabled\"",
            "proxyinit:APPMESH_START_ENABLED=1" },
        { "appmesh.k8s.aws/ipv6", "yes",
            "annotation appmesh.k8s.aws/ipv6: \"yes\" is not valid; expected 'enabled' or 'disabled'; read as enabled, as the App Mesh controller reads every value but \"disabled\"",
            "proxyinit:APPMESH_ENABLE_IPV6=1" },
        // envoy.go getSecretMounts: a relative path goes into the pod as given.
        { "appmesh.k8s.aws/secretMounts", "my-secret:etc/secret",
            "annotation appmesh.k8s.aws/secretMounts: the mount path \"etc/secret\" of \"my-secret\" is not absolute; written as given, as the App Mesh controller writes it, and the container runtime may refuse it; expected a comma-separated list of secretName:mountPath, such as my-secret:/etc/secret",
            "envoy:mount=my-secret:etc/secret" },
        // An empty resource annotation: sidecarResources sets no such resource.
        { "appmesh.k8s.aws/cpuRequest", "",
            "annotation appmesh.k8s.aws/cpuRequest: \"\" is not valid; expected a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi; the App Mesh controller reads an empty value as none: Envoy gets no cpu request",
            "envoy:resources={\"requests\":{\"memory\":\"32Mi\"}}" },
    };

    [Theory]
    [MemberData(nameof(AdmittedAnnotations))]
    public void A_malformed_annotation_the_controller_admits_is_admitted_with_its_reading_and_a_warning(string key, string value, string warning, string expected)
    {
        var result = TestPods.Inject(TestPods.Web((key, value)));

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Equal([warning], result.Warnings);
        var container = expected[..expected.IndexOf(':')];
        var line = expected[(container.Length + 1)..];
        var c = TestPods.Container(result, container);
        if (line.StartsWith("image=", StringComparison.Ordinal)) Assert.Equal(line["image=".Length..], JsonNodes.Str(c["image"]));
        else if (line.StartsWith("resources=", StringComparison.Ordinal)) Assert.Equal(line["resources=".Length..], c["resources"]!.ToJsonString());
        else if (line.StartsWith("mount=", StringComparison.Ordinal))
            Assert.Contains(c["volumeMounts"]!.AsArray(), m => $"{JsonNodes.Str(m!["name"])}:{JsonNodes.Str(m["mountPath"])}" == line["mount=".Length..]);
        else Assert.Contains(line, TestPods.Env(result, container));
        // No control character reaches an env value (issue 13 B.4).
        Assert.All(TestPods.InjectedEnvValues(result), v => Assert.False(Formats.HasControlCharacter(v), v));
    }

    [Fact]
    public void A_request_above_its_limit_in_annotations_is_denied()
    {
        var result = TestPods.Inject(TestPods.Web(
            ("appmesh.k8s.aws/cpuRequest", "200m"), ("appmesh.k8s.aws/cpuLimit", "0.1"),
            ("appmesh.k8s.aws/memoryRequest", "1Gi"), ("appmesh.k8s.aws/memoryLimit", "512Mi")));

        Assert.Equal(InjectionOutcome.Denied, result.Outcome);
        Assert.Equal(Reasons.InvalidAnnotation, result.Reason);
        Assert.Equal(
            "annotation appmesh.k8s.aws/cpuRequest: \"200m\" is above annotation appmesh.k8s.aws/cpuLimit \"0.1\"; a request must not exceed its limit; " +
            "annotation appmesh.k8s.aws/memoryRequest: \"1Gi\" is above annotation appmesh.k8s.aws/memoryLimit \"512Mi\"; a request must not exceed its limit",
            result.Message);
    }

    [Fact]
    public void A_request_annotation_above_the_flag_limit_is_denied()
    {
        var settings = TestPods.Settings with { SidecarCpuLimits = "100m" };

        var result = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/cpuRequest", "250m")), settings);

        Assert.Equal(InjectionOutcome.Denied, result.Outcome);
        Assert.Equal(Reasons.InvalidAnnotation, result.Reason);
        Assert.Equal("annotation appmesh.k8s.aws/cpuRequest \"250m\" is above --sidecar-cpu-limits \"100m\"; a request must not exceed its limit", result.Message);
    }

    [Fact]
    public void A_limit_annotation_below_the_flag_request_is_denied()
    {
        var result = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/memoryLimit", "16Mi")));

        Assert.Equal(InjectionOutcome.Denied, result.Outcome);
        Assert.Equal("--sidecar-memory-requests \"32Mi\" is above annotation appmesh.k8s.aws/memoryLimit \"16Mi\"; a request must not exceed its limit", result.Message);
    }

    [Fact]
    public void A_request_equal_to_its_limit_is_admitted_and_both_go_to_envoy()
    {
        var result = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/cpuRequest", "100m"), ("appmesh.k8s.aws/cpuLimit", "0.1")));

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Equal("""{"requests":{"cpu":"100m","memory":"32Mi"},"limits":{"cpu":"0.1"}}""",
            TestPods.Container(result, "envoy")["resources"]!.ToJsonString());
    }

    [Theory]
    [InlineData("true", "1", "annotation appmesh.k8s.aws/preview: \"true\" is deprecated; use \"enabled\"")]
    [InlineData("false", "0", "annotation appmesh.k8s.aws/preview: \"false\" is deprecated; use \"disabled\"")]
    public void Preview_true_or_false_is_accepted_with_a_deprecation_warning(string value, string expectedPreview, string expectedWarning)
    {
        var result = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/preview", value)));

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Equal([expectedWarning], result.Warnings);
        Assert.Equal(TestPods.DefaultEnvoyEnv(preview: expectedPreview), TestPods.Env(result, "envoy"));
    }

    [Theory]
    [InlineData("enabled", "1")]
    [InlineData("Disabled", "0")]
    public void Preview_enabled_or_disabled_sets_APPMESH_PREVIEW_without_a_warning(string value, string expectedPreview)
    {
        var result = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/preview", value)));

        Assert.Empty(result.Warnings);
        Assert.Equal(TestPods.DefaultEnvoyEnv(preview: expectedPreview), TestPods.Env(result, "envoy"));
    }

    [Fact]
    public void VolumeMounts_naming_a_volume_the_pod_lacks_is_denied()
    {
        var result = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/volumeMounts", "certs:/etc/certs")));

        Assert.Equal(InjectionOutcome.Denied, result.Outcome);
        Assert.Equal(Reasons.InvalidAnnotation, result.Reason);
        Assert.Equal("annotation appmesh.k8s.aws/volumeMounts: the pod has no volume named \"certs\"", result.Message);
    }

    [Fact]
    public void SecretMounts_whose_name_is_already_a_pod_volume_is_denied()
    {
        var pod = TestPods.Web(("appmesh.k8s.aws/secretMounts", "certs:/etc/certs"));
        pod["spec"]!["volumes"] = new JsonArray(new JsonObject { ["name"] = "certs", ["emptyDir"] = new JsonObject() });

        var result = TestPods.Inject(pod);

        Assert.Equal(InjectionOutcome.Denied, result.Outcome);
        Assert.Equal("annotation appmesh.k8s.aws/secretMounts: the pod already has a volume named \"certs\"; mount it with appmesh.k8s.aws/volumeMounts instead", result.Message);
    }

    [Fact]
    public void SecretMounts_listing_a_secret_twice_keeps_its_last_path_and_adds_one_volume()
    {
        // envoy.go getSecretMounts fills a map by secret name: the last path wins, one volume per secret.
        var result = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/secretMounts", "tls:/etc/tls,tls:/etc/tls2")));

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Equal(["annotation appmesh.k8s.aws/secretMounts: \"tls\" is listed more than once; the last entry is used, as the App Mesh controller uses it"], result.Warnings);
        Assert.Equal("""[{"name":"tls","mountPath":"/etc/tls2","readOnly":true}]""", TestPods.Container(result, "envoy")["volumeMounts"]!.ToJsonString());
        Assert.Equal("""[{"name":"tls","secret":{"secretName":"tls"}}]""", result.Pod!["spec"]!["volumes"]!.ToJsonString());
    }

    [Fact]
    public void A_relative_volume_mount_path_is_written_as_given_with_a_warning()
    {
        var pod = TestPods.Web(("appmesh.k8s.aws/volumeMounts", "data:var/data"));
        pod["spec"]!["volumes"] = new JsonArray(new JsonObject { ["name"] = "data", ["emptyDir"] = new JsonObject() });

        var result = TestPods.Inject(pod);

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Equal(["annotation appmesh.k8s.aws/volumeMounts: the mount path \"var/data\" of \"data\" is not absolute; written as given, as the App Mesh controller writes it, and the container runtime may refuse it; expected a comma-separated list of volumeName:mountPath, such as my-volume:/etc/volume"], result.Warnings);
        Assert.Equal("""[{"name":"data","mountPath":"var/data","readOnly":true}]""", TestPods.Container(result, "envoy")["volumeMounts"]!.ToJsonString());
    }

    [Fact]
    public void Two_mounts_on_one_path_are_denied()
    {
        var pod = TestPods.Web(("appmesh.k8s.aws/secretMounts", "tls:/etc/certs"), ("appmesh.k8s.aws/volumeMounts", "data:/etc/certs"));
        pod["spec"]!["volumes"] = new JsonArray(new JsonObject { ["name"] = "data", ["emptyDir"] = new JsonObject() });

        var result = TestPods.Inject(pod);

        Assert.Equal(InjectionOutcome.Denied, result.Outcome);
        Assert.Equal("annotation appmesh.k8s.aws/volumeMounts: the mount path \"/etc/certs\" is used more than once", result.Message);
    }

    [Fact]
    public void Secret_and_volume_mounts_become_read_only_mounts_in_envoy_and_a_secret_volume()
    {
        var pod = TestPods.Web(("appmesh.k8s.aws/secretMounts", " tls : /etc/tls "), ("appmesh.k8s.aws/volumeMounts", "data:/var/data"));
        pod["spec"]!["volumes"] = new JsonArray(new JsonObject { ["name"] = "data", ["emptyDir"] = new JsonObject() });

        var result = TestPods.Inject(pod);

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Equal(
            """[{"name":"tls","mountPath":"/etc/tls","readOnly":true},{"name":"data","mountPath":"/var/data","readOnly":true}]""",
            TestPods.Container(result, "envoy")["volumeMounts"]!.ToJsonString());
        Assert.Equal(
            """[{"name":"data","emptyDir":{}},{"name":"tls","secret":{"secretName":"tls"}}]""",
            result.Pod!["spec"]!["volumes"]!.ToJsonString());
    }

    [Fact]
    public void SidecarEnv_adds_variables_after_the_injectors_own()
    {
        var result = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/sidecarEnv", "ENVOY_STATS_FLUSH_INTERVAL=10s, URL=http://x/?a=b,EMPTY=")));

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Empty(result.Warnings);
        Assert.Equal([.. TestPods.DefaultEnvoyEnv(), "ENVOY_STATS_FLUSH_INTERVAL=10s", "URL=http://x/?a=b", "EMPTY="], TestPods.Env(result, "envoy"));
    }

    [Fact]
    public void SidecarEnv_cannot_override_an_injector_key_and_says_so()
    {
        var result = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/sidecarEnv", "AWS_REGION=eu-west-1,FOO=bar")));

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Equal(["annotation appmesh.k8s.aws/sidecarEnv: AWS_REGION is set by the injector and cannot be overridden; ignored"], result.Warnings);
        Assert.Equal([.. TestPods.DefaultEnvoyEnv(), "FOO=bar"], TestPods.Env(result, "envoy"));
    }

    // The warning names the annotation the variable came from: sidecarEnvJson, or the namespace's.
    [Fact]
    public void An_injector_key_from_sidecarEnvJson_or_the_namespace_is_named_where_it_came_from()
    {
        var fromJson = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/sidecarEnvJson", """{"AWS_REGION":"eu-west-1","FOO":"bar"}""")));
        var fromNamespace = TestPods.Inject(TestPods.Web(), context: new PodContext(TestPods.Namespace,
            NamespaceAnnotations: new Dictionary<string, string> { ["appmesh.k8s.aws/sidecarEnv"] = "ENVOY_LOG_LEVEL=trace" }));

        Assert.Equal(["annotation appmesh.k8s.aws/sidecarEnvJson: AWS_REGION is set by the injector and cannot be overridden; ignored"], fromJson.Warnings);
        Assert.Equal([.. TestPods.DefaultEnvoyEnv(), "FOO=bar"], TestPods.Env(fromJson, "envoy"));
        Assert.Equal(["namespace annotation appmesh.k8s.aws/sidecarEnv: ENVOY_LOG_LEVEL is set by the injector and cannot be overridden; ignored"], fromNamespace.Warnings);
        Assert.Equal(TestPods.DefaultEnvoyEnv(), TestPods.Env(fromNamespace, "envoy"));
    }

    [Fact]
    public void SidecarEnv_with_a_duplicate_key_keeps_the_last_value_with_a_warning()
    {
        // envoy.go getCustomEnv fills a map: a later KEY=value replaces an earlier one.
        var result = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/sidecarEnv", "FOO=one,FOO=two")));

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Equal(["annotation appmesh.k8s.aws/sidecarEnv: FOO is set more than once; the last value is used, as the App Mesh controller uses it"], result.Warnings);
        Assert.Equal([.. TestPods.DefaultEnvoyEnv(), "FOO=two"], TestPods.Env(result, "envoy"));
    }

    [Fact]
    public void A_sidecarEnv_value_with_a_control_character_is_left_out_with_a_warning()
    {
        var result = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/sidecarEnv", "FOO=a\u0007b,BAR=ok")));

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Equal(["annotation appmesh.k8s.aws/sidecarEnv: the value of FOO contains a control character; FOO is not set"], result.Warnings);
        Assert.Equal([.. TestPods.DefaultEnvoyEnv(), "BAR=ok"], TestPods.Env(result, "envoy"));
    }

    [Fact]
    public void SidecarImage_and_SidecarLogLevel_replace_the_flag_values_for_this_pod()
    {
        var result = TestPods.Inject(TestPods.Web(
            ("appmesh.k8s.aws/sidecarImage", "registry.example.com:5000/envoy:v1.30.0"), ("appmesh.k8s.aws/sidecarLogLevel", "DEBUG")));

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Equal("registry.example.com:5000/envoy:v1.30.0", JsonNodes.Str(TestPods.Container(result, "envoy")["image"]));
        Assert.Equal(TestPods.DefaultEnvoyEnv(logLevel: "debug"), TestPods.Env(result, "envoy"));
    }

    /// <summary>Envoy reads "warn" as "warning"; the controller passes either on, so neither is refused.</summary>
    [Theory]
    [InlineData("warn")]
    [InlineData("Warning")]
    public void SidecarLogLevel_takes_both_of_Envoys_names_for_warnings(string level)
    {
        var result = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/sidecarLogLevel", level)));

        Assert.Equal((InjectionOutcome.Injected, 0), (result.Outcome, result.Warnings.Count));
        Assert.Equal(TestPods.DefaultEnvoyEnv(logLevel: level.ToLowerInvariant()), TestPods.Env(result, "envoy"));
    }

    [Fact]
    public void Ports_and_egress_annotations_are_normalised_into_proxyinit()
    {
        var result = TestPods.Inject(TestPods.Web(
            ("appmesh.k8s.aws/ports", "80, 443"), ("appmesh.k8s.aws/egressIgnoredPorts", "22,3306"),
            ("appmesh.k8s.aws/egressIgnoredIPs", "10.0.0.0/8, fd00::/8"), ("appmesh.k8s.aws/ipv6", "disabled")));

        Assert.Equal(
            [
                "APPMESH_START_ENABLED=1", "APPMESH_IGNORE_UID=1337", "APPMESH_ENVOY_INGRESS_PORT=15000", "APPMESH_ENVOY_EGRESS_PORT=15001",
                "APPMESH_APP_PORTS=80,443", "APPMESH_EGRESS_IGNORED_IP=10.0.0.0/8,fd00::/8", "APPMESH_EGRESS_IGNORED_PORTS=22,3306",
                "APPMESH_ENABLE_IPV6=0",
            ],
            TestPods.Env(result, "proxyinit"));
    }

    [Fact]
    public void Several_malformed_annotations_are_reported_together_the_admitted_ones_as_warnings()
    {
        var result = TestPods.Inject(TestPods.Web(
            ("appmesh.k8s.aws/sidecarInjectorWebhook", "on"),
            ("appmesh.k8s.aws/ports", "http"),
            ("appmesh.k8s.aws/cpuLimit", "lots"),
            ("appmesh.k8s.aws/secretMounts", "tls"),
            ("appmesh.k8s.aws/sidecarLogLevel", "verbose")));

        Assert.Equal(InjectionOutcome.Denied, result.Outcome);
        Assert.Equal(Reasons.InvalidAnnotation, result.Reason);
        Assert.Equal(
            "annotation appmesh.k8s.aws/cpuLimit: \"lots\" is not valid; expected a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi; " +
            "annotation appmesh.k8s.aws/secretMounts: \"tls\" is not valid; expected a comma-separated list of secretName:mountPath, such as my-secret:/etc/secret",
            result.Message);
        Assert.Equal(
            [
                "annotation appmesh.k8s.aws/sidecarInjectorWebhook: \"on\" is not valid; expected 'enabled' or 'disabled'; treated as unset, as the App Mesh controller treats it: --inject-default=true applies",
                $"annotation appmesh.k8s.aws/ports: \"http\" is not valid; {PortsFormat}; {PassedAsGiven}",
                "annotation appmesh.k8s.aws/sidecarLogLevel: \"verbose\" is not valid; expected one of trace, debug, info, warning, warn, error, critical, off; ignored: --envoy-log-level applies",
            ],
            result.Warnings);
    }

    [Fact]
    public void A_missing_volume_and_a_request_above_the_flag_limit_are_reported_together()
    {
        var settings = TestPods.Settings with { SidecarMemoryLimits = "64Mi" };

        var result = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/memoryRequest", "128Mi"), ("appmesh.k8s.aws/volumeMounts", "certs:/etc/certs")), settings);

        Assert.Equal(InjectionOutcome.Denied, result.Outcome);
        Assert.Equal(
            "annotation appmesh.k8s.aws/memoryRequest \"128Mi\" is above --sidecar-memory-limits \"64Mi\"; a request must not exceed its limit; " +
            "annotation appmesh.k8s.aws/volumeMounts: the pod has no volume named \"certs\"",
            result.Message);
    }

    [Fact]
    public void Namespace_annotations_are_defaults_that_pod_annotations_override()
    {
        var namespaceAnnotations = new Dictionary<string, string>
        {
            ["appmesh.k8s.aws/mesh"] = "team-mesh",
            ["appmesh.k8s.aws/sidecarLogLevel"] = "debug",
            ["appmesh.k8s.aws/preview"] = "enabled",
        };
        var pod = TestPods.Web(("appmesh.k8s.aws/sidecarLogLevel", "error"));

        var result = TestPods.Inject(pod, context: new PodContext(TestPods.Namespace, NamespaceAnnotations: namespaceAnnotations));

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Equal("team-mesh", result.Mesh);
        Assert.Equal(TestPods.DefaultEnvoyEnv(logLevel: "error", preview: "1", mesh: "team-mesh"), TestPods.Env(result, "envoy"));
    }

    [Theory]
    [InlineData("appmesh.k8s.aws/sidecarEnv")]
    [InlineData("appmesh.k8s.aws/secretMounts")]
    [InlineData("appmesh.k8s.aws/volumeMounts")]
    public void An_empty_list_annotation_adds_nothing_like_an_empty_ports_list(string key)
    {
        var plain = TestPods.Inject(TestPods.Web());
        var empty = TestPods.Inject(TestPods.Web((key, " ")));

        Assert.Equal(InjectionOutcome.Injected, empty.Outcome);
        Assert.Equal(plain.Pod!["spec"]!.ToJsonString(), empty.Pod!["spec"]!.ToJsonString());
        Assert.Empty(empty.Warnings);
    }

    [Fact]
    public void A_namespace_virtual_node_annotation_is_ignored_so_workloads_keep_their_own_identity()
    {
        var namespaceAnnotations = new Dictionary<string, string> { ["appmesh.k8s.aws/virtualNode"] = "everyone" };

        var result = TestPods.Inject(TestPods.Web(), context: new PodContext(TestPods.Namespace, NamespaceAnnotations: namespaceAnnotations));

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Equal($"web-{TestPods.Namespace}", result.VirtualNode);
    }

    [Fact]
    public void A_namespace_annotation_can_switch_injection_off_for_the_namespace_and_a_pod_can_switch_it_back_on()
    {
        var namespaceAnnotations = new Dictionary<string, string> { ["appmesh.k8s.aws/sidecarInjectorWebhook"] = "disabled" };
        var context = new PodContext(TestPods.Namespace, NamespaceAnnotations: namespaceAnnotations);

        var plain = TestPods.Inject(TestPods.Web(), context: context);
        var optedIn = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/sidecarInjectorWebhook", "enabled")), context: context);

        Assert.Equal(InjectionOutcome.Skipped, plain.Outcome);
        Assert.Equal(Reasons.DisabledByAnnotation, plain.Reason);
        Assert.Equal(InjectionOutcome.Injected, optedIn.Outcome);
    }

    [Fact]
    public void A_malformed_namespace_annotation_says_namespace_annotation()
    {
        var namespaceAnnotations = new Dictionary<string, string>
        {
            ["appmesh.k8s.aws/egressIgnoredPorts"] = "ssh",
            ["appmesh.k8s.aws/ports"] = "http",
            ["appmesh.k8s.aws/memoryLimit"] = "lots",
        };
        // The pod's own valid ports annotation hides the namespace's malformed one.
        var pod = TestPods.Web(("appmesh.k8s.aws/ports", "8080"));

        var result = TestPods.Inject(pod, context: new PodContext(TestPods.Namespace, NamespaceAnnotations: namespaceAnnotations));

        Assert.Equal(InjectionOutcome.Denied, result.Outcome);
        Assert.Equal("namespace annotation appmesh.k8s.aws/memoryLimit: \"lots\" is not valid; expected a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi", result.Message);
        Assert.Equal([$"namespace annotation appmesh.k8s.aws/egressIgnoredPorts: \"ssh\" is not valid; {PortsFormat}; {PassedAsGiven}"], result.Warnings);
    }

    [Fact]
    public void Other_namespace_annotations_are_not_read_and_draw_no_warning()
    {
        var namespaceAnnotations = new Dictionary<string, string>
        {
            ["appmesh.k8s.aws/cpuRequests"] = "1",
            ["scheduler.alpha.kubernetes.io/node-selector"] = "pool=a",
        };

        var result = TestPods.Inject(TestPods.Web(), context: new PodContext(TestPods.Namespace, NamespaceAnnotations: namespaceAnnotations));

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Empty(result.Warnings);
    }

    [Theory]
    [InlineData("appmesh.k8s.aws/cpuRequests", "unknown annotation appmesh.k8s.aws/cpuRequests is ignored; did you mean appmesh.k8s.aws/cpuRequest?")]
    [InlineData("appmesh.k8s.aws/sidecarInjectorWebHook", "unknown annotation appmesh.k8s.aws/sidecarInjectorWebHook is ignored; did you mean appmesh.k8s.aws/sidecarInjectorWebhook?")]
    [InlineData("appmesh.k8s.aws/virtualnode", "unknown annotation appmesh.k8s.aws/virtualnode is ignored; did you mean appmesh.k8s.aws/virtualNode?")]
    [InlineData("appmesh.k8s.aws/owner-team", "unknown annotation appmesh.k8s.aws/owner-team is ignored")]
    public void An_unknown_appmesh_annotation_is_admitted_with_a_warning(string key, string expectedWarning)
    {
        var result = TestPods.Inject(TestPods.Web((key, "x")));

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Equal([expectedWarning], result.Warnings);
    }

    [Fact]
    public void Annotations_outside_the_appmesh_prefix_draw_no_warning()
    {
        var result = TestPods.Inject(TestPods.Web(
            ("prometheus.io/scrape", "true"), ("kubectl.kubernetes.io/restartedAt", "2024-01-01T00:00:00Z"), ("appmesh.k8s.aws.example/x", "y")));

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void Annotations_the_injector_writes_itself_draw_no_warning()
    {
        var result = TestPods.Inject(TestPods.Web(
            ("appmesh.k8s.aws/proxyEgressPort", "15001"), ("appmesh.k8s.aws/proxyIngressPort", "15000"), ("appmesh.k8s.aws/ignoredUID", "1337")));

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Empty(result.Warnings);
    }
}
