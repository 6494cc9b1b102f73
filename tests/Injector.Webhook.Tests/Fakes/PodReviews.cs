using System.Text.Json.Nodes;
using Injector.Core.Admission;

namespace Injector.Webhook.Tests.Fakes;

/// <summary>AdmissionReviews of pods, shaped like the API server's.</summary>
public static class PodReviews
{
    public static JsonObject Pod(string ns, JsonObject? owner = null, string? podTemplateHash = null, Dictionary<string, string>? annotations = null, string? name = null, bool hostNetwork = false)
    {
        var metadata = new JsonObject();
        if (name is not null) metadata["name"] = name;
        else if (owner is not null) metadata["generateName"] = owner["name"]!.GetValue<string>() + "-";
        metadata["namespace"] = ns;
        var labels = new JsonObject { ["app"] = "web" };
        if (podTemplateHash is not null) labels["pod-template-hash"] = podTemplateHash;
        metadata["labels"] = labels;
        if (annotations is not null) metadata["annotations"] = new JsonObject(annotations.Select(a => KeyValuePair.Create(a.Key, (JsonNode?)a.Value)));
        if (owner is not null) metadata["ownerReferences"] = new JsonArray(owner.DeepClone());
        var spec = new JsonObject
        {
            ["containers"] = new JsonArray(new JsonObject
            {
                ["name"] = "web",
                ["image"] = "nginx:1.27",
                ["ports"] = new JsonArray(new JsonObject { ["containerPort"] = 8080, ["protocol"] = "TCP" }),
            }),
            ["restartPolicy"] = "Always",
        };
        if (hostNetwork) spec["hostNetwork"] = true;
        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["metadata"] = metadata, ["spec"] = spec };
    }

    public static string Review(JsonObject pod, string uid = "11111111-2222-3333-4444-555555555555", bool dryRun = false, string operation = "CREATE") =>
        Reviews.For(pod, uid, operation, dryRun: dryRun).ToJsonString();

    public static AdmissionRequest Request(JsonObject pod, string uid = "11111111-2222-3333-4444-555555555555", bool dryRun = false, string operation = "CREATE") =>
        Reviews.Request(pod, uid, operation, dryRun);

    /// <summary>The env value of <paramref name="name"/> in the envoy container of a JSON patch's added containers.</summary>
    public static string? EnvoyEnv(AdmissionResponse response, string name)
    {
        foreach (var op in response.Patch)
        {
            // Read back from the patch's JSON, as the API server reads it: the webhook keeps the containers it
            // adds as their JSON text, not as objects.
            var node = op.Value is null ? null : JsonNode.Parse(op.Value.ToJsonString());
            foreach (var candidate in node is JsonArray a ? a.ToList() : [node])
            {
                if (candidate is JsonObject c && c["name"]?.GetValue<string>() == "envoy" && c["env"] is JsonArray env)
                    return env.FirstOrDefault(e => e?["name"]?.GetValue<string>() == name)?["value"]?.GetValue<string>();
            }
        }
        return null;
    }
}
