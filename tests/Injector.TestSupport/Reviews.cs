using System.Text;
using System.Text.Json.Nodes;
using Injector.Core.Admission;

namespace Injector.TestSupport;

/// <summary>Builds AdmissionReview requests the way the API server sends them.</summary>
public static class Reviews
{
    public static JsonObject For(JsonObject pod, string uid = "8d1c3a46-0c5f-4c38-9e0b-7f2a5b6c1d20", string operation = "CREATE",
        string apiVersion = "admission.k8s.io/v1", string resource = "pods", string? subResource = null, bool dryRun = false, string? @namespace = null)
    {
        var ns = @namespace ?? (string?)pod["metadata"]?["namespace"] ?? "default";
        var request = new JsonObject
        {
            ["uid"] = uid,
            ["kind"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["kind"] = resource == "pods" ? "Pod" : "Service" },
            ["resource"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["resource"] = resource },
            ["namespace"] = ns,
            ["operation"] = operation,
            ["userInfo"] = new JsonObject { ["username"] = "system:serviceaccount:kube-system:replicaset-controller" },
            ["object"] = pod.DeepClone(),
            ["oldObject"] = null,
            ["dryRun"] = dryRun,
        };
        if (subResource is not null) request["subResource"] = subResource;
        return new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = "AdmissionReview", ["request"] = request };
    }

    /// <summary>The review of <see cref="SimplePod"/> as JSON text, with <paramref name="emptyArrays"/> empty arrays
    /// added to its spec: few bytes, many JSON values (what the memory budget counts).</summary>
    public static string Dense(string uid, int emptyArrays = 70_000) =>
        For(SimplePod(), uid: uid).ToJsonString().Replace("\"spec\":{", "\"spec\":{\"x\":[" + string.Concat(Enumerable.Repeat("[],", emptyArrays - 1)) + "[]],", StringComparison.Ordinal);

    /// <summary>The request of <see cref="For"/> as the webhook reads it.</summary>
    public static AdmissionRequest Request(JsonObject pod, string uid = "8d1c3a46-0c5f-4c38-9e0b-7f2a5b6c1d20", string operation = "CREATE", bool dryRun = false) =>
        AdmissionReview.ParseRequest(Encoding.UTF8.GetBytes(For(pod, uid, operation, dryRun: dryRun).ToJsonString()));

    /// <summary>Pod <c>web</c> of namespace <c>shop</c>: one container <c>web</c> listening on port 80.</summary>
    public static JsonObject SimplePod(JsonObject? annotations = null)
    {
        var pod = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject
            {
                ["name"] = "web",
                ["namespace"] = "shop",
            },
            ["spec"] = new JsonObject
            {
                ["containers"] = new JsonArray(new JsonObject
                {
                    ["name"] = "web",
                    ["image"] = "nginx:1.27",
                    ["ports"] = new JsonArray(new JsonObject { ["containerPort"] = 80 }),
                }),
            },
        };
        if (annotations is not null) pod["metadata"]!["annotations"] = annotations;
        return pod;
    }

    /// <summary>The decoded patch of a response, or null when it has none.</summary>
    public static string? PatchJson(JsonObject reviewResponse)
    {
        var patch = (string?)reviewResponse["response"]?["patch"];
        return patch is null ? null : Encoding.UTF8.GetString(Convert.FromBase64String(patch));
    }
}
