using System.Globalization;
using System.Text.Json.Nodes;
using Injector.Core.Json;

namespace Injector.Core.Injection;

/// <summary>Writes a plan into the pod's patch through a <see cref="JsonEdit"/>, which records each change as a
/// patch operation: where each container goes (classic or native), the added volumes, the pod's security
/// context and pull secret, and the annotations (names, CNI settings, status).</summary>
internal static class PodPlacement
{
    /// <summary>Writes <paramref name="plan"/> through <paramref name="edit"/> (an edit of <paramref name="selected"/>'s
    /// pod, starting from its members and annotations as the gate found them: no object is scanned for them again); with <paramref name="writeOnly"/>
    /// the added containers and the status are values written only when the patch is (<see cref="DeferredJson"/>), for a caller that keeps
    /// only the patch.</summary>
    public static void Apply(InjectionPlan plan, JsonEdit edit, SelectedPod selected, bool writeOnly = false)
    {
        var s = plan.Settings;
        var pod = selected.Fields;
        var podSpec = edit.Object(edit.Root, "spec", pod.FoundSpec);
        var meta = edit.Object(edit.Root, "metadata", pod.FoundMetadata);
        // Lists per thread, reused (what is added goes into the edit; the status reads the names): proxyinit; envoy
        // and the X-Ray daemon. Emptied again at the end, so as not to hold the containers.
        var scratch = t_scratch ??= new Scratch();
        var (initContainers, sidecars) = (scratch.InitContainers, scratch.Sidecars);
        initContainers.Clear();
        sidecars.Clear();

        if (!plan.Cni) initContainers.Add((PodInjector.ProxyInitName, SidecarRenderer.ProxyInit(plan, writeOnly)));
        sidecars.Add((PodInjector.EnvoyName, SidecarRenderer.Envoy(plan, writeOnly)));
        // A pod never gets two containers of one name (the API server refuses it): a taken name is not added again.
        if (plan.AddXrayDaemon) sidecars.Add((PodInjector.XrayName, SidecarRenderer.Xray(plan, writeOnly)));
        else if (s.EnableXrayTracing)
            plan.Warnings.Add($"the pod already has a container named {PodInjector.XrayName}; the X-Ray daemon is not added again (Envoy still reports to port {s.XrayDaemonPort})");

        if (plan.Native)
        {
            // proxyinit, then the sidecars (ready before anything else starts), then the user's init containers.
            var list = edit.Array(podSpec, "initContainers", pod.FoundInitContainers);
            var index = 0;
            foreach (var (_, container) in initContainers.Concat(sidecars)) edit.Insert(list, index++, container);
        }
        else
        {
            // proxyinit last, so that the user's init containers still have plain networking.
            if (initContainers.Count > 0)
            {
                var list = edit.Array(podSpec, "initContainers", pod.FoundInitContainers);
                foreach (var (_, container) in initContainers) edit.Append(list, container);
            }
            var containers = edit.Array(podSpec, "containers", pod.FoundContainers);
            foreach (var (name, sidecar) in sidecars)
            {
                // --wait-until-proxy-ready: the kubelet starts containers in order, each after the previous one's
                // postStart hook, so Envoy goes first (envoy.go mutate).
                if (name == PodInjector.EnvoyName && s.WaitUntilProxyReady) edit.Insert(containers, 0, sidecar);
                else edit.Append(containers, sidecar);
            }
        }

        var addedVolumes = NoVolumes;
        if (plan.Overrides.SecretMounts.Count > 0 || plan.AddSdsVolume)
        {
            addedVolumes = [];
            var volumes = edit.Array(podSpec, "volumes", pod.FoundVolumes);
            foreach (var mount in plan.Overrides.SecretMounts)
            {
                edit.Append(volumes, new JsonObject { ["name"] = mount.Name, ["secret"] = new JsonObject { ["secretName"] = mount.Name } });
                addedVolumes.Add(mount.Name);
            }
            if (plan.AddSdsVolume)
            {
                // The SPIRE agent's socket on the node (utils.go mutateSDSMounts).
                edit.Append(volumes, new JsonObject
                {
                    ["name"] = PodInjector.SdsVolumeName,
                    ["hostPath"] = new JsonObject { ["path"] = s.SdsUdsPath, ["type"] = "Socket" },
                });
                addedVolumes.Add(PodInjector.SdsVolumeName);
            }
        }

        if (s.EnableIamForServiceAccounts)
        {
            var securityContext = edit.Object(podSpec, "securityContext", pod.FoundSecurityContext);
            if (!JsonEdit.Has(securityContext, "fsGroup")) edit.Set(securityContext, "fsGroup", PodInjector.ProxyUid);
        }
        var addedSecret = false;
        if (s.EnableEcrSecret)
        {
            var secrets = edit.Array(podSpec, "imagePullSecrets", pod.FoundImagePullSecrets);
            if (!JsonEdit.HasNamed(secrets, PodInjector.EcrSecretName))
            {
                edit.Append(secrets, new JsonObject { ["name"] = PodInjector.EcrSecretName });
                addedSecret = true;
            }
        }

        var annotations = edit.Object(meta, "annotations", pod.FoundAnnotations);
        Annotate(AnnotationKeys.Mesh, plan.Mesh);
        Annotate(AnnotationKeys.VirtualNode, plan.VirtualNode);
        if (plan.Cni)
        {
            Annotate(AnnotationKeys.Ports, plan.AppPorts);
            Annotate(AnnotationKeys.EgressIgnoredIPs, plan.EgressIgnoredIps);
            Annotate(AnnotationKeys.EgressIgnoredPorts, plan.EgressIgnoredPorts);
            Annotate(AnnotationKeys.ProxyEgressPort, PodInjector.EgressPort.ToString(CultureInfo.InvariantCulture));
            Annotate(AnnotationKeys.ProxyIngressPort, PodInjector.IngressPort.ToString(CultureInfo.InvariantCulture));
            Annotate(AnnotationKeys.IgnoredUid, PodInjector.ProxyUid.ToString(CultureInfo.InvariantCulture));
            Annotate(AnnotationKeys.SidecarInjectorWebhook, "enabled");
        }
        var record = new InjectionRecord(Added(edit, scratch.Added), edit.Replaced, addedSecret);
        Annotate(AnnotationKeys.Status, SidecarRenderer.Status(plan.Native, initContainers, sidecars, addedVolumes, record, writeOnly));
        initContainers.Clear();
        sidecars.Clear();

        // The gate read every appmesh.k8s.aws/* annotation of the pod: one it did not see is absent from the input
        // (most pods have none), and is added without a scan of the annotations.
        void Annotate(string key, JsonNode value)
        {
            if (selected.Annotations.PodHas(key)) edit.Set(annotations, key, value);
            else edit.Set(annotations, key, value, default);
        }
    }

