using System.Text.Json;
using Injector.Core.Json;

namespace Injector.Core.Injection;

/// <summary>The members of a pod the engine reads (the gate, the plan, the workload's name), read once: the pod, its
/// metadata and its spec each in one pass over their properties, rather than a lookup (a scan of the object) per
/// member per reader. Each is as <see cref="JsonElements.Field(JsonElement?, ReadOnlySpan{byte})"/> gives it: null
/// when absent or JSON <c>null</c>, of any other kind as written; a member of the metadata or spec is null when
/// that is not an object.</summary>
internal readonly struct PodFields
{
    public JsonElement Pod { get; private init; }
    public JsonElement? Metadata { get; private init; }
    public JsonElement? Spec { get; private init; }
    public JsonElement? Name { get; private init; }
    public JsonElement? Namespace { get; private init; }
    public JsonElement? Annotations { get; private init; }
    public JsonElement? Labels { get; private init; }
    public JsonElement? OwnerReferences { get; private init; }
    public JsonElement? Containers { get; private init; }
    public JsonElement? InitContainers { get; private init; }
    public JsonElement? Volumes { get; private init; }
    public JsonElement? ImagePullSecrets { get; private init; }
    public JsonElement? SecurityContext { get; private init; }
    public JsonElement? HostNetwork { get; private init; }

    /// <summary>The metadata when it is an object.</summary>
    public JsonElement? MetadataObject => Metadata is { ValueKind: JsonValueKind.Object } metadata ? metadata : null;

    /// <summary>The spec when it is an object.</summary>
    public JsonElement? SpecObject => Spec is { ValueKind: JsonValueKind.Object } spec ? spec : null;

    public static PodFields Read(JsonElement pod)
    {
        JsonElement metadata = default, spec = default;
        if (pod.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in pod.EnumerateObject())
            {
                var name = new PropertyName(property);
                if (name.Is("metadata"u8)) metadata = property.Value;
                else if (name.Is("spec"u8)) spec = property.Value;
            }
        }
        JsonElement podName = default, @namespace = default, annotations = default, labels = default, owners = default;
        if (metadata.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in metadata.EnumerateObject())
            {
                var name = new PropertyName(property);
                if (name.Is("name"u8)) podName = property.Value;
                else if (name.Is("namespace"u8)) @namespace = property.Value;
                else if (name.Is("annotations"u8)) annotations = property.Value;
                else if (name.Is("labels"u8)) labels = property.Value;
                else if (name.Is("ownerReferences"u8)) owners = property.Value;
            }
        }
        JsonElement containers = default, initContainers = default, volumes = default, pullSecrets = default, securityContext = default, hostNetwork = default;
        if (spec.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in spec.EnumerateObject())
            {
                var name = new PropertyName(property);
                if (name.Is("containers"u8)) containers = property.Value;
                else if (name.Is("initContainers"u8)) initContainers = property.Value;
                else if (name.Is("volumes"u8)) volumes = property.Value;
                else if (name.Is("imagePullSecrets"u8)) pullSecrets = property.Value;
                else if (name.Is("securityContext"u8)) securityContext = property.Value;
                else if (name.Is("hostNetwork"u8)) hostNetwork = property.Value;
            }
        }
        return new PodFields
        {
            Pod = pod,
            Metadata = JsonElements.Present(metadata),
            Spec = JsonElements.Present(spec),
            Name = JsonElements.Present(podName),
            Namespace = JsonElements.Present(@namespace),
            Annotations = JsonElements.Present(annotations),
            Labels = JsonElements.Present(labels),
            OwnerReferences = JsonElements.Present(owners),
            Containers = JsonElements.Present(containers),
            InitContainers = JsonElements.Present(initContainers),
            Volumes = JsonElements.Present(volumes),
            ImagePullSecrets = JsonElements.Present(pullSecrets),
            SecurityContext = JsonElements.Present(securityContext),
            HostNetwork = JsonElements.Present(hostNetwork),
        };
    }
}
