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
    // Each member as found (default when absent): what a getter gives, JSON null read as absent. Kept small, as a
    // request and a selected pod carry one.
    private readonly JsonElement _metadata;
    private readonly JsonElement _spec;
    private readonly JsonElement _name;
    private readonly JsonElement _namespace;
    private readonly JsonElement _annotations;
    private readonly JsonElement _labels;
    private readonly JsonElement _ownerReferences;
    private readonly JsonElement _containers;
    private readonly JsonElement _initContainers;
    private readonly JsonElement _volumes;
    private readonly JsonElement _imagePullSecrets;
    private readonly JsonElement _securityContext;
    private readonly JsonElement _hostNetwork;

    public JsonElement Pod { get; }
    public JsonElement? Metadata => JsonElements.Present(_metadata);
    public JsonElement? Spec => JsonElements.Present(_spec);
    public JsonElement? Name => JsonElements.Present(_name);
    public JsonElement? Namespace => JsonElements.Present(_namespace);
    public JsonElement? Annotations => JsonElements.Present(_annotations);
    public JsonElement? Labels => JsonElements.Present(_labels);
    public JsonElement? OwnerReferences => JsonElements.Present(_ownerReferences);
    public JsonElement? Containers => JsonElements.Present(_containers);
    public JsonElement? InitContainers => JsonElements.Present(_initContainers);
    public JsonElement? Volumes => JsonElements.Present(_volumes);
    public JsonElement? ImagePullSecrets => JsonElements.Present(_imagePullSecrets);
    public JsonElement? SecurityContext => JsonElements.Present(_securityContext);
    public JsonElement? HostNetwork => JsonElements.Present(_hostNetwork);

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
        return From(pod, metadata, spec, podName, @namespace, annotations, labels, owners, containers, initContainers, volumes, pullSecrets, securityContext, hostNetwork);
    }

    /// <summary>The fields as picked out of the pod elsewhere (the parse's duplicate-key check reads these objects
    /// anyway): each member as found, <c>default</c> when absent; those of a metadata or spec that is not an object
    /// must be <c>default</c>.</summary>
    internal static PodFields From(
        JsonElement pod, JsonElement metadata, JsonElement spec, JsonElement name, JsonElement @namespace, JsonElement annotations, JsonElement labels,
        JsonElement owners, JsonElement containers, JsonElement initContainers, JsonElement volumes, JsonElement pullSecrets, JsonElement securityContext,
        JsonElement hostNetwork) =>
        new(pod, metadata, spec, name, @namespace, annotations, labels, owners, containers, initContainers, volumes, pullSecrets, securityContext, hostNetwork);

    private PodFields(
        JsonElement pod, JsonElement metadata, JsonElement spec, JsonElement name, JsonElement @namespace, JsonElement annotations, JsonElement labels,
        JsonElement owners, JsonElement containers, JsonElement initContainers, JsonElement volumes, JsonElement pullSecrets, JsonElement securityContext,
        JsonElement hostNetwork)
    {
        Pod = pod;
        (_metadata, _spec, _name, _namespace, _annotations, _labels, _ownerReferences) = (metadata, spec, name, @namespace, annotations, labels, owners);
        (_containers, _initContainers, _volumes, _imagePullSecrets, _securityContext, _hostNetwork) = (containers, initContainers, volumes, pullSecrets, securityContext, hostNetwork);
    }
}