    // One per thread (read once per pod: each thread-static read is a call into the runtime).
    [ThreadStatic] private static Scratch? t_scratch;

    private sealed class Scratch
    {
        public List<(string Name, JsonNode Container)> InitContainers { get; } = new(1);
        public List<(string Name, JsonNode Container)> Sidecars { get; } = new(2);
        public List<string> Added { get; } = [];
    }

    // No volumes added (most pods): one empty list, only read.
    private static readonly List<string> NoVolumes = [];

    /// <summary>The fields this injection created (new object keys, and the keys inside objects it created),
    /// in document order; elements added to existing lists are not among them (the status names them).</summary>
    /// <remarks>Into <paramref name="added"/>, emptied first: a list per thread, reused (the record lives only while the
    /// status is written from it).</remarks>
    private static List<string> Added(JsonEdit edit, List<string> added)
    {
        added.Clear();
        foreach (var (op, _) in edit.InDocumentOrder())
        {
            if (op.Op != "add" || IsIndex(op.Path.AsSpan(op.Path.LastIndexOf('/') + 1))) continue;
            AddWithChildren(added, op.Path, op.Value);
        }
        return added;

        static void AddWithChildren(List<string> added, string pointer, JsonNode? value)
        {
            added.Add(pointer);
            if (value is not JsonObject obj) return;
            foreach (var (key, child) in obj) AddWithChildren(added, pointer + "/" + JsonPatch.EscapeToken(key), child);
        }

        static bool IsIndex(ReadOnlySpan<char> token) => token.Length > 0 && (token is "-" || int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out _));
    }
}

/// <summary>What an injection changed besides the containers and volumes it names: the fields it created,
/// the values it replaced (pointer and previous value) and whether it added the ECR pull secret.</summary>
internal readonly record struct InjectionRecord(IReadOnlyList<string> Added, IReadOnlyList<(string Pointer, JsonNode? Old)> Replaced, bool AddedPullSecret);
