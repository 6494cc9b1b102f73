using System.Text.Json;
using System.Text.Json.Nodes;
using Injector.Core.Injection;
using Injector.Core.Json;

namespace Injector.Manifests;

/// <summary>What undoing the injection of one pod (or pod template) did.</summary>
/// <param name="Outcome">Uninjected, Skipped (nothing injected) or Failed.</param>
/// <param name="Reason">A reason code: <c>uninjected</c>, <c>not-injected</c>, <c>invalid-status</c>.</param>
/// <param name="Message">What was removed, or why nothing was.</param>
/// <param name="Pod">The pod without what was injected (only when uninjected).</param>
/// <param name="Warnings">What was left in place because it cannot be told apart from the user's own.</param>
public sealed record UninjectResult(ResourceOutcome Outcome, string Reason, string Message, JsonObject? Pod, IReadOnlyList<string> Warnings);

/// <summary>Removes what an App Mesh injector added to a pod. With this injector's status annotation it
/// removes exactly what that annotation records (the containers, init containers, volumes and pull secret
/// it names, the fields it created, the values it replaced), so that an injected manifest comes back as it
/// was. Pods injected by the App Mesh controller or the archived aws-app-mesh-inject carry no such record:
/// their sidecars are recognised by name and content (facts from the controller's pkg/inject and the old
/// injector's pkg/patch), and what cannot be told apart from the user's own is kept, with a warning.</summary>
public static class PodUninjector
{
    public const string Uninjected = "uninjected";
    public const string NotInjected = "not-injected";
    public const string InvalidStatus = "invalid-status";

    // The controller's readiness gate for virtual nodes with Cloud Map service discovery: nothing sets the
    // condition once the controller is gone, so a pod that keeps it never becomes ready.
    private const string CloudMapReadinessGate = "conditions.appmesh.k8s.aws/aws-cloudmap-healthy";

    // Init containers and volumes the controller and the old injector add for Jaeger and Datadog tracing and SDS.
    private static readonly string[] TracingInitContainers = ["inject-jaeger-config", "inject-datadog-config"];
    private static readonly string[] InjectorVolumes = ["envoy-tracing-config", PodInjector.SdsVolumeName];

    // Annotations only injectors write (CNI mode), never a user.
    private static readonly string[] InjectorOnlyAnnotations = [AnnotationKeys.ProxyEgressPort, AnnotationKeys.ProxyIngressPort, AnnotationKeys.IgnoredUid];

    /// <summary>Undoes the injection of <paramref name="pod"/> (a pod, or a pod template: metadata and spec);
    /// the input is not modified.</summary>
    public static UninjectResult Uninject(JsonObject pod)
    {
        var annotations = JsonNodes.Path(pod, "metadata", "annotations") as JsonObject;
        if (annotations?[AnnotationKeys.Status] is { } statusNode)
        {
            JsonObject? status = null;
            try
            {
                status = JsonNodes.Str(statusNode) is { } text ? JsonNode.Parse(text) as JsonObject : null;
            }
            catch (JsonException)
            {
            }
            if (status is null || !IsWellFormed(status))
                return new UninjectResult(ResourceOutcome.Failed, InvalidStatus, $"annotation {AnnotationKeys.Status} is not the JSON object this injector writes; remove the sidecars by hand", null, []);
            return FromStatus(pod, status);
        }
        return Recognised(pod);
    }

    /// <summary>Whether the status has the shape this injector (and the ones before it) writes: lists of names, the
    /// pointers it added and the values it replaced. Anything else was edited by hand, and acting on it could remove
    /// what the injection never added.</summary>
    private static bool IsWellFormed(JsonObject status)
    {
        static bool Strings(JsonNode? node) => node is null || (node is JsonArray items && items.All(i => JsonNodes.Str(i) is not null));
        static bool Pointer(string? text) => text is not null && text.StartsWith('/');
        return Strings(status["containers"]) && Strings(status["initContainers"]) && Strings(status["volumes"]) && Strings(status["imagePullSecrets"])
            && (status["added"] is null || (status["added"] is JsonArray added && added.All(a => Pointer(JsonNodes.Str(a)))))
            && (status["replaced"] is null || (status["replaced"] is JsonObject replaced && replaced.All(r => Pointer(r.Key))))
            && (status["version"] is null || JsonNodes.Str(status["version"]) is not null);
    }

