using System.Text.Json.Nodes;
using Injector.Core.Admission;
using Injector.Core.Injection;
using Injector.Core.Json;
using Injector.Core.Naming;

namespace Injector.Manifests;

/// <summary>What happened to one resource of a manifest.</summary>
public enum ResourceOutcome { Injected, Skipped, PassedThrough, Failed, Uninjected }

/// <summary>The result for one resource (a document, or one item of a <c>List</c>).</summary>
public sealed record ResourceResult
{
    public required ResourceOutcome Outcome { get; init; }
    public string? Kind { get; init; }
    public string? Name { get; init; }
    /// <summary>The namespace the pods would run in: the document's, else the default one.</summary>
    public string? Namespace { get; init; }
    /// <summary>A reason code from <see cref="Reasons"/> (empty when passed through).</summary>
    public string Reason { get; init; } = "";
    public string Message { get; init; } = "";
    public IReadOnlyList<string> Warnings { get; init; } = [];
    public string? Mesh { get; init; }
    public string? VirtualNode { get; init; }
    /// <summary>Path from the resource to its pod template (empty for a Pod); null when the kind has none.</summary>
    public IReadOnlyList<string>? TemplatePath { get; init; }
    /// <summary>The operations that turn the input resource into the output one (paths relative to the resource).</summary>
    public IReadOnlyList<PatchOperation> Patch { get; init; } = [];
    /// <summary>The engine's answer for the pod template, when the engine ran.</summary>
    public InjectionResult? Injection { get; init; }
    /// <summary>Whether the webhook configuration would send the namespace's pods to the injector at all.</summary>
    public NamespaceSelection? Selection { get; init; }
    /// <summary>The resource as read.</summary>
    public JsonNode? Input { get; init; }
    /// <summary>The resource as written (the input itself unless injected).</summary>
    public JsonNode? Output { get; init; }
}

/// <summary>The result for one document: the document to write and one result per resource in it.</summary>
public sealed record DocumentResult(JsonNode? Output, IReadOnlyList<ResourceResult> Resources)
{
    public bool Changed => Resources.Any(r => r.Outcome is ResourceOutcome.Injected or ResourceOutcome.Uninjected);
}

/// <summary>How manifests are read when there is no admission request to say it.</summary>
public sealed record ManifestOptions
{
    /// <summary>Namespace of resources whose metadata names none (<c>--namespace</c>, else <c>default</c>).</summary>
    public string DefaultNamespace { get; init; } = "default";

    /// <summary>What is known of namespaces (Namespace documents of the input, flags, the cluster), by name.</summary>
    public IReadOnlyDictionary<string, NamespaceInfo> Namespaces { get; init; } = new Dictionary<string, NamespaceInfo>();

    /// <summary>Whether the webhook configuration sends a namespace's pods to the injector; null: always, as
    /// far as this run can tell.</summary>
    public Func<string, NamespaceSelection>? Selection { get; init; }

    /// <summary>Why the webhook configuration never sends this pod (a pod template or a bare pod) although the
    /// engine would inject it — an opt-out label, the injector's own pods; null: it is sent.</summary>
    public Func<JsonObject, NamespaceSelection?>? PodSelection { get; init; }

    /// <summary>The cluster runs Kubernetes ≥ 1.29 (what <c>--sidecar-mode auto</c> asks).</summary>
    public bool NativeSidecarsSupported { get; init; }

    /// <summary>The engine's context for a pod of <paramref name="namespace"/>: that namespace's labels and
    /// annotations as far as they are known here (<see cref="Namespaces"/>), as the webhook has them.</summary>
    /// <param name="namespace">The namespace the pod runs in.</param>
    /// <param name="workload">The pod's top controller; null: the pod's own name.</param>
    /// <param name="kind">The kind of that controller, when known.</param>
    public PodContext ContextFor(string @namespace, string? workload = null, string? kind = null)
    {
        var known = Namespaces.GetValueOrDefault(@namespace);
        return new PodContext(@namespace, workload, known?.Annotations, NativeSidecarsSupported)
        {
            NamespaceLabels = known?.Labels ?? PodContext.NoLabels,
            WorkloadKind = kind,
        };
    }
}

