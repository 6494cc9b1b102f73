using System.Text.Json.Nodes;

namespace Injector.Cli.Tests;

/// <summary>docs/migrating-from-controller.md, "Leaving the mesh": the command that lists the pods still carrying a
/// sidecar, taken from the guide as written and run with a real kubectl against the fake API server.</summary>
public sealed class LeavingTheMeshGuideTests
{
    private static string ListingCommand()
    {
        var guide = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "migrating-from-controller.md"));
        var section = guide[guide.IndexOf("## Leaving the mesh", StringComparison.Ordinal)..];
        var line = section.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("kubectl get pods -A ", StringComparison.Ordinal));
        return line;
    }

    private static JsonObject Pod(string ns, string name, string[] initContainers, string[] containers)
    {
        var spec = new JsonObject { ["containers"] = new JsonArray([.. containers.Select(c => (JsonNode)new JsonObject { ["name"] = c, ["image"] = c + ":1" })]) };
        if (initContainers.Length > 0)
            spec["initContainers"] = new JsonArray([.. initContainers.Select(c => (JsonNode)new JsonObject { ["name"] = c, ["image"] = c + ":1" })]);
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["uid"] = Guid.NewGuid().ToString() },
            ["spec"] = spec,
        };
    }

    [KubectlFact]
    public async Task The_listing_command_names_every_pod_with_an_App_Mesh_sidecar_and_no_other()
    {
        await using var api = await FakeApiServer.StartAsync();
        using var dir = new TempDir("leaving");
        var kubeconfig = api.WriteKubeconfig(dir.Path);
        void Store(JsonObject pod) =>
            api.Objects[$"/api/v1/namespaces/{pod["metadata"]!["namespace"]}/pods/{pod["metadata"]!["name"]}"] = pod;
        Store(Pod("shop", "web-1", ["proxyinit"], ["web", "envoy"]));                 // classic mode
        Store(Pod("shop", "migrate-1", ["proxyinit", "envoy"], ["migrate"]));         // native sidecar mode
        Store(Pod("legacy", "orders-1", [], ["orders", "envoy"]));                    // CNI mode: no proxyinit
        Store(Pod("shop", "plain-1", ["setup"], ["plain"]));                          // never injected
        Store(Pod("edge", "gateway-1", [], ["envoy-gateway", "envoyproxy"]));         // names that only contain "envoy"

        var command = ListingCommand();
        Assert.StartsWith("kubectl ", command);
        var result = ProcessRunner.Run("bash",
            ["-c", "set -o pipefail; \"$KUBECTL\" --kubeconfig \"$KUBECONFIG_FILE\" " + command["kubectl ".Length..]],
            new Dictionary<string, string?> { ["KUBECTL"] = KubectlFactAttribute.Path, ["KUBECONFIG_FILE"] = kubeconfig, ["KUBECONFIG"] = null });

        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.Equal("legacy/orders-1\t orders envoy\nshop/migrate-1\tproxyinit envoy migrate\nshop/web-1\tproxyinit web envoy\n", result.StdOut);
        // One list of every namespace's pods, as `kubectl get pods -A` asks for it.
        Assert.Contains(api.Requests, r => r is { Method: "GET", Path: "/api/v1/pods" });
    }

    [KubectlFact]
    public async Task The_command_for_a_pod_no_workload_owns_creates_it_again_without_the_sidecar()
    {
        await using var api = await FakeApiServer.StartAsync();
        using var dir = new TempDir("leaving");
        var kubeconfig = api.WriteKubeconfig(dir.Path);
        // A bare pod as `kubectl get pod -o yaml` shows it after the App Mesh controller injected it.
        var pod = Pod("shop", "debug", ["proxyinit"], ["debug", "envoy"]);
        pod["metadata"]!["resourceVersion"] = "4711";
        pod["spec"]!["initContainers"]![0]!["env"] = new JsonArray(new JsonObject { ["name"] = "APPMESH_START_ENABLED", ["value"] = "1" });
        pod["spec"]!["containers"]![1]!["env"] = new JsonArray(new JsonObject { ["name"] = "APPMESH_VIRTUAL_NODE_NAME", ["value"] = "mesh/m/virtualNode/debug_shop" });
        pod["status"] = new JsonObject { ["phase"] = "Running", ["containerStatuses"] = new JsonArray(new JsonObject { ["name"] = "envoy", ["ready"] = true }) };
        api.Objects["/api/v1/namespaces/shop/pods/debug"] = pod;

        var guide = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "migrating-from-controller.md"));
        var command = guide[guide.IndexOf("## Leaving the mesh", StringComparison.Ordinal)..].Split('\n').Select(l => l.Trim())
            .Single(l => l.StartsWith("kubectl -n shop get pod debug ", StringComparison.Ordinal));
        var result = ProcessRunner.Run("bash",
            // The fake API server serves no OpenAPI document for kubectl's validation.
            ["-c", "set -o pipefail; kubectl() { if [ \"$1\" = replace ]; then set -- \"$@\" --validate=false; fi; \"$KUBECTL\" --kubeconfig \"$KUBECONFIG_FILE\" \"$@\"; }; appmesh-inject() { dotnet \"$CLI\" \"$@\"; }; " + command],
            new Dictionary<string, string?>
            {
                ["KUBECTL"] = KubectlFactAttribute.Path,
                ["KUBECONFIG_FILE"] = kubeconfig,
                ["KUBECONFIG"] = null,
                ["CLI"] = Path.Combine(AppContext.BaseDirectory, "appmesh-inject.dll"),
            });

        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.Equal("pod \"debug\" deleted\npod/debug replaced\n", result.StdOut);
        var created = Assert.Single(api.Requests, r => r is { Method: "POST", Path: "/api/v1/namespaces/shop/pods" });
        var spec = JsonNode.Parse(created.Body)!["spec"]!;
        Assert.Equal("""[{"image":"debug:1","name":"debug"}]""", spec["containers"]!.ToJsonString());
        Assert.Null(spec["initContainers"]);
        Assert.Contains(api.Requests, r => r is { Method: "DELETE", Path: "/api/v1/namespaces/shop/pods/debug" });
    }
}
