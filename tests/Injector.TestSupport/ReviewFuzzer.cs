using System.Text;
using System.Text.Json.Nodes;

namespace Injector.TestSupport;

/// <summary>Random AdmissionReview bodies for fuzzing the webhook over HTTP: pods with random and malformed
/// <c>appmesh.k8s.aws/*</c> annotations (control characters, odd addresses, half surrogate pairs), taken
/// container names, init containers, then sometimes a node replaced by junk or bytes flipped, cut or
/// repeated. Seeded: a failure is reproduced by its seed. Shared by the suite's bounded fuzz test and
/// bench/Campaign's long campaigns.</summary>
public sealed class ReviewFuzzer(int seed)
{
    private readonly Random _random = new(seed);

    private static readonly string[] Keys =
    [
        "sidecarInjectorWebhook", "mesh", "virtualNode", "ports", "egressIgnoredIPs", "egressIgnoredPorts", "cpuRequest", "memoryRequest",
        "cpuLimit", "memoryLimit", "secretMounts", "volumeMounts", "sidecarEnv", "sidecarEnvJson", "preview", "appmeshCNI", "nativeSidecar",
        "sidecarImage", "sidecarLogLevel", "ipv6", "xrayAgentConfigMount", "xdsEndpoint", "cpuRequests",
    ];

    private static readonly string[] Values =
    [
        "enabled", "disabled", "ENABLED", "true", "", " ", "x", "demo", "demo\n", "de\u0000mo", "a\tb", "web-1_x", "80,443", "8080", "0", "65536",
        "1,a", "9901", "15000", "10m", "64Mi", "-1", "1e99", "10x", "secret:/etc/s", "data:/data", "A=1,B=2", "A=\u0001", "{\"A\":\"1\"}",
        "{\"A\":1}", "[1]", "10.0.0.0/8", "010.0.0.1", "0x7f.0.0.1", "[::1]", "1.2.3.4/024", "::ffff:1.2.3.4", "169.254.169.254,10.0.0.1",
        "debug", "trace", "host:1234", "unix:///run/x.sock", "é", "\u2028", "\ud83d\ude00", "nginx:1.27", "x\r\ny",
    ];

    private static readonly string[] ContainerNames = ["app", "web", "xray-daemon", "sidecar", "envoy", "proxyinit", "init", "app"];

    /// <summary>One review body, and whether it was built as valid JSON text (no junk bytes).</summary>
    public (byte[] Body, bool ValidJson, string Uid) Next()
    {
        var uid = $"{_random.Next():x8}-0000-4000-8000-{_random.NextInt64(0, 1L << 47):x12}";
        var review = Reviews.For(Pod(), uid, apiVersion: _random.Next(4) == 0 ? "admission.k8s.io/v1beta1" : "admission.k8s.io/v1",
            operation: _random.Next(12) == 0 ? "UPDATE" : "CREATE");
        var text = review.ToJsonString();
        switch (_random.Next(10))
        {
            case 0: // a node replaced by junk
                text = ReplaceNode(review).ToJsonString();
                break;
            case 1: // bytes flipped, cut or repeated
                return (Mutate(Encoding.UTF8.GetBytes(text)), false, uid);
            case 2: // half a surrogate pair as an escape, somewhere in a string or a property name
                text = InsertEscape(text);
                break;
        }
        return (Encoding.UTF8.GetBytes(text), true, uid);
    }

