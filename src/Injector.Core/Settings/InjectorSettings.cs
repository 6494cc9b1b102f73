namespace Injector.Core.Settings;

/// <summary>How Envoy is placed in the pod. See
/// <see href="https://kubernetes.io/docs/concepts/workloads/pods/sidecar-containers/">sidecar containers</see>.</summary>
public enum SidecarMode
{
    /// <summary>Envoy is a regular container next to the application.</summary>
    Classic,
    /// <summary>Envoy is an init container with <c>restartPolicy: Always</c> (Kubernetes ≥ 1.29).</summary>
    Native,
    /// <summary>Native when the API server supports it, classic otherwise.</summary>
    Auto,
}

/// <summary>The tracer Envoy reports to; at most one may be enabled.</summary>
public enum Tracer { None, XRay, Jaeger, Datadog }

/// <summary>The engine's cluster-wide settings: what goes into an injected pod, as the flags, environment
/// and config file say (declared in <see cref="EngineOptions"/>). Defaults follow the App Mesh controller
/// so that existing App Mesh images work unchanged. How a host serves is not here (the webhook's own
/// options are its <c>WebhookOptions</c>).</summary>
public sealed record InjectorSettings
{
    public string MeshName { get; init; } = "";
    public string Region { get; init; } = "";

    public bool InjectDefault { get; init; } = true;
    public SidecarMode SidecarMode { get; init; } = SidecarMode.Auto;

    public string SidecarImage { get; init; } = "public.ecr.aws/appmesh/aws-appmesh-envoy:v1.34.13.3-prod";
    public string InitImage { get; init; } = "840364872350.dkr.ecr.us-west-2.amazonaws.com/aws-appmesh-proxy-route-manager:v7-prod";
    public string XrayImage { get; init; } = "public.ecr.aws/xray/aws-xray-daemon";

    public string SidecarCpuRequests { get; init; } = "10m";
    public string SidecarMemoryRequests { get; init; } = "32Mi";
    public string? SidecarCpuLimits { get; init; }
    public string? SidecarMemoryLimits { get; init; }
    /// <summary>proxyinit's resources; each one not set is the sidecar's (<see cref="InitResources"/>), as the
    /// controller gives proxyinit the sidecar flags' resources (inject.go).</summary>
    public string? InitCpuRequests { get; init; }
    public string? InitMemoryRequests { get; init; }
    public string? InitCpuLimits { get; init; }
    public string? InitMemoryLimits { get; init; }

    public string IgnoredIps { get; init; } = "169.254.169.254";
    public int EnvoyAdminPort { get; init; } = 9901;
    /// <summary>Empty: <c>ENVOY_ADMIN_ACCESS_LOG_FILE</c> is left out, as the controller leaves it out.</summary>
    public string EnvoyAdminAccessLogFile { get; init; } = "/tmp/envoy_admin_access.log";
    public bool EnvoyAdminAccessEnableIpv6 { get; init; }
    public string EnvoyLogLevel { get; init; } = "info";
    public bool Preview { get; init; }
    public int PrestopDelay { get; init; } = 20;
    public int ReadinessProbeInitialDelay { get; init; } = 1;
    public int ReadinessProbePeriod { get; init; } = 10;
    /// <summary>Envoy first among the containers, with a postStart hook that waits until it is ready.</summary>
    public bool WaitUntilProxyReady { get; init; }
    public int PostStartTimeout { get; init; } = 180;
    public int PostStartInterval { get; init; } = 5;
    public bool EnableSds { get; init; }
    public string SdsUdsPath { get; init; } = "/run/spire/sockets/agent.sock";
    public bool DualStackEndpoint { get; init; }
    public bool FipsEndpoint { get; init; }
    /// <summary>The EKS cluster name: the controller uses it for Cloud Map, not for injection; accepted, unused.</summary>
    public string? ClusterName { get; init; }
    /// <summary>After the App Mesh service: the xDS server, signing name and cluster Envoy reports (SPEC §10).</summary>
    public string? XdsEndpoint { get; init; }
    public string? SigningName { get; init; }
    public string? ResourceCluster { get; init; }
    public bool EnableIamForServiceAccounts { get; init; } = true;
    public bool EnableEcrSecret { get; init; }

    public bool EnableXrayTracing { get; init; }
    public int XrayDaemonPort { get; init; } = 2000;
    public string XraySamplingRate { get; init; } = "0.05";
    public string XrayLogLevel { get; init; } = "prod";
    public string? XrayConfigRoleArn { get; init; }
    public bool EnableJaegerTracing { get; init; }
    public string JaegerAddress { get; init; } = "appmesh-jaeger.appmesh-system";
    public int JaegerPort { get; init; } = 9411;
    public bool EnableDatadogTracing { get; init; }
    public string DatadogAddress { get; init; } = "datadog.default.svc.cluster.local";
    public int DatadogPort { get; init; } = 8126;
    public bool EnableStatsTags { get; init; }
    public bool EnableStatsD { get; init; }
    public string StatsDAddress { get; init; } = "127.0.0.1";
    public int StatsDPort { get; init; } = 8125;
    public string? StatsDSocketPath { get; init; }

    /// <summary>proxyinit's requests and limits: each <c>--init-*</c> value, else the sidecar's.</summary>
    public (string CpuRequest, string MemoryRequest, string? CpuLimit, string? MemoryLimit) InitResources =>
        (InitCpuRequests ?? SidecarCpuRequests, InitMemoryRequests ?? SidecarMemoryRequests, InitCpuLimits ?? SidecarCpuLimits, InitMemoryLimits ?? SidecarMemoryLimits);

    /// <summary>The single enabled tracer (validation guarantees at most one).</summary>
    public Tracer Tracer =>
        EnableXrayTracing ? Tracer.XRay
        : EnableJaegerTracing ? Tracer.Jaeger
        : EnableDatadogTracing ? Tracer.Datadog
        : Tracer.None;
}