/// <summary>Injects the pod templates of Kubernetes manifests with the same engine, and the same names, as
/// the webhook: a workload's pods are injected as the webhook would inject them when the workload creates
/// them, and not at all in a namespace the webhook configuration does not select.</summary>
public sealed class ManifestInjector(PodInjector injector, ManifestOptions? options = null) : IDocumentTransform
{
    private readonly ManifestOptions _options = options ?? new ManifestOptions();

    public PodInjector Injector { get; } = injector;

    public DocumentResult Apply(JsonNode? document) => InjectDocument(document);

    /// <summary>Injects every workload of a document (the document itself, or the items of a list). The input is not modified.</summary>
    public DocumentResult InjectDocument(JsonNode? document) => ResourceWalk.Document(document, InjectResource);

    /// <summary>Everything about the pod template of one resource, for the command's <c>explain</c>.</summary>
    public (JsonObject? Pod, PodContext? Context) PodOf(JsonObject resource)
    {
        var kind = JsonNodes.Str(resource["kind"]);
        var path = PodTemplates.PathOf(resource);
        if (path is null) return (null, null);
        var @namespace = NamespaceOf(resource);
        if (path.Count == 0)
        {
            var workload = ResolvePodWorkload(resource, @namespace);
            return (resource, _options.ContextFor(@namespace, workload.Name, workload.Kind));
        }
        var template = PodTemplates.Find(resource, path);
        return template is null ? (null, null) : (PodFromTemplate(template), _options.ContextFor(@namespace, JsonNodes.Str(JsonNodes.Path(resource, "metadata", "name")), kind));
    }

    /// <summary>Whether the webhook would see pods of <paramref name="namespace"/>.</summary>
    public NamespaceSelection SelectionOf(string @namespace) =>
        _options.Selection?.Invoke(@namespace) ?? NamespaceSelection.Selected;

    private ResourceResult InjectResource(JsonObject resource)
    {
        var kind = JsonNodes.Str(resource["kind"]);
        var name = JsonNodes.Str(JsonNodes.Path(resource, "metadata", "name"));
        var @namespace = NamespaceOf(resource);
        var path = PodTemplates.PathOf(resource);
        var basic = new ResourceResult
        {
            Outcome = ResourceOutcome.PassedThrough,
            Kind = kind,
            Name = name,
            Namespace = @namespace,
            TemplatePath = path,
            Input = resource,
            Output = resource,
        };
        if (path is null) return basic;

        var selection = SelectionOf(@namespace);
        basic = basic with { Selection = selection };
        if (selection.Outcome == SelectionOutcome.NotSelected)
            return basic with { Outcome = ResourceOutcome.Skipped, Reason = selection.Reason, Message = selection.Message };
        if ((path.Count == 0 ? resource : PodTemplates.Find(resource, path)) is { } sent && _options.PodSelection?.Invoke(sent) is { } notSent)
            return basic with { Outcome = ResourceOutcome.Skipped, Reason = notSent.Reason, Message = notSent.Message, Selection = notSent };

        var warnings = new List<string>();
        InjectionResult injection;
        if (path.Count == 0)
        {
            // A bare pod: named as the webhook names it (its owner, else itself).
            var workload = ResolvePodWorkload(resource, @namespace);
            if (workload.Warning is not null) warnings.Add(workload.Warning);
            injection = Injector.Inject(resource, _options.ContextFor(@namespace, workload.Name, workload.Kind));
        }
        else
        {
            var template = PodTemplates.Find(resource, path);
            if (template is null)
            {
                return basic with
                {
                    Outcome = ResourceOutcome.Failed,
                    Reason = Reasons.InvalidPod,
                    Message = $"{kind} has no pod template at {PodTemplates.Describe(path)}",
                };
            }
            warnings.AddRange(MisplacedAnnotations(resource, path, kind!));
            // The webhook names a workload's pods after the workload: the document's own name. The pod is this
            // run's own copy, so the engine may inject into it rather than into another copy.
            injection = Injector.Inject(PodFromTemplate(template), _options.ContextFor(@namespace, name, kind), inPlace: true);
        }
        warnings.AddRange(injection.Warnings);

        var result = basic with
        {
            Reason = injection.Reason,
            Message = injection.Message,
            Warnings = warnings,
            Mesh = injection.Mesh,
            VirtualNode = injection.VirtualNode,
            Injection = injection,
        };
        switch (injection.Outcome)
        {
            case InjectionOutcome.Skipped:
                return result with { Outcome = ResourceOutcome.Skipped };
            case InjectionOutcome.Denied:
                return result with { Outcome = ResourceOutcome.Failed };
        }

        var output = path.Count == 0 ? injection.Pod!.DeepClone().AsObject() : WithTemplate(resource, path, injection.Pod!);
        return result with { Outcome = ResourceOutcome.Injected, Output = output, Patch = new LazyPatch(resource, output) };
    }

