using System.Text;
using System.Text.Json.Nodes;

namespace Injector.TestSupport;

/// <summary>What every answer of the webhook to a fuzzed review must satisfy (issue 13, "must show"): HTTP
/// 200 or a 400 with a message (never a 5xx or another status), never the internal-error fallback, the uid
/// echoed, and a patch that applies with an independent implementation and gives a pod with unique
/// container names, every field of the request's pod kept, and no control character in any env value.
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
        var spec = patched["spec"]!;
        var all = (spec["containers"] as JsonArray ?? []).Concat(spec["initContainers"] as JsonArray ?? []).ToList();
        var names = all.Select(c => c?["name"] is JsonValue v && v.TryGetValue<string>(out var n) ? n : null).Where(n => n is not null).ToList();
        foreach (var duplicate in names.GroupBy(n => n).Where(g => g.Count() > 1)) problems.Add($"two containers named {duplicate.Key}");
        if (!Keeps(pod, patched, "")) problems.Add("a field of the request's pod is lost or changed: " + patch);
        foreach (var container in all)
            foreach (var env in container?["env"] as JsonArray ?? [])
                if (env?["value"] is JsonValue value && value.TryGetValue<string>(out var text) && text.Any(char.IsControl))
                    problems.Add($"control character in env {(string?)env["name"]} of {(string?)container!["name"]}: {System.Text.Json.JsonSerializer.Serialize(text)}");
        return problems;
    }

    /// <summary>Every field of <paramref name="before"/> is in <paramref name="after"/> with the same value;
    /// arrays keep their elements in order (the injector inserts, it never removes).</summary>
    public static bool Keeps(JsonNode? before, JsonNode? after, string path)
    {
        switch (before)
        {
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
