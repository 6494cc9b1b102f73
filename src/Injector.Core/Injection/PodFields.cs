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

    /// <summary>The members an edit of the pod starts from (<see cref="PodPlacement"/>), each as found: <c>default</c>
    /// when absent, JSON <c>null</c> kept (the edit replaces it).</summary>
    internal JsonElement FoundMetadata => _metadata;
    internal JsonElement FoundSpec => _spec;
    internal JsonElement FoundAnnotations => _annotations;
    internal JsonElement FoundContainers => _containers;
    internal JsonElement FoundInitContainers => _initContainers;
    internal JsonElement FoundVolumes => _volumes;
    internal JsonElement FoundImagePullSecrets => _imagePullSecrets;
    internal JsonElement FoundSecurityContext => _securityContext;

    /// <summary>The metadata when it is an object.</summary>
    public JsonElement? MetadataObject => Metadata is { ValueKind: JsonValueKind.Object } metadata ? metadata : null;

    /// <summary>The spec when it is an object.</summary>
    public JsonElement? SpecObject => Spec is { ValueKind: JsonValueKind.Object } spec ? spec : null;

    /// <summary>The members of the pod, its metadata and its spec that the fields hold, in the order their values are
    /// picked into (the parse's duplicate-key check picks the same lists, <see cref="Admission.AdmissionReview"/>).</summary>
    internal static readonly byte[][] PodMembers = ["metadata"u8.ToArray(), "spec"u8.ToArray()];
    internal static readonly byte[][] MetadataMembers = ["annotations"u8.ToArray(), "labels"u8.ToArray(), "ownerReferences"u8.ToArray(), "name"u8.ToArray(), "namespace"u8.ToArray()];
    internal static readonly byte[][] SpecMembers = ["securityContext"u8.ToArray(), "containers"u8.ToArray(), "initContainers"u8.ToArray(), "volumes"u8.ToArray(), "imagePullSecrets"u8.ToArray(), "hostNetwork"u8.ToArray()];

    public static PodFields Read(JsonElement pod)
    {
        var picked = new PickedValues();
        Span<JsonElement> found = picked;
        Pick(pod, PodMembers, found);
        var (metadata, spec) = (found[0], found[1]);
        found.Clear();
        Pick(metadata, MetadataMembers, found);
        var (annotations, labels, owners, podName, @namespace) = (found[0], found[1], found[2], found[3], found[4]);
        found.Clear();
        Pick(spec, SpecMembers, found);
        return new PodFields(pod, metadata, spec, podName, @namespace, annotations, labels, owners, found[1], found[2], found[3], found[4], found[0], found[5]);
    }

    // found[i] gets the value of names[i] (the last of a name written twice, as a lookup finds it); nothing when obj is
    // not an object.
    private static void Pick(JsonElement obj, ReadOnlySpan<byte[]> names, Span<JsonElement> found)
    {
        if (obj.ValueKind != JsonValueKind.Object) return;
        foreach (var property in obj.EnumerateObject())
        {
            var name = new PropertyName(property);
            for (var i = 0; i < names.Length; i++)
            {
                if (!name.Is(names[i])) continue;
                found[i] = property.Value;
                break;
            }
        }
    }

    /// <summary>The fields from the members picked elsewhere (the parse's duplicate-key check reads these objects
    /// anyway): each as found, <c>default</c> when absent; those of a metadata or spec that is not an object must be
    /// <c>default</c>.</summary>
    internal PodFields(
        JsonElement pod, JsonElement metadata, JsonElement spec, JsonElement name, JsonElement @namespace, JsonElement annotations, JsonElement labels,
        JsonElement owners, JsonElement containers, JsonElement initContainers, JsonElement volumes, JsonElement pullSecrets, JsonElement securityContext,
        JsonElement hostNetwork)
    {
        Pod = pod;
        (_metadata, _spec, _name, _namespace, _annotations, _labels, _ownerReferences) = (metadata, spec, name, @namespace, annotations, labels, owners);
        (_containers, _initContainers, _volumes, _imagePullSecrets, _securityContext, _hostNetwork) = (containers, initContainers, volumes, pullSecrets, securityContext, hostNetwork);
    }
}
