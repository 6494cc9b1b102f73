using System.Text;
using System.Text.Json.Nodes;

namespace Injector.TestSupport;

/// <summary>What every answer of the webhook to a fuzzed review must satisfy (issue 13, "must show"): HTTP
/// 200 or a 400 with a message (never a 5xx or another status), never the internal-error fallback, the uid
/// echoed, and a patch that applies with an independent implementation and gives a pod with unique
/// container names, every field of the request's pod kept (but the <c>appmesh.k8s.aws/*</c> annotations the
/// injector writes), and no control character in any env value.
/// Returns the problems found (empty when none).</summary>
public static class AnswerChecks
{
    public static List<string> Check(byte[] request, int status, string answer)
    {
        var problems = new List<string>();
        if (status == 400)
        {
            if (answer.Length < 2 || !answer.EndsWith('\n')) problems.Add($"400 without a message: '{answer}'");
            return problems;
        }
        if (status != 200)
        {
            problems.Add($"HTTP {status}: {answer}");
            return problems;
        }
        JsonNode review;
        try
        {
            review = JsonNode.Parse(request)!;
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException)
        {
            problems.Add($"200 for a body that is not JSON ({ex.Message})");
            return problems;
        }
        var response = JsonNode.Parse(answer)!["response"]!;
        if ((string?)response["uid"] != (string?)review["request"]!["uid"]) problems.Add($"uid {(string?)response["uid"]} not echoed");
        if (answer.Contains("could not process", StringComparison.Ordinal)) problems.Add("internal-error fallback: " + answer);
        if (response["patch"] is null) return problems;

        var pod = review["request"]!["object"]!;
        var patch = Encoding.UTF8.GetString(Convert.FromBase64String((string)response["patch"]!));
        JsonNode patched;
        try
        {
            patched = TestPatch.Apply(pod, patch);
        }
        catch (Exception ex)
        {
            problems.Add($"the patch does not apply: {ex.Message}");
            return problems;
        }
        var all = Containers(patched).ToList();
        // A duplicate the injector made, not one the request (here, a fuzzed one) already had.
        var before = Names(pod).GroupBy(n => n).ToDictionary(g => g.Key, g => g.Count());
        foreach (var duplicate in Names(patched).GroupBy(n => n).Where(g => g.Count() > 1 && g.Count() > before.GetValueOrDefault(g.Key)))
            problems.Add($"two containers named {duplicate.Key}");
        if (!Keeps(WithoutOwnAnnotations(pod), WithoutOwnAnnotations(patched), "")) problems.Add("a field of the request's pod is lost or changed: " + patch);
        // In the containers the injector added: the request's own env values are the user's.
        var own = Names(pod).ToHashSet();
        foreach (var container in all.OfType<JsonObject>().Where(c => !(c["name"] is JsonValue v && v.TryGetValue<string>(out var n) && own.Contains(n))))
            foreach (var env in (container["env"] as JsonArray ?? []).OfType<JsonObject>())
                if (env?["value"] is JsonValue value && value.TryGetValue<string>(out var text) && text.Any(char.IsControl))
                    problems.Add($"control character in env {env["name"]?.ToJsonString()} of {container["name"]?.ToJsonString()}: {System.Text.Json.JsonSerializer.Serialize(text)}");
        return problems;
    }

    /// <summary>The pod without its <c>appmesh.k8s.aws/*</c> annotations, which the injector writes itself (the
    /// resolved mesh and virtual node, the status, CNI mode's settings), replacing a malformed value it admitted.</summary>
    private static JsonNode WithoutOwnAnnotations(JsonNode pod)
    {
        var copy = pod.DeepClone();
        if (copy is JsonObject o && o["metadata"] is JsonObject metadata && metadata["annotations"] is JsonObject annotations)
            foreach (var key in annotations.Select(a => a.Key).Where(k => k.StartsWith("appmesh.k8s.aws/", StringComparison.Ordinal)).ToList())
                annotations.Remove(key);
        return copy;
    }

    private static IEnumerable<JsonNode?> Containers(JsonNode pod) =>
        pod is JsonObject p && p["spec"] is JsonObject spec ? new[] { spec["containers"], spec["initContainers"] }.OfType<JsonArray>().SelectMany(a => a) : [];

    private static IEnumerable<string> Names(JsonNode pod) =>
        Containers(pod).Select(c => c is JsonObject o && o["name"] is JsonValue v && v.TryGetValue<string>(out var n) ? n : null).OfType<string>();

    /// <summary>Every field of <paramref name="before"/> is in <paramref name="after"/> with the same value (a
    /// null one may be filled); arrays keep their elements in order (the injector inserts, it never removes).</summary>
    public static bool Keeps(JsonNode? before, JsonNode? after, string path)
    {
        switch (before)
        {
            case null:
                return true; // a null field is an absent one to Kubernetes: the injector may fill it
            case JsonObject o:
                return after is JsonObject a && o.All(p => a.ContainsKey(p.Key) && Keeps(p.Value, a[p.Key], path + "/" + p.Key));
            case JsonArray o:
                if (after is not JsonArray arr) return false;
                var j = 0;
                foreach (var item in o)
                {
                    while (j < arr.Count && !JsonNode.DeepEquals(item, arr[j])) j++;
                    if (j == arr.Count) return false;
                    j++;
                }
                return true;
            default:
                return JsonNode.DeepEquals(before, after);
        }
    }
}