    private static UninjectResult FromStatus(JsonObject input, JsonObject status)
    {
        var pod = input.DeepClone().AsObject();
        var spec = pod["spec"] as JsonObject;
        var removed = new List<string>();
        RemoveNamed(spec, "containers", Names(status["containers"]), removed, "container");
        RemoveNamed(spec, "initContainers", Names(status["initContainers"]), removed, "init container");
        RemoveNamed(spec, "volumes", Names(status["volumes"]), removed, "volume");
        RemoveNamed(spec, "imagePullSecrets", Names(status["imagePullSecrets"]), removed, "image pull secret");

        var warnings = new List<string>();
        var metadata = pod["metadata"]!.AsObject();
        metadata["annotations"]!.AsObject().Remove(AnnotationKeys.Status);
        if (status["added"] is not JsonArray added)
        {
            // Written before the status recorded the fields it created: those are left in place.
            warnings.Add($"the status annotation does not say which fields the injection created (injector version {JsonNodes.Str(status["version"]) ?? "unknown"}); the annotations {AnnotationKeys.Mesh} and {AnnotationKeys.VirtualNode} and securityContext.fsGroup are kept: remove them if you did not set them");
            RemoveAnnotations(metadata, InjectorOnlyAnnotations, removed);
            DropIfEmpty(metadata, "annotations");
            DropEmptyLists(spec);
            return Done(pod, removed, warnings);
        }

        if (status["replaced"] is JsonObject replaced)
        {
            foreach (var (pointer, old) in replaced) Set(pod, pointer, old?.DeepClone());
        }
        // Children before their parents: a created list or object goes only once nothing else is in it.
        foreach (var pointer in added.Select(JsonNodes.Str).OfType<string>().Reverse()) RemoveCreated(pod, pointer);
        return Done(pod, removed, warnings);
    }

    private static UninjectResult Recognised(JsonObject input)
    {
        var pod = input.DeepClone().AsObject();
        var spec = pod["spec"] as JsonObject;
        var removed = new List<string>();
        var warnings = new List<string>();
        if (GatewayEnvoy(spec) is { } gateway)
            return new UninjectResult(ResourceOutcome.Skipped, NotInjected, $"no sidecar from an App Mesh injector: container envoy is the Envoy of {gateway}, which the App Mesh controller configures but does not inject; it stays", null, []);
        // The X-Ray daemon and the tracing init containers come only with an injected Envoy: without one they are the user's own.
        if (!Containers(spec).Any(c => IsEnvoy(c) || IsProxyInit(c)))
            return new UninjectResult(ResourceOutcome.Skipped, NotInjected, "no sidecar from an App Mesh injector", null, []);
        if (!Containers(spec, "containers").Any(c => !IsEnvoy(c) && !IsXray(c)))
            return new UninjectResult(ResourceOutcome.Skipped, NotInjected, "no sidecar from an App Mesh injector: container envoy is the pod's only container, so it is the pod's own Envoy, not a sidecar; it stays", null, []);
        RemoveWhere(spec, "containers", c => IsEnvoy(c) || IsXray(c), removed, "container");
        RemoveWhere(spec, "initContainers", c => IsProxyInit(c) || IsEnvoy(c) || IsXray(c) || TracingInitContainers.Contains(Name(c)), removed, "init container");

        // Volumes that only the removed sidecars used: the injectors' own, and the secrets of secretMounts.
        var annotations = JsonNodes.Path(pod, "metadata", "annotations") as JsonObject;
        var secretMounts = (JsonNodes.Str(annotations?[AnnotationKeys.SecretMounts]) ?? "")
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(m => m.Split(':')[0].Trim());
        var stillMounted = MountedVolumes(spec);
        var candidates = InjectorVolumes.Concat(secretMounts).Where(v => !stillMounted.Contains(v)).ToHashSet();
        RemoveNamed(spec, "volumes", candidates, removed, "volume");
        RemoveWhere(spec, "readinessGates", g => JsonNodes.Str(JsonNodes.Field(g, "conditionType")) == CloudMapReadinessGate, removed, "readiness gate");

        if (pod["metadata"] is JsonObject metadata)
        {
            RemoveAnnotations(metadata, InjectorOnlyAnnotations, removed);
            DropIfEmpty(metadata, "annotations");
        }
        DropEmptyLists(spec);
        if (JsonNodes.Int(JsonNodes.Path(spec, "securityContext", "fsGroup")) == PodInjector.ProxyUid)
            warnings.Add($"securityContext.fsGroup {PodInjector.ProxyUid} is kept: App Mesh injectors set it when a pod had none; remove it if you did not set it");
        if (spec?["imagePullSecrets"] is JsonArray secrets && secrets.Any(s => JsonNodes.Str(JsonNodes.Field(s, "name")) == PodInjector.EcrSecretName))
            warnings.Add($"image pull secret {PodInjector.EcrSecretName} is kept: App Mesh injectors add it with their ECR secret option; remove it if your own images do not need it");
        if (string.Equals(JsonNodes.Str(annotations?[AnnotationKeys.SidecarInjectorWebhook])?.Trim(), "enabled", StringComparison.OrdinalIgnoreCase))
            warnings.Add($"annotation {AnnotationKeys.SidecarInjectorWebhook}: enabled is kept (App Mesh injectors write it in CNI mode): in a namespace still labelled for injection the pod is injected again when it is created; remove the namespace's label, or set the annotation to disabled");
        warnings.Add("no status annotation of this injector: the sidecars were recognised by name and content (App Mesh controller or aws-app-mesh-inject)");
        return Done(pod, removed, warnings);
    }

