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
    /// null for kinds that have no pod template.</summary>
    public static IReadOnlyList<string>? PathOf(string? kind) => kind switch
    {
        "Pod" => [],
        "Deployment" or "ReplicaSet" or "StatefulSet" or "DaemonSet" or "Job" or "ReplicationController" => SpecTemplate,
        "CronJob" => CronJobTemplate,
        _ => null,
    };

    /// <summary>The template path written as a dotted field path (<c>spec.template</c>), for messages.</summary>
    public static string Describe(IReadOnlyList<string> path) => path.Count == 0 ? "the pod" : string.Join('.', path);

    /// <summary>Whether a document is a list of resources (<c>kind: List</c>, or <c>PodList</c>, <c>DeploymentList</c>… with items).</summary>
    public static bool IsList(JsonObject resource) =>
        JsonNodes.Str(resource["kind"]) is { } kind && kind.EndsWith("List", StringComparison.Ordinal) && resource["items"] is JsonArray;

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
