using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Injector.Core.Json;

namespace Injector.Core.Injection;

/// <summary>The parts of a pod the rest of the engine reads, once <see cref="SelectionGate"/> has let it through.</summary>
/// <param name="Spec">The pod's <c>spec</c>, with at least one container, every container an object.</param>
/// <param name="Metadata">The pod's <c>metadata</c>, when it is an object.</param>
/// <param name="Annotations">The pod's annotations over its namespace's.</param>
/// <param name="Warnings">What the gate found worth a warning (an unrecognised switch value).</param>
public readonly record struct SelectedPod(JsonElement Spec, JsonElement? Metadata, EffectiveAnnotations Annotations, IReadOnlyList<string>? Warnings = null);

/// <summary>Whether a pod is injected at all (SPEC §1): a well-formed pod whose injection switch is on
/// (<see cref="InjectionSwitch"/>), that is not injected already and not on the host network.</summary>
public static class SelectionGate
{
    /// <summary>True when the pod is to be injected, with its parts in <paramref name="selected"/>; otherwise
    /// false with the skip or denial in <paramref name="refusal"/> (its reason code and message).</summary>
    public static bool TrySelect(JsonElement pod, PodContext context, bool injectDefault, out SelectedPod selected, [NotNullWhen(false)] out InjectionResult? refusal)
    {
        refusal = Check(pod, context, injectDefault, out selected);
        return refusal is null;
    }

    private static InjectionResult? Check(JsonElement pod, PodContext context, bool injectDefault, out SelectedPod selected)
    {
        selected = default;
        var metadata = JsonElements.Object(pod, "metadata"u8);
        if (JsonElements.Object(pod, "spec"u8) is not { } spec || JsonElements.Array(spec, "containers"u8) is not { } containers || containers.GetArrayLength() == 0)
            return InjectionResult.Denied(Reasons.InvalidPod, "the pod has no spec.containers");
        if (WrongKind(pod, metadata, spec) is { } wrongKind)
            return InjectionResult.Denied(Reasons.InvalidPod, wrongKind);
        if ((NotAnObject(spec, "containers") ?? NotAnObject(spec, "initContainers")) is { } notAnObject)
            return InjectionResult.Denied(Reasons.InvalidPod, notAnObject);
        if (!JsonElements.TryReadStringMap(JsonElements.Field(metadata, "annotations"u8), out var podAnnotations))
            return InjectionResult.Denied(Reasons.InvalidPod, "metadata.annotations must map strings to strings");
        var annotations = new EffectiveAnnotations(podAnnotations, context.NamespaceAnnotations);

        var decision = InjectionSwitch.Decide(annotations, context.NamespaceLabels, injectDefault);
        IReadOnlyList<string> warnings = decision.Warning is null ? [] : [decision.Warning];
        if (!decision.Inject)
            return InjectionResult.Skipped(decision.SkipReason!, decision.Message, warnings);
        if (podAnnotations.ContainsKey(AnnotationKeys.Status) || HasContainer(spec, PodInjector.EnvoyName) || HasContainer(spec, PodInjector.ProxyInitName))
            return InjectionResult.Skipped(Reasons.AlreadyInjected, "the pod is already injected", warnings);
        if (JsonElements.Bool(JsonElements.Field(spec, "hostNetwork"u8)) == true)
            return InjectionResult.Skipped(Reasons.HostNetwork, "the pod uses the host network; redirecting its traffic would capture the node's", warnings);

        selected = new SelectedPod(spec, metadata, annotations, warnings);
        return null;
    }

    /// <summary>Whether a container or init container of the pod has this name.</summary>
    internal static bool HasContainer(JsonElement spec, string name) =>
        ContainsNamed(spec, "containers"u8, name) || ContainsNamed(spec, "initContainers"u8, name);

    private static bool ContainsNamed(JsonElement spec, ReadOnlySpan<byte> list, string name)
    {
        foreach (var item in JsonElements.Items(spec, list))
        {
            if (JsonElements.IsString(JsonElements.Field(item, "name"u8), name)) return true;
        }
        return false;
    }

    // The fields the engine adds to must be of their kind (or absent): writing into a field of another kind
    // would replace the user's value instead of adding to it. The API server never sends such a pod (it
    // decodes pods into their type first), but a manifest given to the command-line tool may hold one.
    private static string? WrongKind(JsonElement pod, JsonElement? metadata, JsonElement spec)
    {
        foreach (var (parent, path, name, list) in (ReadOnlySpan<(JsonElement?, string, string, bool)>)[
                     (pod, "", "metadata", false),
                     (metadata, "metadata.", "annotations", false),
                     (spec, "spec.", "initContainers", true),
                     (spec, "spec.", "volumes", true),
                     (spec, "spec.", "imagePullSecrets", true),
                     (spec, "spec.", "securityContext", false)])
        {
            if (JsonElements.Field(parent, name) is not { } value || value.ValueKind == (list ? JsonValueKind.Array : JsonValueKind.Object)) continue;
            return $"{path}{name} must be {(list ? "a list" : "an object")}";
        }
        return null;
    }

    // Containers the engine reads by name must be objects; anything else is a malformed pod.
    private static string? NotAnObject(JsonElement spec, string list)
    {
        var index = 0;
        foreach (var item in JsonElements.Items(spec, list))
        {
            if (item.ValueKind != JsonValueKind.Object) return $"spec.{list}[{index}] must be an object";
            index++;
        }
        return null;
    }
}
