using System.Text.Json;
using Injector.Core.Injection;
using Injector.Core.Json;

namespace Injector.Core.Naming;

/// <summary>An owner reference: who controls an object. See
/// <see href="https://kubernetes.io/docs/concepts/overview/working-with-objects/owners-dependents/">owners and dependents</see>.</summary>
public sealed record OwnerReference(string ApiVersion, string Kind, string Name);

/// <summary>Asks the Kubernetes API who controls an object. Implementations bound every call by a short
/// timeout and cache answers; a failure throws <see cref="OwnerLookupException"/>.</summary>
public interface IOwnerLookup
{
    /// <summary>The controller owner of <c>kind/name</c> in <paramref name="namespace"/>, or null when it has none.</summary>
    ValueTask<OwnerReference?> GetControllerAsync(string apiVersion, string kind, string @namespace, string name, CancellationToken cancellationToken);
}

public sealed class OwnerLookupException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The workload a pod belongs to, and a warning when a fallback had to be used.</summary>
public sealed record WorkloadName(string? Name, string? Kind, string? Warning = null);

/// <summary>Derives the name of a pod's top controller (SPEC §2): Deployment from its ReplicaSet,
/// CronJob from its Job, else the direct owner, else the pod.</summary>
public static class WorkloadResolver
{
    public const string PodTemplateHashLabel = "pod-template-hash";

    /// <summary>Resolves the workload. Without <paramref name="lookup"/> (no Kubernetes API configured),
    /// a ReplicaSet without the pod-template-hash suffix and a Job stand for themselves.</summary>
    public static ValueTask<WorkloadName> ResolveAsync(JsonElement pod, string @namespace, IOwnerLookup? lookup, CancellationToken cancellationToken) =>
        ResolveAsync(PodFields.Read(pod), @namespace, lookup, cancellationToken);

    /// <inheritdoc cref="ResolveAsync(JsonElement, string, IOwnerLookup?, CancellationToken)"/>
    internal static async ValueTask<WorkloadName> ResolveAsync(PodFields pod, string @namespace, IOwnerLookup? lookup, CancellationToken cancellationToken)
    {
        var owner = ControllerIn(pod.OwnerReferences);
        if (owner is null) return new WorkloadName(JsonElements.Str(pod.Name), "Pod");

        switch (owner.Kind)
        {
            case "ReplicaSet":
                var hash = JsonElements.Str(JsonElements.Field(pod.Labels, "pod-template-hash"u8));
                if (!string.IsNullOrEmpty(hash) && owner.Name.Length > hash.Length + 1 && owner.Name.EndsWith("-" + hash, StringComparison.Ordinal))
                    return new WorkloadName(owner.Name[..^(hash.Length + 1)], "Deployment");
                return await ParentOrSelfAsync(owner, @namespace, lookup, _ => true, cancellationToken);
            case "Job":
                return await ParentOrSelfAsync(owner, @namespace, lookup, parent => parent.Kind == "CronJob", cancellationToken);
            default:
                return new WorkloadName(owner.Name, owner.Kind);
        }
    }

    private static async ValueTask<WorkloadName> ParentOrSelfAsync(OwnerReference owner, string @namespace, IOwnerLookup? lookup, Func<OwnerReference, bool> accept, CancellationToken cancellationToken)
    {
        if (lookup is null)
            return new WorkloadName(owner.Name, owner.Kind, $"the Kubernetes API is not configured, so the owner of {owner.Kind} {owner.Name} was not looked up; the virtual node is named after the {owner.Kind}");
        try
        {
            var parent = await lookup.GetControllerAsync(owner.ApiVersion, owner.Kind, @namespace, owner.Name, cancellationToken);
            return parent is not null && accept(parent) ? new WorkloadName(parent.Name, parent.Kind) : new WorkloadName(owner.Name, owner.Kind);
        }
        catch (OwnerLookupException ex)
        {
            return new WorkloadName(owner.Name, owner.Kind, $"could not look up the owner of {owner.Kind} {owner.Name} ({ex.Message}); the virtual node is named after the {owner.Kind}");
        }
    }


    private static OwnerReference? ControllerIn(JsonElement? ownerReferences)
    {
        if (ownerReferences is not { ValueKind: JsonValueKind.Array } refs || refs.GetArrayLength() == 0) return null;
        JsonElement? chosen = null;
        foreach (var reference in refs.EnumerateArray())
        {
            if (JsonElements.Bool(JsonElements.Field(reference, "controller"u8)) != true) continue;
            chosen = reference;
            break;
        }
        chosen ??= refs[0];
        var kind = JsonElements.Str(JsonElements.Field(chosen, "kind"u8));
        var name = JsonElements.Str(JsonElements.Field(chosen, "name"u8));
        if (string.IsNullOrEmpty(kind) || string.IsNullOrEmpty(name)) return null;
        return new OwnerReference(JsonElements.Str(JsonElements.Field(chosen, "apiVersion"u8)) ?? "", kind, name);
    }
}
