using System.Text.Json.Nodes;
using Injector.Core.Injection;
using Injector.Core.Json;
using Injector.Core.Settings;

namespace Injector.Tests.Unit;

/// <summary>Small pods and an engine with the default settings, for the unit tests of the engine.</summary>
internal static class TestPods
{
    public const string Namespace = "shop";

    /// <summary>The defaults with the two required settings.</summary>
    public static InjectorSettings Settings { get; } = new() { MeshName = "demo", Region = "us-west-2" };

    /// <summary>The pod as the engine reads it (parsed); the document is left to the garbage collector.</summary>
    public static System.Text.Json.JsonElement Parsed(JsonObject pod) => JsonElements.Parse(pod).RootElement;

    /// <summary>Pod <c>web</c> with one container listening on 8080 and the given annotations.</summary>
    public static JsonObject Web(params (string Key, string Value)[] annotations)
    {
        var pod = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = "web", ["namespace"] = Namespace },
            ["spec"] = new JsonObject
            {
                ["containers"] = new JsonArray(new JsonObject
                {
                    ["name"] = "app",
                    ["image"] = "nginx:1.27",
                    ["ports"] = new JsonArray(new JsonObject { ["containerPort"] = 8080 }),
                }),
            },
        };
        if (annotations.Length > 0)
        {
            var map = new JsonObject();
            foreach (var (key, value) in annotations) map[key] = value;
            pod["metadata"]!["annotations"] = map;
        }
        return pod;
    }

    public static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();

    public static InjectionResult Inject(JsonObject pod, InjectorSettings? settings = null, PodContext? context = null) =>
        new PodInjector(settings ?? Settings).Inject(pod, context ?? new PodContext(Namespace));

    /// <summary>A container of the injected pod, by name, from containers or init containers.</summary>
    public static JsonObject Container(InjectionResult result, string name)
    {
        Assert.NotNull(result.Pod);
        var spec = result.Pod!["spec"]!;
        var all = (spec["containers"] as JsonArray ?? []).Concat(spec["initContainers"] as JsonArray ?? []);
        return Assert.Single(all, c => JsonNodes.Str(c?["name"]) == name)!.AsObject();
    }

    /// <summary>A container's env as NAME=value lines, in order; a variable from a field of the pod reads
    /// NAME=fieldRef:path.</summary>
    public static List<string> Env(InjectionResult result, string container) =>
        Container(result, container)["env"]!.AsArray()
            .Select(e => e!["valueFrom"] is { } from
                ? $"{JsonNodes.Str(e["name"])}=fieldRef:{JsonNodes.Str(from["fieldRef"]?["fieldPath"])}"
                : $"{JsonNodes.Str(e["name"])}={JsonNodes.Str(e["value"])}")
            .ToList();

    /// <summary>Every env value of every container the injection added.</summary>
    public static IEnumerable<string> InjectedEnvValues(InjectionResult result)
    {
        var spec = result.Pod!["spec"]!;
        return (spec["containers"] as JsonArray ?? []).Concat(spec["initContainers"] as JsonArray ?? [])
            .Where(c => JsonNodes.Str(c?["name"]) is PodInjector.EnvoyName or PodInjector.ProxyInitName or PodInjector.XrayName)
            .SelectMany(c => c!["env"] as JsonArray ?? [])
            .Select(e => JsonNodes.Str(e?["value"]) ?? "");
    }

    /// <summary>The injected pod's annotations as key=value lines, in order.</summary>
    public static List<string> Annotations(InjectionResult result) =>
        result.Pod!["metadata"]!["annotations"]!.AsObject()
            .Select(p => $"{p.Key}={JsonNodes.Str(p.Value)}")
            .ToList();

    /// <summary>Envoy's env with the defaults, for the virtual node <c>web-shop</c> of mesh <c>demo</c>.</summary>
    public static List<string> DefaultEnvoyEnv(string logLevel = "info", string preview = "0", string virtualNode = "web-shop", string mesh = "demo") =>
    [
        $"APPMESH_VIRTUAL_NODE_NAME=mesh/{mesh}/virtualNode/{virtualNode}",
        $"APPMESH_RESOURCE_ARN=mesh/{mesh}/virtualNode/{virtualNode}",
        "AWS_REGION=us-west-2",
        $"ENVOY_LOG_LEVEL={logLevel}",
        $"APPMESH_PREVIEW={preview}",
        "ENVOY_ADMIN_ACCESS_PORT=9901",
        "ENVOY_ADMIN_ACCESS_LOG_FILE=/tmp/envoy_admin_access.log",
        .. PlatformEnv(),
    ];

    /// <summary>The controller's platform and endpoint variables with the default flags.</summary>
    public static List<string> PlatformEnv(string kubernetesVersion = "UNKNOWN_K8S_VERSION") =>
    [
        "APPMESH_PLATFORM_K8S_POD_UID=fieldRef:metadata.uid",
        $"APPMESH_PLATFORM_K8S_VERSION={kubernetesVersion}",
        $"APPMESH_PLATFORM_APP_MESH_CONTROLLER_VERSION={PodInjector.Version}",
        "APPMESH_DUALSTACK_ENDPOINT=0",
        "APPMESH_FIPS_ENDPOINT=0",
        "ENVOY_ADMIN_ACCESS_ENABLE_IPV6=false",
        "APPNET_AGENT_ADMIN_MODE=uds",
        "APPNET_AGENT_ADMIN_UDS_PATH=/tmp/agent.sock",
    ];
}
