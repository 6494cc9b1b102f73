using System.Text.Json.Nodes;
using Injector.Core;
using Injector.Core.Injection;
using Injector.Core.Json;
using Injector.Core.Settings;

namespace Injector.Tests.Unit;

/// <summary>Issue 11: what the App Mesh controller's injector does, as its source says
/// (aws/aws-app-mesh-controller-for-k8s, pkg/inject; each test names the file), done the same here.</summary>
public class ControllerCompatibilityTests
{
    private static InjectorSettings XRay => TestPods.Settings with { EnableXrayTracing = true };

    private static JsonObject WithContainer(JsonObject pod, string list, JsonObject container)
    {
        var spec = pod["spec"]!.AsObject();
        if (spec[list] is JsonArray existing) existing.Add(container);
        else spec[list] = new JsonArray(container);
        return pod;
    }

    private static JsonObject WithVolume(JsonObject pod, JsonObject volume)
    {
        var spec = pod["spec"]!.AsObject();
        if (spec["volumes"] is JsonArray existing) existing.Add(volume);
        else spec["volumes"] = new JsonArray(volume);
        return pod;
    }

    private static JsonNode? EnvEntry(InjectionResult result, string container, string name) =>
        TestPods.Container(result, container)["env"]!.AsArray().SingleOrDefault(e => JsonNodes.Str(e!["name"]) == name);

    // ---- item 1: no container name twice ---------------------------------------------------------

    // xray.go mutate: containsXRAYDaemonContainer → no-op; xray_test.go "no-op when already contains xray daemon container".
    [Theory]
    [InlineData("containers")]
    [InlineData("initContainers")]
    public void A_pod_that_runs_its_own_xray_daemon_keeps_it_and_gets_no_second_one(string list)
    {
        var pod = WithContainer(TestPods.Web(), list, new JsonObject { ["name"] = "xray-daemon", ["image"] = "amazon/aws-xray-daemon:3.3" });

        var result = TestPods.Inject(pod, XRay);

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        var spec = result.Pod!["spec"]!;
        var daemons = (spec["containers"]!.AsArray()).Concat(spec["initContainers"]!.AsArray()).Where(c => JsonNodes.Str(c!["name"]) == "xray-daemon").ToList();
        Assert.Equal("amazon/aws-xray-daemon:3.3", JsonNodes.Str(Assert.Single(daemons)!["image"]));
        Assert.Equal(["the pod already has a container named xray-daemon; the X-Ray daemon is not added again (Envoy still reports to port 2000)"], result.Warnings);
        Assert.Equal("1", JsonNodes.Str(EnvEntry(result, "envoy", "ENABLE_ENVOY_XRAY_TRACING")!["value"]));
        // The status names only what was added: the user's own daemon is not taken away by uninject.
        var status = JsonNode.Parse(JsonNodes.Str(result.Pod["metadata"]!["annotations"]!["appmesh.k8s.aws/sidecarInjectorStatus"])!)!;
        Assert.Equal("""{"containers":["envoy"],"initContainers":["proxyinit"],"volumes":[]}""",
            new JsonObject { ["containers"] = status["containers"]!.DeepClone(), ["initContainers"] = status["initContainers"]!.DeepClone(), ["volumes"] = status["volumes"]!.DeepClone() }.ToJsonString());
        Assert.Equal(PodInjector.Version, JsonNodes.Str(status["version"]));
    }

    // ---- item 2: node-local agents ---------------------------------------------------------------

    // sidecar_builder.go getEnvoyEnv: "ref:status.hostIP" as STATSD_ADDRESS or DATADOG_TRACER_ADDRESS becomes
    // refHostIP (valueFrom.fieldRef status.hostIP). Jaeger's address gets the same: a literal would not resolve.
    [Theory]
    [InlineData("datadog", "DATADOG_TRACER_ADDRESS")]
    [InlineData("statsd", "STATSD_ADDRESS")]
    [InlineData("jaeger", "JAEGER_TRACER_ADDRESS")]
    public void An_agent_address_of_ref_status_hostIP_is_the_nodes_IP(string agent, string variable)
    {
        var settings = agent switch
        {
            "datadog" => TestPods.Settings with { EnableDatadogTracing = true, DatadogAddress = "ref:status.hostIP" },
            "statsd" => TestPods.Settings with { EnableStatsD = true, StatsDAddress = "ref:status.hostIP" },
            _ => TestPods.Settings with { EnableJaegerTracing = true, JaegerAddress = "ref:status.hostIP" },
        };

        var result = TestPods.Inject(TestPods.Web(), settings);

        Assert.Equal("""{"name":"VAR","valueFrom":{"fieldRef":{"fieldPath":"status.hostIP"}}}""".Replace("VAR", variable), EnvEntry(result, "envoy", variable)!.ToJsonString());
    }