    /// <summary>The namespace the resource's pods run in: its own, else the default one.</summary>
    public string NamespaceOf(JsonObject resource) =>
        JsonNodes.Str(JsonNodes.Path(resource, "metadata", "namespace")) is { Length: > 0 } ns ? ns : _options.DefaultNamespace;

    private static WorkloadName ResolvePodWorkload(JsonObject pod, string @namespace)
    {
        // Without an owner lookup the resolver never waits.
        using var parsed = JsonElements.Parse(pod);
        var pending = WorkloadResolver.ResolveAsync(parsed.RootElement, @namespace, lookup: null, CancellationToken.None);
        return pending.IsCompleted ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
    }

    /// <summary>The pod a template stands for: the template's metadata and spec. The namespace is not
    /// copied in; it reaches the engine through the context, as the admission request's namespace does. A
    /// <c>metadata: null</c> (an empty <c>metadata:</c> line) is kept, so that the injection records that it replaced
    /// it and <c>uninject</c> writes it back.</summary>
    public static JsonObject PodFromTemplate(JsonObject template)
    {
        var pod = new JsonObject();
        if (template.TryGetPropertyValue("metadata", out var metadata)) pod["metadata"] = metadata?.DeepClone();
        pod["spec"] = template["spec"]?.DeepClone();
        return pod;
    }

    // The resource with the injected pod's metadata and spec written into its template, the rest untouched;
    // metadata that was absent is created in front of spec, where Kubernetes writes it.
    private static JsonObject WithTemplate(JsonObject resource, IReadOnlyList<string> path, JsonObject injectedPod)
    {
        var output = resource.DeepClone().AsObject();
        var parent = PodTemplates.Find(output, path.Take(path.Count - 1).ToList())!;
        var template = parent[path[^1]]!.AsObject();
        var rebuilt = new JsonObject();
        if (!template.ContainsKey("metadata")) rebuilt["metadata"] = injectedPod["metadata"]?.DeepClone();
        foreach (var (key, value) in template)
        {
            rebuilt[key] = key is "metadata" or "spec" ? injectedPod[key]?.DeepClone() : value?.DeepClone();
        }
        parent[path[^1]] = rebuilt;
        return output;
    }

    /// <summary>Warnings for <c>appmesh.k8s.aws/*</c> annotations on a workload's own metadata: the injector
    /// only reads the pod template's annotations, so these have no effect.</summary>
    public static IEnumerable<string> MisplacedAnnotations(JsonObject resource, IReadOnlyList<string> templatePath, string kind)
    {
        if (templatePath.Count == 0 || JsonNodes.Path(resource, "metadata", "annotations") is not JsonObject annotations) yield break;
        var templateAnnotations = JsonNodes.Path(PodTemplates.Find(resource, templatePath), "metadata", "annotations") as JsonObject;
        foreach (var (key, value) in annotations)
        {
            if (!key.StartsWith(AnnotationKeys.Prefix, StringComparison.Ordinal)) continue;
            if (templateAnnotations is not null && templateAnnotations.TryGetPropertyValue(key, out var same) && JsonNode.DeepEquals(same, value)) continue;
            yield return $"annotation {key} is on the {kind}'s own metadata, where the injector does not read it; move it to {string.Join('.', templatePath)}.metadata.annotations";
        }
    }
}