    private static UninjectResult Done(JsonObject pod, List<string> removed, List<string> warnings) =>
        new(ResourceOutcome.Uninjected, Uninjected, removed.Count == 0 ? "removed the status annotation" : "removed " + string.Join(", ", removed), pod, warnings);

    private static string? Name(JsonNode? node) => JsonNodes.Str(JsonNodes.Field(node, "name"));

    private static HashSet<string> Names(JsonNode? list) =>
        list is JsonArray array ? array.Select(JsonNodes.Str).OfType<string>().ToHashSet(StringComparer.Ordinal) : [];

    private static bool HasEnv(JsonNode? container, string name) =>
        JsonNodes.Field(container, "env") is JsonArray env && env.Any(e => Name(e) == name);

    private static string? EnvValue(JsonNode? container, string name) =>
        JsonNodes.Field(container, "env") is JsonArray env ? env.Where(e => Name(e) == name).Select(e => JsonNodes.Str(JsonNodes.Field(e, "value"))).FirstOrDefault() : null;

    private static IEnumerable<JsonNode?> Containers(JsonObject? spec, params string[] lists) =>
        (lists.Length == 0 ? ["containers", "initContainers"] : lists).SelectMany(l => spec?[l] as JsonArray ?? []);

    // A virtual gateway's Envoy is the user's own container, which the App Mesh controller only configures
    // (virtualgateway_envoy.go: APPMESH_VIRTUAL_NODE_NAME mesh/<mesh>/virtualGateway/<name>); App Mesh's
    // documentation has users name it in APPMESH_RESOURCE_ARN themselves.
    private static string? GatewayEnvoy(JsonObject? spec) =>
        Containers(spec)
            .Where(c => Name(c) == PodInjector.EnvoyName)
            .SelectMany(c => new[] { EnvValue(c, "APPMESH_VIRTUAL_NODE_NAME"), EnvValue(c, "APPMESH_RESOURCE_ARN") })
            .FirstOrDefault(v => v is not null && v.Contains("/virtualGateway/", StringComparison.Ordinal));

    // The sidecars as the App Mesh injectors write them: recognised by name and by what only they put in.
    private static bool IsEnvoy(JsonNode? c) => Name(c) == PodInjector.EnvoyName && (HasEnv(c, "APPMESH_VIRTUAL_NODE_NAME") || HasEnv(c, "APPMESH_RESOURCE_ARN"));

    private static bool IsProxyInit(JsonNode? c) => Name(c) == PodInjector.ProxyInitName && HasEnv(c, "APPMESH_START_ENABLED");

    private static bool IsXray(JsonNode? c) =>
        Name(c) == PodInjector.XrayName && JsonNodes.Field(c, "ports") is JsonArray ports && ports.Any(p => JsonNodes.Str(JsonNodes.Field(p, "name")) == PodInjector.XrayPortName);

