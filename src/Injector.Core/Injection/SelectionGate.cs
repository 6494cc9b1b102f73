using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Injector.Core.Json;

namespace Injector.Core.Injection;

/// <summary>The parts of a pod the rest of the engine reads, once <see cref="SelectionGate"/> has let it through
/// (only the gate makes one: the plan reads the members the gate read).</summary>
public readonly struct SelectedPod
{
    internal SelectedPod(PodFields fields, EffectiveAnnotations annotations, IReadOnlyList<string>? warnings) =>
        (Fields, Annotations, Warnings) = (fields, annotations, warnings);

    /// <summary>The pod's <c>spec</c>, with at least one container, every container an object.</summary>
    public JsonElement Spec => Fields.SpecObject ?? default;
    /// <summary>The pod's <c>metadata</c>, when it is an object.</summary>
    public JsonElement? Metadata => Fields.MetadataObject;
    /// <summary>The pod's annotations over its namespace's.</summary>
    public EffectiveAnnotations Annotations { get; }
    /// <summary>What the gate found worth a warning (an unrecognised switch value).</summary>
    public IReadOnlyList<string>? Warnings { get; }

    /// <summary>The members of the pod as the gate read them, for the plan to read rather than look up again.</summary>
    internal PodFields Fields { get; }
}

/// <summary>Whether a pod is injected at all (SPEC §1): a well-formed pod whose injection switch is on
/// (<see cref="InjectionSwitch"/>), that is not injected already and not on the host network.</summary>
public static class SelectionGate
{
    /// <summary>True when the pod is to be injected, with its parts in <paramref name="selected"/>; otherwise
    /// false with the skip or denial in <paramref name="refusal"/> (its reason code and message).</summary>
    public static bool TrySelect(JsonElement pod, PodContext context, bool injectDefault, out SelectedPod selected, [NotNullWhen(false)] out InjectionResult? refusal) =>
        TrySelect(PodFields.Read(pod), context, injectDefault, out selected, out refusal);

    /// <inheritdoc cref="TrySelect(JsonElement, PodContext, bool, out SelectedPod, out InjectionResult?)"/>
    internal static bool TrySelect(PodFields pod, PodContext context, bool injectDefault, out SelectedPod selected, [NotNullWhen(false)] out InjectionResult? refusal)
    {
        refusal = Check(pod, context, injectDefault, out selected);
        return refusal is null;
    }

    private static InjectionResult? Check(PodFields pod, PodContext context, bool injectDefault, out SelectedPod selected)
    {
        selected = default;
        if (pod.SpecObject is null || pod.Containers is not { ValueKind: JsonValueKind.Array } containers || containers.GetArrayLength() == 0)
            return InjectionResult.Denied(Reasons.InvalidPod, "the pod has no spec.containers");
        if (WrongKind(pod) is { } wrongKind)
            return InjectionResult.Denied(Reasons.InvalidPod, wrongKind);
        if ((NotAnObject(pod.Containers, "containers") ?? NotAnObject(pod.InitContainers, "initContainers")) is { } notAnObject)
            return InjectionResult.Denied(Reasons.InvalidPod, notAnObject);
        // Only the appmesh.k8s.aws/* keys: the engine asks for no other (EffectiveAnnotations); every value is checked.
        if (!JsonElements.TryReadStringMap(pod.Annotations, AnnotationKeys.Prefix, out var podAnnotations))
            return InjectionResult.Denied(Reasons.InvalidPod, "metadata.annotations must map strings to strings");
        var annotations = podAnnotations is null && context.NamespaceAnnotations is null or { Count: 0 }
            ? EffectiveAnnotations.None
            : new EffectiveAnnotations(podAnnotations, context.NamespaceAnnotations);

        var decision = InjectionSwitch.Decide(annotations, context.NamespaceLabels, injectDefault);
        IReadOnlyList<string> warnings = decision.Warning is null ? [] : [decision.Warning];
        if (!decision.Inject)
            return InjectionResult.Skipped(decision.SkipReason!, decision.Message, warnings);
        if (annotations.PodHas(AnnotationKeys.Status) || HasContainer(pod, PodInjector.EnvoyName) || HasContainer(pod, PodInjector.ProxyInitName))
            return InjectionResult.Skipped(Reasons.AlreadyInjected, "the pod is already injected", warnings);
        if (JsonElements.Bool(pod.HostNetwork) == true)
            return InjectionResult.Skipped(Reasons.HostNetwork, "the pod uses the host network; redirecting its traffic would capture the node's traffic", warnings);

        selected = new SelectedPod(pod, annotations, warnings);
        return null;
    }

    /// <summary>Whether a container or init container of the pod has this name.</summary>
    internal static bool HasContainer(PodFields pod, string name) =>
        ContainsNamed(pod.Containers, name) || ContainsNamed(pod.InitContainers, name);

    private static bool ContainsNamed(JsonElement? list, string name)
    {
        foreach (var item in JsonElements.Items(list))
        {
            if (JsonElements.IsString(JsonElements.Field(item, "name"u8), name)) return true;
        }
        return false;
    }

    // The fields the engine adds to must be of their kind (or absent): writing into a field of another kind
    // would replace the user's value instead of adding to it. The API server never sends such a pod (it
    // decodes pods into their type first), but a manifest given to the command-line tool may hold one.
    private static string? WrongKind(PodFields pod)
    {
        foreach (var (value, name, list) in (ReadOnlySpan<(JsonElement?, string, bool)>)[
                     (pod.Metadata, "metadata", false),
                     (pod.Annotations, "metadata.annotations", false),
                     (pod.InitContainers, "spec.initContainers", true),
                     (pod.Volumes, "spec.volumes", true),
                     (pod.ImagePullSecrets, "spec.imagePullSecrets", true),
                     (pod.SecurityContext, "spec.securityContext", false)])
        {
            if (value is not { } present || present.ValueKind == (list ? JsonValueKind.Array : JsonValueKind.Object)) continue;
            return $"{name} must be {(list ? "a list" : "an object")}";
        }
        return null;
    }

    // Containers the engine reads by name must be objects; anything else is a malformed pod.
    private static string? NotAnObject(JsonElement? items, string list)
    {
        var index = 0;
        foreach (var item in JsonElements.Items(items))
        {
            if (item.ValueKind != JsonValueKind.Object) return $"spec.{list}[{index}] must be an object";
            index++;
        }
        return null;
    }
}
