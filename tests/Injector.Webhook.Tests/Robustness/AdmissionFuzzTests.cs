using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;

namespace Injector.Webhook.Tests.Robustness;

/// <summary>Random and mutated AdmissionReviews against the real endpoint (in memory): never a 5xx,
/// never the "could not process" fallback (the engine threw), always the request's uid, and every
/// patch applies to the request's pod.</summary>
public class AdmissionFuzzTests
{
    private const int Iterations = 300;

    private static readonly string[] Annotations =
        ["sidecarInjectorWebhook", "mesh", "virtualNode", "ports", "egressIgnoredIPs", "cpuRequest", "memoryLimit", "secretMounts", "sidecarEnv", "preview", "appmeshCNI", "nativeSidecar"];

    private static readonly string[] Values =
        ["enabled", "disabled", "x", "", "80,443", "0", "1,a", "10m", "64Mi", "-1", "1e99", "a:/b", "A=1", "10.0.0.0/8", "true", "é\u0000"];

    /// <summary>A valid review of a pod with a random set of annotations.</summary>
    private static readonly Gen<JsonObject> ValidReviews = Gen.Select(
        Gen.Select(Gen.OneOf(Annotations), Gen.OneOf(Values)).Array[0, 5], Gen.Int[0, 3], Gen.Bool, Gen.Guid,
        (annotations, ports, v1beta1, uid) =>
        {
            var map = new JsonObject();
            foreach (var (key, value) in annotations) map["appmesh.k8s.aws/" + key] = value;
            var pod = Reviews.SimplePod(map);
            pod["spec"]!["containers"]![0]!["ports"] = new JsonArray([.. Enumerable.Range(0, ports).Select(p => (JsonNode?)new JsonObject { ["containerPort"] = 8080 + p })]);
            return Reviews.For(pod, uid.ToString(), apiVersion: v1beta1 ? "admission.k8s.io/v1beta1" : "admission.k8s.io/v1");
        });

    private static Gen<JsonNode?> Junk { get; } = Gen.Frequency<JsonNode?>(
        (1, Gen.Const((JsonNode?)null)),
        (1, Gen.Int.Select(i => (JsonNode?)i)),
        (1, Gen.String.Select(s => (JsonNode?)s)),
        (1, Gen.Bool.Select(b => (JsonNode?)b)),
        (1, Gen.Const(() => (JsonNode?)new JsonArray(1, "x"))),
        (1, Gen.Const(() => (JsonNode?)new JsonObject { ["name"] = 3 })));

    [Fact]
    public async Task Reviews_with_a_node_replaced_by_junk_get_a_4xx_or_a_valid_answer()
    {
        await using var webhook = await InMemoryWebhook.StartAsync("--mesh-name", "demo", "--region", "us-west-2");
        var cases = Gen.Select(ValidReviews, Gen.Int[0, 1000], Junk).Array[Iterations, Iterations].Single();
        foreach (var (review, position, junk) in cases)
        {
            var nodes = ReviewFuzzer.Walk(review).Where(n => n.Parent is not null).ToList();
            var target = nodes[position % nodes.Count];
            switch (target.Parent)
            {
                case JsonObject parent: parent[target.GetPropertyName()] = junk?.DeepClone(); break;
                case JsonArray array: array[target.GetElementIndex()] = junk?.DeepClone(); break;
            }
            await AssertHandledAsync(webhook, review.ToJsonString());
        }
    }

    [Fact]
    public async Task Reviews_with_bytes_flipped_cut_or_repeated_get_a_4xx_or_a_valid_answer()
    {
        await using var webhook = await InMemoryWebhook.StartAsync("--mesh-name", "demo", "--region", "us-west-2");
        var cases = Gen.Select(ValidReviews, Gen.Int[0, 3], Gen.Int[0, 100_000], Gen.Int[1, 40], Gen.Byte).Array[Iterations, Iterations].Single();
        foreach (var (review, kind, at, length, value) in cases)
        {
            var bytes = Encoding.UTF8.GetBytes(review.ToJsonString()).ToList();
            var i = at % bytes.Count;
            var n = Math.Min(length, bytes.Count - i);
            switch (kind)
            {
                case 0: bytes[i] = value; break;                                  // flip one byte
                case 1: bytes.RemoveRange(i, bytes.Count - i); break;            // truncate
                case 2: bytes.InsertRange(i, bytes.GetRange(i, n)); break;       // repeat a slice
                default: bytes.RemoveRange(i, n); break;                         // cut a slice
            }
            await AssertHandledAsync(webhook, bytes.ToArray());
        }
    }

    // Both found by the properties above: the first was an HTTP 500, the second an admission without sidecar.
    [Theory]
    [InlineData("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"a\",\"uid\":\"b\"}}", "the body is not valid JSON: ")]
    [InlineData("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"a\",\"namespace\":\"\xBC\"}}", "the body is not valid UTF-8")]
    public async Task Duplicate_keys_and_invalid_utf8_are_a_400(string body, string message)
    {
        await using var webhook = await InMemoryWebhook.StartAsync("--mesh-name", "demo", "--region", "us-west-2");
        var bytes = body.Select(c => (byte)c).ToArray(); // Latin-1 on purpose: \xBC stays a lone byte
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new("application/json");
        using var response = await webhook.Client.PostAsync("/mutate", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith(message, await response.Content.ReadAsStringAsync());
    }

    private static Task AssertHandledAsync(InMemoryWebhook webhook, string body) => AssertHandledAsync(webhook, Encoding.UTF8.GetBytes(body));

    private static async Task AssertHandledAsync(InMemoryWebhook webhook, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        using var response = await webhook.Client.PostAsync("/mutate", content);
        var text = await response.Content.ReadAsStringAsync();
        var status = (int)response.StatusCode;
        Assert.True(status is 200 or 400, $"HTTP {status} for {Encoding.UTF8.GetString(body)}\n{text}");
        if (!System.Text.Unicode.Utf8.IsValid(body)) Assert.Equal("the body is not valid UTF-8\n", text);
        if (status != 200) return;

        var request = JsonNode.Parse(body)!["request"]!;
        var answer = JsonNode.Parse(text)!["response"]!;
        Assert.Equal((string?)request["uid"], (string?)answer["uid"]);
        Assert.False(text.Contains("could not process", StringComparison.Ordinal), $"the engine threw on {Encoding.UTF8.GetString(body)}\n{text}");
        if (answer["patch"] is null) return;

        var patch = Encoding.UTF8.GetString(Convert.FromBase64String((string)answer["patch"]!));
        var patched = TestPatch.Apply(request["object"]!, patch);
        // Envoy is a container, or an init container in native sidecar mode.
        var containers = patched["spec"]!["containers"]!.AsArray().Concat(patched["spec"]!["initContainers"] as JsonArray ?? []);
        Assert.True(containers.Any(c => c is JsonObject o && o["name"] is JsonValue name && name.TryGetValue<string>(out var n) && n == "envoy"), $"no envoy after patching {Encoding.UTF8.GetString(body)}\nwith {patch}");
    }
}
