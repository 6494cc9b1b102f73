using System.Runtime.InteropServices;
using System.Text;
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
    /// <remarks>The usual pod's answer comes without an async method's machinery (the state machine, the execution
    /// context saved and restored).</remarks>
    internal static ValueTask<WorkloadName> ResolveAsync(PodFields pod, string @namespace, IOwnerLookup? lookup, CancellationToken cancellationToken) =>
        DeploymentOf(pod) is { } deployment ? ValueTask.FromResult(deployment) : ResolveOwnerAsync(pod, @namespace, lookup, cancellationToken);

    private static async ValueTask<WorkloadName> ResolveOwnerAsync(PodFields pod, string @namespace, IOwnerLookup? lookup, CancellationToken cancellationToken)
    {
        var owner = ControllerIn(pod.OwnerReferences);
        if (owner is null) return new WorkloadName(JsonElements.Str(pod.Name), "Pod");

        switch (owner.Kind)
        {
            case "ReplicaSet":
                // Not named after a Deployment and the pod's hash (DeploymentOf): its owner, if any, names the workload.
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
        if (ControllerElement(ownerReferences) is not { } chosen) return null;
        var kind = JsonElements.Str(JsonElements.Field(chosen, "kind"u8));
        var name = JsonElements.Str(JsonElements.Field(chosen, "name"u8));
        if (string.IsNullOrEmpty(kind) || string.IsNullOrEmpty(name)) return null;
        return new OwnerReference(JsonElements.Str(JsonElements.Field(chosen, "apiVersion"u8)) ?? "", kind, name);
    }

    // The owner reference that is the controller, else the first; null when there is none.
    private static JsonElement? ControllerElement(JsonElement? ownerReferences)
    {
        if (ownerReferences is not { ValueKind: JsonValueKind.Array } refs || refs.GetArrayLength() == 0) return null;
        foreach (var reference in refs.EnumerateArray())
        {
            if (JsonElements.Bool(JsonElements.Field(reference, "controller"u8)) == true) return reference;
        }
        return refs[0];
    }

    /// <summary>A Deployment's pod: its controller is a ReplicaSet named after the Deployment, a "-" and the pod's
    /// <c>pod-template-hash</c> label, so the Deployment is named without asking the API. Null for any other pod. Read
    /// from the UTF-8, without strings for the owner's kind and name or the hash, and the same answer as last time when
    /// the Deployment's name is the same; names written with escapes are compared as text.</summary>
    private static WorkloadName? DeploymentOf(PodFields pod)
    {
        if (ControllerElement(pod.OwnerReferences) is not { } owner) return null;
        if (JsonElements.Field(owner, "kind"u8) is not { ValueKind: JsonValueKind.String } kind || !kind.ValueEquals("ReplicaSet"u8)) return null;
        if (JsonElements.Field(owner, "name"u8) is not { ValueKind: JsonValueKind.String } nameElement) return null;
        if (JsonElements.Field(pod.Labels, PodTemplateHashLabelUtf8) is not { ValueKind: JsonValueKind.String } hashElement) return null;
        var name = Unquoted(nameElement);
        var hash = Unquoted(hashElement);
        if (hash.Contains((byte)'\\') || name.Contains((byte)'\\'))
        {
            var nameText = nameElement.GetString()!;
            var hashText = hashElement.GetString()!;
            return IsNamedAfter(nameText.AsSpan(), hashText.AsSpan(), '-') ? new WorkloadName(nameText[..^(hashText.Length + 1)], "Deployment") : null;
        }
        if (!IsNamedAfter(name, hash, (byte)'-')) return null;
        var deployment = name[..^(hash.Length + 1)];
        if (Volatile.Read(ref s_deployment) is { } last && deployment.SequenceEqual(last.Item1)) return last.Item2;
        var workload = new WorkloadName(Encoding.UTF8.GetString(deployment), "Deployment");
        Volatile.Write(ref s_deployment, Tuple.Create(deployment.ToArray(), workload));
        return workload;
    }

    // A ReplicaSet's name made from a Deployment's: a hash, and a name longer than "-" and the hash that ends with them.
    private static bool IsNamedAfter<T>(ReadOnlySpan<T> name, ReadOnlySpan<T> hash, T dash) where T : IEquatable<T> =>
        !hash.IsEmpty && name.Length > hash.Length + 1 && name.EndsWith(hash) && name[^(hash.Length + 1)].Equals(dash);

    // The last Deployment named, with its name's UTF-8 (one slot for the process, read without a lock).
    private static Tuple<byte[], WorkloadName>? s_deployment;

    // PodTemplateHashLabel as UTF-8.
    private static ReadOnlySpan<byte> PodTemplateHashLabelUtf8 => "pod-template-hash"u8;

    // A string element's UTF-8 as written, between its quotes (escapes not undone).
    private static ReadOnlySpan<byte> Unquoted(JsonElement text) => JsonMarshal.GetRawUtf8Value(text)[1..^1];
}
