using System.Text.Json.Nodes;
using Injector.Core.Json;

namespace Injector.Manifests;

/// <summary>Where each workload kind keeps the pod it creates. See
/// <see href="https://kubernetes.io/docs/concepts/workloads/pods/#pod-templates">pod templates</see>.</summary>
public static class PodTemplates
{
    private static readonly string[] SpecTemplate = ["spec", "template"];
    private static readonly string[] CronJobTemplate = ["spec", "jobTemplate", "spec", "template"];

    private static readonly string[] Core = [""];
    private static readonly string[] Apps = ["apps", "extensions"];
    private static readonly string[] Batch = ["batch"];
    private static readonly string[] ListGroups = ["", "apps", "extensions", "batch"];

    /// <summary>Each kind whose pods the command injects: where its pod template is (empty for a Pod, which is the
    /// pod), and the API groups that serve it. A kind counts only in its own groups: a custom resource that reuses
    /// the name (Volcano's <c>batch.volcano.sh</c> Job, a Kruise StatefulSet) is another kind and passes through.</summary>
    private static readonly (string Kind, string[] Path, string[] Groups)[] Workloads =
    [
        ("Pod", [], Core), ("Deployment", SpecTemplate, Apps), ("ReplicaSet", SpecTemplate, Apps),
        ("StatefulSet", SpecTemplate, Apps), ("DaemonSet", SpecTemplate, Apps), ("Job", SpecTemplate, Batch),
        ("CronJob", CronJobTemplate, Batch), ("ReplicationController", SpecTemplate, Core),
    ];

    /// <summary>The kinds whose pods the command injects.</summary>
    public static readonly IReadOnlyList<string> Kinds = [.. Workloads.Select(w => w.Kind)];

    /// <summary>The path from the resource to its pod template: empty for a Pod (the resource is the pod), null for
    /// kinds that have no pod template or are not of the built-in group (a resource without an apiVersion is taken
    /// as the built-in kind).</summary>
    public static IReadOnlyList<string>? PathOf(JsonObject resource)
    {
        var kind = JsonNodes.Str(resource["kind"]);
        foreach (var (name, path, groups) in Workloads)
        {
            if (name == kind) return InGroup(resource, groups) ? path : null;
        }
        return null;
    }

    /// <summary>Whether the resource's apiVersion is absent or of one of <paramref name="groups"/>.</summary>
    private static bool InGroup(JsonObject resource, string[] groups)
    {
        if (resource["apiVersion"] is null) return true;
        var apiVersion = JsonNodes.Str(resource["apiVersion"]) ?? "";
        var slash = apiVersion.IndexOf('/');
        return groups.Contains(slash < 0 ? "" : apiVersion[..slash]);
    }

    /// <summary>The template path written as a dotted field path (<c>spec.template</c>), for messages.</summary>
    public static string Describe(IReadOnlyList<string> path) => path.Count == 0 ? "the pod" : string.Join('.', path);

    /// <summary>Whether a document is a list of resources (<c>kind: List</c>, or <c>PodList</c>, <c>DeploymentList</c>… with items),
    /// of the core, apps or batch API groups.</summary>
    public static bool IsList(JsonObject resource) =>
        JsonNodes.Str(resource["kind"]) is { } kind && kind.EndsWith("List", StringComparison.Ordinal) && resource["items"] is JsonArray
        && InGroup(resource, ListGroups);

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