    private static HashSet<string> MountedVolumes(JsonObject? spec)
    {
        var mounted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var list in new[] { spec?["containers"], spec?["initContainers"] })
        {
            if (list is not JsonArray containers) continue;
            foreach (var container in containers)
            {
                if (JsonNodes.Field(container, "volumeMounts") is not JsonArray mounts) continue;
                foreach (var mount in mounts)
                {
                    if (Name(mount) is { } name) mounted.Add(name);
                }
            }
        }
        return mounted;
    }

    private static void RemoveNamed(JsonObject? spec, string list, HashSet<string> names, List<string> removed, string what) =>
        RemoveWhere(spec, list, item => Name(item) is { } n && names.Contains(n), removed, what);

    private static void RemoveWhere(JsonObject? spec, string list, Func<JsonNode?, bool> match, List<string> removed, string what)
    {
        if (spec?[list] is not JsonArray array) return;
        var matching = Enumerable.Range(0, array.Count).Where(i => match(array[i])).ToList();
        removed.AddRange(matching.Select(i => $"{what} {Name(array[i]) ?? JsonNodes.Str(JsonNodes.Field(array[i], "conditionType"))}"));
        foreach (var i in Enumerable.Reverse(matching)) array.RemoveAt(i);
    }

    private static void RemoveAnnotations(JsonObject metadata, IEnumerable<string> keys, List<string> removed)
    {
        if (metadata["annotations"] is not JsonObject annotations) return;
        foreach (var key in keys)
        {
            if (annotations.Remove(key)) removed.Add($"annotation {key}");
        }
    }

    // Without a record of what was created, lists the injectors add to and leave empty are taken as theirs.
    private static void DropEmptyLists(JsonObject? spec)
    {
        foreach (var list in new[] { "initContainers", "readinessGates", "volumes" })
        {
            if (spec?[list] is JsonArray { Count: 0 }) spec.Remove(list);
        }
    }

    private static void DropIfEmpty(JsonObject parent, string key)
    {
        if (parent[key] is JsonObject { Count: 0 }) parent.Remove(key);
    }

    private static (JsonNode? Parent, string Key) Locate(JsonObject root, string pointer)
    {
        var tokens = JsonPatch.PointerTokens(pointer);
        var node = tokens.Length == 0 ? null : JsonPatch.Resolve(root, tokens[..^1]);
        return (node, tokens.Length == 0 ? "" : tokens[^1]);
    }

    private static void Set(JsonObject root, string pointer, JsonNode? value)
    {
        if (Locate(root, pointer) is (JsonObject parent, var key)) parent[key] = value;
    }

    private static void RemoveCreated(JsonObject root, string pointer)
    {
        if (Locate(root, pointer) is not (JsonObject parent, var key) || !parent.TryGetPropertyValue(key, out var node)) return;
        if (node is JsonObject { Count: > 0 } or JsonArray { Count: > 0 }) return; // something else lives there now
        parent.Remove(key);
    }
}

/// <summary>Undoes injection in manifests: the pod template of each workload (or the pod), as
/// <see cref="PodUninjector"/> does for one pod.</summary>
public sealed class ManifestUninjector : IDocumentTransform
{
    public DocumentResult Apply(JsonNode? document) => ResourceWalk.Document(document, Uninject);

    private static ResourceResult Uninject(JsonObject resource)
    {
        var kind = JsonNodes.Str(resource["kind"]);
        var path = PodTemplates.PathOf(resource);
        var basic = new ResourceResult
        {
            Outcome = ResourceOutcome.PassedThrough,
            Kind = kind,
            Name = JsonNodes.Str(JsonNodes.Path(resource, "metadata", "name")),
            Namespace = JsonNodes.Str(JsonNodes.Path(resource, "metadata", "namespace")),
            TemplatePath = path,
            Input = resource,
            Output = resource,
        };
        if (path is null) return basic;
        var template = PodTemplates.Find(resource, path);
        if (template is null) return basic with { Outcome = ResourceOutcome.Failed, Reason = Reasons.InvalidPod, Message = $"{kind} has no pod template at {PodTemplates.Describe(path)}" };

        var result = PodUninjector.Uninject(template);
        basic = basic with { Outcome = result.Outcome, Reason = result.Reason, Message = result.Message, Warnings = result.Warnings };
        if (result.Outcome != ResourceOutcome.Uninjected) return basic;
        JsonNode output = path.Count == 0 ? result.Pod! : WithTemplate(resource, path, result.Pod!);
        return basic with { Output = output, Patch = new LazyPatch(resource, output) };
    }

    private static JsonObject WithTemplate(JsonObject resource, IReadOnlyList<string> path, JsonObject template)
    {
        var output = resource.DeepClone().AsObject();
        var parent = PodTemplates.Find(output, path.Take(path.Count - 1).ToList())!;
        parent[path[^1]] = template;
        return output;
    }
}