    private JsonObject Pod()
    {
        var annotations = new JsonObject();
        for (var i = _random.Next(0, 6); i > 0; i--) annotations["appmesh.k8s.aws/" + Pick(Keys)] = Pick(Values);
        var pod = Reviews.SimplePod(annotations);
        var containers = pod["spec"]!["containers"]!.AsArray();
        containers[0]!["ports"] = new JsonArray([.. Enumerable.Range(0, _random.Next(0, 4)).Select(p => (JsonNode?)new JsonObject { ["containerPort"] = Pick([80, 8080, 9901, 15000, 15001, 443]) + p })]);
        containers[0]!["env"] = new JsonArray(new JsonObject { ["name"] = "KEEP", ["value"] = "me" });
        // Names are unique, as the API server requires, but may be the injector's own (envoy, xray-daemon...).
        var used = new HashSet<string> { "web" };
        for (var i = _random.Next(0, 3); i > 0; i--)
        {
            var name = Pick(ContainerNames) + (_random.Next(2) == 0 ? "" : i.ToString());
            if (used.Add(name)) containers.Add(new JsonObject { ["name"] = name, ["image"] = "busybox" });
        }
        if (_random.Next(3) == 0)
        {
            pod["spec"]!["initContainers"] = new JsonArray(new JsonObject
            {
                ["name"] = Pick(ContainerNames) + "-init",
                ["image"] = "busybox",
                ["restartPolicy"] = _random.Next(2) == 0 ? "Always" : null,
            });
        }
        if (_random.Next(3) == 0) pod["spec"]!["volumes"] = new JsonArray(new JsonObject { ["name"] = "data", ["emptyDir"] = new JsonObject() });
        if (_random.Next(4) == 0)
        {
            pod["metadata"]!["ownerReferences"] = new JsonArray(new JsonObject
            {
                ["apiVersion"] = "apps/v1",
                ["kind"] = "ReplicaSet",
                ["name"] = "web-5d8f7c9b4",
                ["uid"] = "u",
                ["controller"] = true,
            });
            pod["metadata"]!["labels"] = new JsonObject { ["pod-template-hash"] = "5d8f7c9b4" };
        }
        // A field no model knows: it must pass through.
        pod["spec"]!["futureField"] = new JsonObject { ["keep"] = new JsonArray(1, "two", null) };
        if (_random.Next(20) == 0) pod["spec"]!["hostNetwork"] = true;
        return pod;
    }

    private T Pick<T>(T[] items) => items[_random.Next(items.Length)];

    private JsonObject ReplaceNode(JsonObject review)
    {
        var nodes = Walk(review).Where(n => n.Parent is not null).ToList();
        var target = nodes[_random.Next(nodes.Count)];
        JsonNode? junk = _random.Next(6) switch
        {
            0 => null,
            1 => _random.Next(),
            2 => Pick(Values),
            3 => _random.Next(2) == 0,
            4 => new JsonArray(1, "x"),
            _ => new JsonObject { ["name"] = 3 },
        };
        switch (target.Parent)
        {
            case JsonObject parent: parent[target.GetPropertyName()] = junk; break;
            case JsonArray array: array[target.GetElementIndex()] = junk; break;
        }
        return review;
    }

    private byte[] Mutate(byte[] bytes)
    {
        var list = bytes.ToList();
        var at = _random.Next(list.Count);
        var length = Math.Min(_random.Next(1, 40), list.Count - at);
        switch (_random.Next(4))
        {
            case 0: list[at] = (byte)_random.Next(256); break;
            case 1: list.RemoveRange(at, list.Count - at); break;
            case 2: list.InsertRange(at, list.GetRange(at, length)); break;
            default: list.RemoveRange(at, length); break;
        }
        return [.. list];
    }

    private string InsertEscape(string text)
    {
        // Right after an opening quote: inside a string value or a property name.
        var quotes = Enumerable.Range(0, text.Length).Where(i => text[i] == '"').ToList();
        var at = quotes[_random.Next(quotes.Count)] + 1;
        return text[..at] + Pick(["\\ud800", "\\udfff", "\\ud83d", "\\ud83d\\ude00", "\\u0041"]) + text[at..];
    }

    /// <summary>Every node under <paramref name="node"/>, itself first, depth first.</summary>
    public static IEnumerable<JsonNode> Walk(JsonNode node)
    {
        yield return node;
        IEnumerable<JsonNode?> children = node switch
        {
            JsonObject o => o.Select(p => p.Value),
            JsonArray a => a,
            _ => [],
        };
        foreach (var child in children.ToList())
            if (child is not null)
                foreach (var n in Walk(child)) yield return n;
    }
}
