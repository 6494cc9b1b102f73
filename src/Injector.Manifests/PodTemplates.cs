using System.Text.Json.Nodes;
using Injector.Core.Json;

namespace Injector.Manifests;

/// <summary>Where each workload kind keeps the pod it creates. See
/// <see href="https://kubernetes.io/docs/concepts/workloads/pods/#pod-templates">pod templates</see>.</summary>
public static class PodTemplates
{
    private static readonly string[] SpecTemplate = ["spec", "template"];
    private static readonly string[] CronJobTemplate = ["spec", "jobTemplate", "spec", "template"];

    /// <summary>The kinds whose pods the command injects.</summary>
    public static readonly IReadOnlyList<string> Kinds =
        ["Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicationController"];

    /// <summary>The path from the resource to its pod template: empty for a Pod (the resource is the pod),
    /// null for kinds that have no pod template. A kind counts only in its own API group (core, apps or
    /// extensions, batch): a custom resource that reuses the name (Volcano's <c>batch.volcano.sh</c> Job, a
    /// Kruise StatefulSet) is another kind and passes through. A resource without an apiVersion is taken as
    /// the built-in kind.</summary>
    public static IReadOnlyList<string>? PathOf(JsonObject resource)
    {
        var kind = JsonNodes.Str(resource["kind"]);
        IReadOnlyList<string>? path = kind switch
        {
            "Pod" => [],
            "Deployment" or "ReplicaSet" or "StatefulSet" or "DaemonSet" or "Job" or "ReplicationController" => SpecTemplate,
            "CronJob" => CronJobTemplate,
            _ => null,
        };
        return path is not null && IsBuiltIn(resource, kind!) ? path : null;
    }

    /// <summary>Whether the resource's apiVersion is in the API group that serves <paramref name="kind"/>.</summary>
    private static bool IsBuiltIn(JsonObject resource, string kind)
    {
        if (resource["apiVersion"] is null) return true;
        var apiVersion = JsonNodes.Str(resource["apiVersion"]) ?? "";
        var group = apiVersion.Contains('/') ? apiVersion[..apiVersion.IndexOf('/')] : "";
        return kind switch
        {
            "Pod" or "ReplicationController" or "List" => group == "",
            "Deployment" or "ReplicaSet" or "StatefulSet" or "DaemonSet" => group is "apps" or "extensions",
            "Job" or "CronJob" => group == "batch",
            _ => group is "" or "apps" or "extensions" or "batch",
        };
    }

    /// <summary>The template path written as a dotted field path (<c>spec.template</c>), for messages.</summary>
    public static string Describe(IReadOnlyList<string> path) => path.Count == 0 ? "the pod" : string.Join('.', path);

    /// <summary>Whether a document is a list of resources (<c>kind: List</c>, or <c>PodList</c>, <c>DeploymentList</c>… with items),
    /// of the core, apps or batch API groups.</summary>
    public static bool IsList(JsonObject resource) =>
        JsonNodes.Str(resource["kind"]) is { } kind && kind.EndsWith("List", StringComparison.Ordinal) && resource["items"] is JsonArray
        && IsBuiltIn(resource, kind);

    /// <summary>The resources of a document: the document itself, or the items of a list (and of lists in it).</summary>
    public static IEnumerable<JsonObject> Resources(JsonNode? document)
    {
        if (document is not JsonObject resource) yield break;
        if (!IsList(resource))
        {
            yield return resource;
            yield break;
        }
        foreach (var item in resource["items"]!.AsArray())
        {
            foreach (var inner in Resources(item)) yield return inner;
        }
    }

    /// <summary>The node at <paramref name="path"/> below <paramref name="resource"/>, if it is an object.</summary>
    public static JsonObject? Find(JsonObject resource, IReadOnlyList<string> path)
    {
        JsonObject? current = resource;
        foreach (var segment in path) current = current?[segment] as JsonObject;
        return current;
    }
}