    // ---- item 3: sidecarEnvJson and xrayAgentConfigMount -------------------------------------------

    [Fact]
    public void SidecarEnvJson_adds_variables_whose_values_hold_commas_and_equals_signs()
    {
        var result = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/sidecarEnvJson", """{"DD_TAGS":"team:a,tier:1","QUERY":"a=b&c=d"}""")));

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Empty(result.Warnings);
        Assert.Equal([.. TestPods.DefaultEnvoyEnv(), "DD_TAGS=team:a,tier:1", "QUERY=a=b&c=d"], TestPods.Env(result, "envoy"));
    }

    // Invalid JSON, nested values and empty values are refused by the controller; the API server refuses bad names.
    [Theory]
    [InlineData("DD_ENV=prod")]
    [InlineData("""{"DD_ENV":"prod",}""")]
    [InlineData("""{"DD":{"ENV":"prod"}}""")]
    [InlineData("""{"DD_ENV":["a","b"]}""")]
    [InlineData("""{"PORT":8080}""")]
    [InlineData("""{"DD_ENV":""}""")]
    [InlineData("""{"1BAD":"x"}""")]
    [InlineData("""["DD_ENV"]""")]
    [InlineData("")]
    public void Malformed_sidecarEnvJson_is_denied(string value)
    {
        var result = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/sidecarEnvJson", value)));

        Assert.Equal(InjectionOutcome.Denied, result.Outcome);
        Assert.Equal(
            $"annotation appmesh.k8s.aws/sidecarEnvJson: {PodOverrides.Quote(value)} is not valid; expected a JSON object of variable names to non-empty strings, such as {{\"DD_ENV\":\"prod\",\"TAGS\":\"a,b\"}}",
            result.Message);
    }

    // xray_test.go "xray daemon config volume mount annotation": command /xray --config /tmp/xray-daemon.yaml, a
    // read-only mount, and no --log-level/--role-arn arguments (xray.go: the file overrides them).
    [Fact]
    public void XrayAgentConfigMount_makes_the_daemon_read_its_config_from_the_volume()
    {
        var pod = WithVolume(TestPods.Web(("appmesh.k8s.aws/xrayAgentConfigMount", "xray-daemon-config:/tmp/")),
            new JsonObject { ["name"] = "xray-daemon-config", ["configMap"] = new JsonObject { ["name"] = "xray" } });

        var result = TestPods.Inject(pod, XRay with { XrayLogLevel = "debug", XrayConfigRoleArn = "arn:aws:iam::123456789012:role/xray-cross-account" });

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Equal(
            """{"name":"xray-daemon","image":"public.ecr.aws/xray/aws-xray-daemon","command":["/xray","--config","/tmp/xray-daemon.yaml"],"ports":[{"name":"xray","containerPort":2000,"protocol":"UDP"}],"env":[{"name":"AWS_REGION","value":"us-west-2"}],"resources":{"requests":{"cpu":"10m","memory":"32Mi"}},"securityContext":{"runAsUser":1337},"volumeMounts":[{"name":"xray-daemon-config","mountPath":"/tmp/","readOnly":true}]}""",
            TestPods.Container(result, "xray-daemon").ToJsonString());
    }

    // xray.go buildXrayDaemonArgs: --log-level (the flag's default is prod) and --role-arn when set.
    [Fact]
    public void The_xray_daemon_gets_the_log_level_and_role_as_arguments()
    {
        var plain = TestPods.Inject(TestPods.Web(), XRay);
        var withRole = TestPods.Inject(TestPods.Web(), XRay with { XrayLogLevel = "dev", XrayConfigRoleArn = "arn:aws:iam::123456789012:role/xray-cross-account" });

        Assert.Equal("""["--log-level","prod"]""", TestPods.Container(plain, "xray-daemon")["args"]!.ToJsonString());
        Assert.Equal("""["--log-level","dev","--role-arn","arn:aws:iam::123456789012:role/xray-cross-account"]""", TestPods.Container(withRole, "xray-daemon")["args"]!.ToJsonString());
    }

    // xray.go getXrayDaemonConfigMount: a comma, or anything but one ':', fails the admission (xray_test.go cases
    // "more than 1 volume mount annotation" and "malformed annotation"); the API server refuses a missing volume.
    [Theory]
    [InlineData("xray-daemon-config1:/tmp/,xray-daemon-config2:/tmp/,",
        "annotation appmesh.k8s.aws/xrayAgentConfigMount: \"xray-daemon-config1:/tmp/,xray-daemon-config2:/tmp/,\" is not valid; expected one volumeName:mountPath, such as xray-config:/etc/xray")]
    [InlineData("xray-daemon-config1-/tmp/",
        "annotation appmesh.k8s.aws/xrayAgentConfigMount: \"xray-daemon-config1-/tmp/\" is not valid; expected one volumeName:mountPath, such as xray-config:/etc/xray")]
    [InlineData("missing:/etc/xray", "annotation appmesh.k8s.aws/xrayAgentConfigMount: the pod has no volume named \"missing\"")]
    public void A_malformed_xrayAgentConfigMount_is_denied_when_the_daemon_is_added(string value, string message)
    {
        var result = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/xrayAgentConfigMount", value)), XRay);

        Assert.Equal(InjectionOutcome.Denied, result.Outcome);
        Assert.Equal(Reasons.InvalidAnnotation, result.Reason);
        Assert.Equal(message, result.Message);
    }

    // xray.go: the mutator does nothing without X-Ray, so the controller never reads the annotation then.
    [Fact]
    public void XrayAgentConfigMount_without_X_Ray_is_ignored_with_a_warning()
    {
        var result = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/xrayAgentConfigMount", "not:valid:at,all")));

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Equal(["annotation appmesh.k8s.aws/xrayAgentConfigMount is ignored: X-Ray tracing is off (--enable-xray-tracing)"], result.Warnings);
    }

    // sidecar_builder.go updateEnvMapForEnvoy: with X-Ray on, a pod's XRAY_SAMPLING_RATE wins over the flag, must be
    // a number from 0 to 1 (else the admission fails) and is rounded to two decimals.
    [Fact]
    public void A_pods_XRAY_SAMPLING_RATE_wins_over_the_flag_rounded_as_the_controller_rounds_it()
    {
        var result = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/sidecarEnv", "XRAY_SAMPLING_RATE=0.126")), XRay);
        var denied = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/sidecarEnv", "XRAY_SAMPLING_RATE=2")), XRay);
        var withoutXray = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/sidecarEnv", "XRAY_SAMPLING_RATE=2")));

        Assert.Empty(result.Warnings);
        Assert.Single(TestPods.Env(result, "envoy"), line => line.StartsWith("XRAY_SAMPLING_RATE=", StringComparison.Ordinal));
        Assert.Contains("XRAY_SAMPLING_RATE=0.13", TestPods.Env(result, "envoy"));
        Assert.Equal("annotation appmesh.k8s.aws/sidecarEnv: XRAY_SAMPLING_RATE \"2\" is not a number from 0 to 1", denied.Message);
        Assert.Equal([.. TestPods.DefaultEnvoyEnv(), "XRAY_SAMPLING_RATE=2"], TestPods.Env(withoutXray, "envoy"));
    }

    // The denial names the annotation the rate came from: sidecarEnv, sidecarEnvJson (which wins where both set it),
    // or the namespace's annotation.
    [Theory]
    [InlineData("appmesh.k8s.aws/sidecarEnv", "XRAY_SAMPLING_RATE=2", null,
        "annotation appmesh.k8s.aws/sidecarEnv: XRAY_SAMPLING_RATE \"2\" is not a number from 0 to 1")]
    [InlineData("appmesh.k8s.aws/sidecarEnvJson", """{"XRAY_SAMPLING_RATE":"1.5"}""", null,
        "annotation appmesh.k8s.aws/sidecarEnvJson: XRAY_SAMPLING_RATE \"1.5\" is not a number from 0 to 1")]
    [InlineData("appmesh.k8s.aws/sidecarEnvJson", """{"XRAY_SAMPLING_RATE":"half"}""", "XRAY_SAMPLING_RATE=0.5",
        "annotation appmesh.k8s.aws/sidecarEnvJson: XRAY_SAMPLING_RATE \"half\" is not a number from 0 to 1")]
    [InlineData("appmesh.k8s.aws/sidecarEnv", "XRAY_SAMPLING_RATE=a\"b", null,
        "annotation appmesh.k8s.aws/sidecarEnv: XRAY_SAMPLING_RATE \"a\\\"b\" is not a number from 0 to 1")]
    public void An_invalid_XRAY_SAMPLING_RATE_is_denied_naming_the_annotation_it_came_from(string key, string value, string? sidecarEnv, string message)
    {
        var pod = sidecarEnv is null ? TestPods.Web((key, value)) : TestPods.Web(("appmesh.k8s.aws/sidecarEnv", sidecarEnv), (key, value));

        var result = TestPods.Inject(pod, XRay);

        Assert.Equal((InjectionOutcome.Denied, Reasons.InvalidAnnotation, message), (result.Outcome, result.Reason, result.Message));
    }

    [Fact]
    public void An_invalid_XRAY_SAMPLING_RATE_of_the_namespace_is_denied_naming_the_namespace_annotation()
    {
        var context = new PodContext("shop", NamespaceAnnotations: new Dictionary<string, string> { ["appmesh.k8s.aws/sidecarEnvJson"] = """{"XRAY_SAMPLING_RATE":"-1"}""" });

        var result = TestPods.Inject(TestPods.Web(), XRay, context);

        Assert.Equal((InjectionOutcome.Denied, "namespace annotation appmesh.k8s.aws/sidecarEnvJson: XRAY_SAMPLING_RATE \"-1\" is not a number from 0 to 1"), (result.Outcome, result.Message));
    }

    // sidecarEnvJson's rate wins over sidecarEnv's (a later value wins), and is the one written in the tracer's place.
    [Fact]
    public void The_XRAY_SAMPLING_RATE_of_sidecarEnvJson_wins_over_sidecarEnv_and_is_written_once()
    {
        var pod = TestPods.Web(("appmesh.k8s.aws/sidecarEnv", "XRAY_SAMPLING_RATE=0.5"), ("appmesh.k8s.aws/sidecarEnvJson", """{"XRAY_SAMPLING_RATE":"0.25"}"""));

        var result = TestPods.Inject(pod, XRay);

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Equal(["annotation appmesh.k8s.aws/sidecarEnvJson: XRAY_SAMPLING_RATE is set more than once; the last value is used, as the App Mesh controller uses it"], result.Warnings);
        Assert.Equal(["XRAY_SAMPLING_RATE=0.25"], TestPods.Env(result, "envoy").Where(line => line.StartsWith("XRAY_SAMPLING_RATE=", StringComparison.Ordinal)));
    }

    // ---- item 4: the namespace label is the namespace's default ------------------------------------

    // inject.go determineSidecarInjectMode: the namespace's label, overridden by the pod's annotation; enabled and
    // disabled in any case; any other value is "unspecified" (here: --inject-default decides, with a warning).
    [Theory]
    [InlineData("enabled", null, true, "injected", "injected")]
    [InlineData("enabled", "disabled", true, "skipped", "disabled-by-annotation")]
    [InlineData("disabled", null, true, "skipped", "disabled-by-annotation")]
    [InlineData("disabled", "enabled", true, "injected", "injected")]
    [InlineData("Disabled", "Enabled", false, "injected", "injected")]
    [InlineData("enabled", null, false, "injected", "injected")]
    [InlineData(null, null, false, "skipped", "inject-default-off")]
    [InlineData(null, null, true, "injected", "injected")]
    [InlineData("disabled", "true", true, "injected", "injected")]
    [InlineData("enabled", "true", false, "skipped", "inject-default-off")]
    public void The_namespace_label_is_the_default_and_the_pod_annotation_overrides_it(string? label, string? annotation, bool injectDefault, string outcome, string reason)
    {
        var pod = annotation is null ? TestPods.Web() : TestPods.Web(("appmesh.k8s.aws/sidecarInjectorWebhook", annotation));
        var context = new PodContext(TestPods.Namespace)
        {
            NamespaceLabels = label is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["appmesh.k8s.aws/sidecarInjectorWebhook"] = label },
        };

        var result = TestPods.Inject(pod, TestPods.Settings with { InjectDefault = injectDefault }, context);

        Assert.Equal((outcome, reason), (result.Outcome.ToString().ToLowerInvariant(), result.Reason));
    }

    // The label wins over a namespace annotation of the same key; the namespace annotation applies only without a label.
    [Theory]
    [InlineData("enabled", "disabled", "injected", "injected")]
    [InlineData("disabled", "enabled", "skipped", "disabled-by-annotation")]
    [InlineData(null, "disabled", "skipped", "disabled-by-annotation")]
    public void The_namespace_label_wins_over_the_namespace_annotation(string? label, string namespaceAnnotation, string outcome, string reason)
    {
        var context = new PodContext(TestPods.Namespace, NamespaceAnnotations: new Dictionary<string, string> { ["appmesh.k8s.aws/sidecarInjectorWebhook"] = namespaceAnnotation })
        {
            NamespaceLabels = label is null ? PodContext.NoLabels : new Dictionary<string, string> { ["appmesh.k8s.aws/sidecarInjectorWebhook"] = label },
        };

        var result = TestPods.Inject(TestPods.Web(), TestPods.Settings, context);

        Assert.Equal((outcome, reason), (result.Outcome.ToString().ToLowerInvariant(), result.Reason));
    }

    [Fact]
    public void A_pod_skipped_by_its_namespaces_label_says_so()
    {
        var context = new PodContext(TestPods.Namespace) { NamespaceLabels = new Dictionary<string, string> { ["appmesh.k8s.aws/sidecarInjectorWebhook"] = "disabled" } };

        var result = TestPods.Inject(TestPods.Web(), context: context);

        Assert.Equal("namespace label appmesh.k8s.aws/sidecarInjectorWebhook is disabled and the pod is not annotated enabled", result.Message);
        Assert.Empty(result.Warnings);
    }

    // ---- item 5: Envoy's environment and the controller's flags ------------------------------------

    // sidecar_builder.go updateEnvMapForEnvoy and getEnvoyEnv: the variables the controller sets, in our documented order.
    [Fact]
    public void Envoy_gets_the_controllers_platform_and_endpoint_variables()
    {
        var context = new PodContext(TestPods.Namespace) { KubernetesVersion = "v1.31.2-eks-7f9249a" };
        var result = TestPods.Inject(TestPods.Web(), TestPods.Settings with { DualStackEndpoint = true, FipsEndpoint = true, EnvoyAdminAccessEnableIpv6 = true }, context);

        Assert.Equal(
            [
                "APPMESH_VIRTUAL_NODE_NAME=mesh/demo/virtualNode/web-shop", "APPMESH_RESOURCE_ARN=mesh/demo/virtualNode/web-shop", "AWS_REGION=us-west-2",
                "ENVOY_LOG_LEVEL=info", "APPMESH_PREVIEW=0", "ENVOY_ADMIN_ACCESS_PORT=9901", "ENVOY_ADMIN_ACCESS_LOG_FILE=/tmp/envoy_admin_access.log",
                "APPMESH_PLATFORM_K8S_POD_UID=fieldRef:metadata.uid", "APPMESH_PLATFORM_K8S_VERSION=v1.31.2-eks-7f9249a",
                $"APPMESH_PLATFORM_APP_MESH_CONTROLLER_VERSION={PodInjector.Version}", "APPMESH_DUALSTACK_ENDPOINT=1", "APPMESH_FIPS_ENDPOINT=1",
                "ENVOY_ADMIN_ACCESS_ENABLE_IPV6=true", "APPNET_AGENT_ADMIN_MODE=uds", "APPNET_AGENT_ADMIN_UDS_PATH=/tmp/agent.sock",
            ],
            TestPods.Env(result, "envoy"));
        Assert.Equal("""{"name":"APPMESH_PLATFORM_K8S_POD_UID","valueFrom":{"fieldRef":{"fieldPath":"metadata.uid"}}}""", EnvEntry(result, "envoy", "APPMESH_PLATFORM_K8S_POD_UID")!.ToJsonString());
    }

    // sidecar_builder.go: ENVOY_ADMIN_ACCESS_LOG_FILE only when the flag is not empty.
    [Fact]
    public void An_empty_admin_access_log_file_leaves_its_variable_out()
    {
        var result = TestPods.Inject(TestPods.Web(), TestPods.Settings with { EnvoyAdminAccessLogFile = "" });

        Assert.DoesNotContain(TestPods.Env(result, "envoy"), line => line.StartsWith("ENVOY_ADMIN_ACCESS_LOG_FILE", StringComparison.Ordinal));
    }

    // envoy.go mutate: with waitUntilProxyReady Envoy is the first container; sidecar_builder.go: a postStart hook
    // runs the App Mesh agent's -envoyReadiness with the timeout and interval flags.
    [Fact]
    public void Wait_until_proxy_ready_puts_Envoy_first_with_a_postStart_hook()
    {
        var pod = WithContainer(TestPods.Web(), "containers", new JsonObject { ["name"] = "worker", ["image"] = "busybox" });

        var result = TestPods.Inject(pod, TestPods.Settings with { WaitUntilProxyReady = true, PostStartTimeout = 60, PostStartInterval = 2, EnableXrayTracing = true });

        Assert.Equal(["envoy", "app", "worker", "xray-daemon"], result.Pod!["spec"]!["containers"]!.AsArray().Select(c => JsonNodes.Str(c!["name"])));
        Assert.Equal(
            """{"postStart":{"exec":{"command":["sh","-c","if [ -x /usr/bin/agent ]; then APPNET_AGENT_POLL_ENVOY_READINESS_TIMEOUT_S=60 APPNET_AGENT_POLL_ENVOY_READINESS_INTERVAL_S=2 /usr/bin/agent -envoyReadiness; else echo \u0027wait-until-proxy-ready needs an Envoy image with the App Mesh agent (v1.22.2.1 or later)\u0027; fi"]}},"preStop":{"exec":{"command":["sh","-c","sleep 20"]}}}""",
            TestPods.Container(result, "envoy")["lifecycle"]!.ToJsonString());
        // The patch inserts at the front (add at /spec/containers/0), and still applies.
        Assert.Contains(result.Patch, op => op.Path == "/spec/containers/0" && op.Op == "add");
    }

    // readiness_probe flags (config.go --readiness-probe-initial-delay, --readiness-probe-period; sidecar_builder.go envoyReadinessProbe).
    [Fact]
    public void The_readiness_probe_follows_its_flags()
    {
        var result = TestPods.Inject(TestPods.Web(), TestPods.Settings with { ReadinessProbeInitialDelay = 5, ReadinessProbePeriod = 3 });

        Assert.Equal(
            """{"exec":{"command":["sh","-c","curl -s http://localhost:9901/server_info | grep state | grep -q LIVE"]},"initialDelaySeconds":5,"timeoutSeconds":1,"periodSeconds":3,"failureThreshold":3}""",
            TestPods.Container(result, "envoy")["readinessProbe"]!.ToJsonString());
    }

    // utils.go mutateSDSMounts: a hostPath Socket volume appmesh-sds-socket-volume at --sds-uds-path, mounted at
    // the same path; envoy gets APPMESH_SDS_SOCKET_PATH (sidecar_builder.go); annotation sds: disabled turns it off
    // for the pod (utils.go isSDSDisabled); a pod that already has the socket's hostPath volume gets no second one.
    [Fact]
    public void Sds_mounts_the_SPIRE_agents_socket_into_Envoy()
    {
        var settings = TestPods.Settings with { EnableSds = true };

        var result = TestPods.Inject(TestPods.Web(), settings);
        var off = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/sds", "disabled")), settings);
        var reused = TestPods.Inject(WithVolume(TestPods.Web(), new JsonObject
        {
            ["name"] = "spire-agent-socket",
            ["hostPath"] = new JsonObject { ["path"] = "/run/spire/sockets/agent.sock", ["type"] = "Socket" },
        }), settings);

        Assert.Equal("""[{"name":"appmesh-sds-socket-volume","hostPath":{"path":"/run/spire/sockets/agent.sock","type":"Socket"}}]""", result.Pod!["spec"]!["volumes"]!.ToJsonString());
        Assert.Equal("""[{"name":"appmesh-sds-socket-volume","mountPath":"/run/spire/sockets/agent.sock"}]""", TestPods.Container(result, "envoy")["volumeMounts"]!.ToJsonString());
        Assert.Contains("APPMESH_SDS_SOCKET_PATH=/run/spire/sockets/agent.sock", TestPods.Env(result, "envoy"));
        Assert.Null(off.Pod!["spec"]!["volumes"]);
        Assert.DoesNotContain(TestPods.Env(off, "envoy"), line => line.StartsWith("APPMESH_SDS", StringComparison.Ordinal));
        Assert.Single(reused.Pod!["spec"]!["volumes"]!.AsArray());
        Assert.Equal("""[{"name":"spire-agent-socket","mountPath":"/run/spire/sockets/agent.sock"}]""", TestPods.Container(reused, "envoy")["volumeMounts"]!.ToJsonString());
    }

    [Fact]
    public void Sds_with_another_volume_of_its_name_mounts_nothing_and_says_so()
    {
        var pod = WithVolume(TestPods.Web(), new JsonObject { ["name"] = "appmesh-sds-socket-volume", ["emptyDir"] = new JsonObject() });

        var result = TestPods.Inject(pod, TestPods.Settings with { EnableSds = true });

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Equal(["the pod has a volume named appmesh-sds-socket-volume that is not the SDS socket /run/spire/sockets/agent.sock; the socket is not mounted into Envoy"], result.Warnings);
        Assert.Null(TestPods.Container(result, "envoy")["volumeMounts"]);
        Assert.Single(result.Pod!["spec"]!["volumes"]!.AsArray());
    }

    // ---- item 7: after the App Mesh service --------------------------------------------------------

    [Fact]
    public void The_xds_endpoint_signing_name_and_resource_cluster_come_from_flags_and_annotations()
    {
        var settings = TestPods.Settings with { XdsEndpoint = "xds.mesh.svc:18000", SigningName = "appmesh", ResourceCluster = "web" };

        var fromFlags = TestPods.Inject(TestPods.Web(), settings);
        var fromPod = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/xdsEndpoint", "[fd00::1]:18000"), ("appmesh.k8s.aws/resourceCluster", "mesh/demo/virtualNode/web")), settings);
        var invalid = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/xdsEndpoint", "xds.mesh.svc")), settings);

        Assert.Equal([.. TestPods.DefaultEnvoyEnv(), "APPMESH_XDS_ENDPOINT=xds.mesh.svc:18000", "APPMESH_SIGNING_NAME=appmesh", "APPMESH_RESOURCE_CLUSTER=web"], TestPods.Env(fromFlags, "envoy"));
        Assert.Equal([.. TestPods.DefaultEnvoyEnv(), "APPMESH_XDS_ENDPOINT=[fd00::1]:18000", "APPMESH_SIGNING_NAME=appmesh", "APPMESH_RESOURCE_CLUSTER=mesh/demo/virtualNode/web"], TestPods.Env(fromPod, "envoy"));
        Assert.Equal(["annotation appmesh.k8s.aws/xdsEndpoint: \"xds.mesh.svc\" is not valid; expected host:port or unix:///absolute/path, such as xds.example.com:18000; ignored: --xds-endpoint applies"], invalid.Warnings);
        Assert.Contains("APPMESH_XDS_ENDPOINT=xds.mesh.svc:18000", TestPods.Env(invalid, "envoy"));
    }

    // Under the controller, which has no flag for them, a pod's sidecarEnv was the way to set these variables: a
    // pod that sets one keeps it when the cluster gets a flag for it, as it keeps its xdsEndpoint annotation.
    [Fact]
    public void A_pods_sidecarEnv_xds_variables_win_over_the_flags_as_under_the_controller()
    {
        var settings = TestPods.Settings with { XdsEndpoint = "xds.mesh.svc:18000", SigningName = "appmesh", ResourceCluster = "web" };

        var result = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/sidecarEnv", "APPMESH_XDS_ENDPOINT=unix:///var/run/xds/xds.sock,APPMESH_RESOURCE_CLUSTER=canary")), settings);
        var json = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/sidecarEnvJson", """{"APPMESH_SIGNING_NAME":"xds"}""")), settings);
        var both = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/xdsEndpoint", "xds.team.svc:18000"), ("appmesh.k8s.aws/sidecarEnv", "APPMESH_XDS_ENDPOINT=other.svc:18000")), settings);

        Assert.Empty(result.Warnings);
        Assert.Equal([.. TestPods.DefaultEnvoyEnv(), "APPMESH_SIGNING_NAME=appmesh", "APPMESH_XDS_ENDPOINT=unix:///var/run/xds/xds.sock", "APPMESH_RESOURCE_CLUSTER=canary"], TestPods.Env(result, "envoy"));
        Assert.Empty(json.Warnings);
        Assert.Equal([.. TestPods.DefaultEnvoyEnv(), "APPMESH_XDS_ENDPOINT=xds.mesh.svc:18000", "APPMESH_RESOURCE_CLUSTER=web", "APPMESH_SIGNING_NAME=xds"], TestPods.Env(json, "envoy"));
        // The annotation made for it wins over the pod's sidecarEnv.
        Assert.Equal(["annotation appmesh.k8s.aws/sidecarEnv: APPMESH_XDS_ENDPOINT is set by the injector and cannot be overridden; ignored"], both.Warnings);
        Assert.Equal([.. TestPods.DefaultEnvoyEnv(), "APPMESH_XDS_ENDPOINT=xds.team.svc:18000", "APPMESH_SIGNING_NAME=appmesh", "APPMESH_RESOURCE_CLUSTER=web"], TestPods.Env(both, "envoy"));
    }

    [Theory]
    [InlineData("xds.example.com:18000", true)]
    [InlineData("10.0.0.7:18000", true)]
    [InlineData("[fd00::1]:443", true)]
    [InlineData("unix:///var/run/xds.sock", true)]
    [InlineData("xds.example.com", false)]
    [InlineData("xds.example.com:0", false)]
    [InlineData("xds.example.com:70000", false)]
    [InlineData("http://xds.example.com:18000", false)]
    [InlineData("fd00::1:443", false)]
    [InlineData("unix://relative.sock", false)]
    [InlineData("xds.example.com:18000\n", false)]
    [InlineData("xds example.com:18000", false)]
    public void Xds_endpoints_are_host_and_port_or_a_unix_socket(string text, bool expected)
    {
        Assert.Equal(expected, Formats.IsXdsEndpoint(text));
    }

    // ---- issue 13 B.6: an app port that is one of Envoy's -----------------------------------------

    [Theory]
    [InlineData(9901, null, "app port 9901 (a containerPort of the app) is Envoy's admin port: Envoy and the app cannot both listen on it; --envoy-admin-port (the controller's --envoy-admin-access-port) moves Envoy's")]
    [InlineData(8080, "15000", "app port 15000 (annotation appmesh.k8s.aws/ports) is Envoy's ingress port: Envoy and the app cannot both listen on it; Envoy's is fixed: move the app's port")]
    [InlineData(8080, "15000:15001", "app port 15000 (annotation appmesh.k8s.aws/ports) is Envoy's ingress port: Envoy and the app cannot both listen on it; Envoy's is fixed: move the app's port")]
    public void An_app_port_that_is_one_of_Envoys_is_admitted_with_a_warning_naming_what_moves_it(int containerPort, string? ports, string warning)
    {
        var pod = ports is null ? TestPods.Web() : TestPods.Web(("appmesh.k8s.aws/ports", ports));
        pod["spec"]!["containers"]![0]!["ports"]![0]!["containerPort"] = containerPort;

        var result = TestPods.Inject(pod);

        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Contains(warning, result.Warnings);
    }

    [Theory]
    [InlineData("80,8080", "")]
    [InlineData("14999:15002", "15000,15001")]
    [InlineData("9901,15001", "9901,15001")]
    [InlineData("15001:15000", "")] // not a range iptables takes: written as given, no warning
    [InlineData("80, 15000", "15000")] // spaces: read by the general reader, the same way
    [InlineData("0x3A98", "15000")] // hexadecimal, as iptables reads it
    [InlineData("+15001", "15001")]
    [InlineData("015000", "")] // octal 015000 is 6656
    [InlineData("9901,,80", "9901")]
    public void Every_spelling_of_a_port_list_warns_about_exactly_the_ports_iptables_reads(string ports, string warned)
    {
        var result = TestPods.Inject(TestPods.Web(("appmesh.k8s.aws/ports", ports)));

        var ours = result.Warnings.Where(w => w.StartsWith("app port ", StringComparison.Ordinal)).Select(w => w.Split(' ')[2]);
        Assert.Equal(warned, string.Join(',', ours));
    }

    [Fact]
    public void An_admin_port_moved_by_the_flag_frees_9901_for_the_app()
    {
        var pod = TestPods.Web();
        pod["spec"]!["containers"]![0]!["ports"]![0]!["containerPort"] = 9901;

        var result = TestPods.Inject(pod, TestPods.Settings with { EnvoyAdminPort = 9902 });

        Assert.Empty(result.Warnings);
    }
    // inject.go injectAppMeshPatches: proxyinit's resources are the sidecar flags' (init_proxy.go mutate, from
    // --sidecar-cpu-requests … --sidecar-memory-limits), not the pod's annotations. With limits on Envoy, a pod in a
    // namespace whose ResourceQuota counts limits is refused unless proxyinit has limits too.
    [Fact]
    public void Proxyinit_gets_the_sidecar_resource_flags_unless_init_flags_are_given()
    {
        var errors = new List<string>();
        var settings = EngineOptions.Table.Parse(new Dictionary<string, string>
        {
            ["mesh-name"] = "demo",
            ["region"] = "us-west-2",
            ["sidecar-cpu-requests"] = "100m",
            ["sidecar-memory-requests"] = "64Mi",
            ["sidecar-cpu-limits"] = "200m",
            ["sidecar-memory-limits"] = "128Mi",
        }, errors);
        errors.AddRange(EngineOptions.Table.Validate(settings));
        var pod = TestPods.Web(("appmesh.k8s.aws/cpuRequest", "50m"), ("appmesh.k8s.aws/memoryLimit", "256Mi"));

        var result = TestPods.Inject(pod, settings);

        Assert.Empty(errors);
        Assert.Equal("""{"requests":{"cpu":"100m","memory":"64Mi"},"limits":{"cpu":"200m","memory":"128Mi"}}""", TestPods.Container(result, "proxyinit")["resources"]!.ToJsonString());
        // The annotations are Envoy's (utils.go getSidecarCPURequest …), not proxyinit's.
        Assert.Equal("""{"requests":{"cpu":"50m","memory":"64Mi"},"limits":{"cpu":"200m","memory":"256Mi"}}""", TestPods.Container(result, "envoy")["resources"]!.ToJsonString());

        // An --init-* flag replaces its own part only.
        var init = TestPods.Inject(TestPods.Web(), settings with { InitCpuRequests = "10m", InitMemoryLimits = "64Mi" });
        Assert.Equal("""{"requests":{"cpu":"10m","memory":"64Mi"},"limits":{"cpu":"200m","memory":"64Mi"}}""", TestPods.Container(init, "proxyinit")["resources"]!.ToJsonString());
    }
}
