namespace Injector.Core.Injection;

/// <summary>The <c>appmesh.k8s.aws/</c> annotation and label keys the injector reads and writes. See
/// <see href="https://kubernetes.io/docs/concepts/overview/working-with-objects/annotations/">annotations</see>.</summary>
public static class AnnotationKeys
{
    public const string Prefix = "appmesh.k8s.aws/";

    public const string SidecarInjectorWebhook = Prefix + "sidecarInjectorWebhook";
    public const string Mesh = Prefix + "mesh";
    public const string VirtualNode = Prefix + "virtualNode";
    public const string Ports = Prefix + "ports";
    public const string EgressIgnoredPorts = Prefix + "egressIgnoredPorts";
    public const string EgressIgnoredIPs = Prefix + "egressIgnoredIPs";
    public const string CpuRequest = Prefix + "cpuRequest";
    public const string MemoryRequest = Prefix + "memoryRequest";
    public const string CpuLimit = Prefix + "cpuLimit";
    public const string MemoryLimit = Prefix + "memoryLimit";
    public const string Preview = Prefix + "preview";
    public const string SecretMounts = Prefix + "secretMounts";
    public const string VolumeMounts = Prefix + "volumeMounts";
    public const string SidecarEnv = Prefix + "sidecarEnv";
    public const string SidecarImage = Prefix + "sidecarImage";
    public const string SidecarLogLevel = Prefix + "sidecarLogLevel";
    public const string AppMeshCni = Prefix + "appmeshCNI";
    public const string Ipv6 = Prefix + "ipv6";
    public const string NativeSidecar = Prefix + "nativeSidecar";
    public const string SidecarEnvJson = Prefix + "sidecarEnvJson";
    public const string XrayAgentConfigMount = Prefix + "xrayAgentConfigMount";
    /// <summary>The controller's per-pod switch of the SPIRE socket mount (<c>disabled</c> turns it off).</summary>
    public const string Sds = Prefix + "sds";
    /// <summary>After the App Mesh service: the xDS management server Envoy connects to (SPEC §10).</summary>
    public const string XdsEndpoint = Prefix + "xdsEndpoint";
    public const string SigningName = Prefix + "signingName";
    public const string ResourceCluster = Prefix + "resourceCluster";

    /// <summary>Written by the injector: what it added, as JSON.</summary>
    public const string Status = Prefix + "sidecarInjectorStatus";

    // Written in CNI mode for the App Mesh CNI plugin.
    public const string ProxyEgressPort = Prefix + "proxyEgressPort";
    public const string ProxyIngressPort = Prefix + "proxyIngressPort";
    public const string IgnoredUid = Prefix + "ignoredUID";

    /// <summary>Annotations the App Mesh controller reads for virtual gateways, backend groups and Cloud Map;
    /// they mean nothing to this injector but are not misspellings either, so they draw no warning.</summary>
    public static readonly IReadOnlyList<string> ControllerOnlyKeys =
        [Prefix + "virtualGatewaySkipImageOverride", Prefix + "ignoredGID"];

    /// <summary>Label EKS puts on pods scheduled on Fargate; such pods get CNI mode.</summary>
    public const string FargateProfileLabel = "eks.amazonaws.com/fargate-profile";

    /// <summary>Keys users may set; anything else under the prefix draws a warning.</summary>
    public static readonly IReadOnlyList<string> UserKeys =
    [
        SidecarInjectorWebhook, Mesh, VirtualNode, Ports, EgressIgnoredPorts, EgressIgnoredIPs,
        CpuRequest, MemoryRequest, CpuLimit, MemoryLimit, Preview, SecretMounts, VolumeMounts,
        SidecarEnv, SidecarImage, SidecarLogLevel, AppMeshCni, Ipv6, NativeSidecar, SidecarEnvJson, XrayAgentConfigMount, Sds,
        XdsEndpoint, SigningName, ResourceCluster,
    ];

    private static readonly HashSet<string> Known = [.. UserKeys, .. ControllerOnlyKeys, Status, ProxyEgressPort, ProxyIngressPort, IgnoredUid];

    public static bool IsKnown(string key) => Known.Contains(key);
}
