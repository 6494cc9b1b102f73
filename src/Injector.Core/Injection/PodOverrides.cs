using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Injector.Core.Injection;

/// <summary>A secret or volume to mount read-only into Envoy.</summary>
public sealed record Mount(string Name, string MountPath);

/// <summary>The per-pod settings read from <c>appmesh.k8s.aws/*</c> annotations (pod annotations over
/// namespace annotations). Null means "not set here: use the flag".
/// <para>A malformed value follows the App Mesh controller's outcome for it (pkg/inject in
/// aws-app-mesh-controller-for-k8s): what the controller refuses, or what would give a pod the API server
/// rejects, goes to <see cref="Errors"/> (the pod is denied); anything else the controller admits is admitted
/// with the controller's reading and a warning that names the annotation, quotes the value and gives the
/// expected format. docs/migrating-from-controller.md tabulates every case.</para></summary>
public sealed class PodOverrides
{
    public string? Mesh { get; private set; }
    public string? VirtualNode { get; private set; }
    public string? Ports { get; private set; }
    public string? EgressIgnoredPorts { get; private set; }
    public string? EgressIgnoredIps { get; private set; }
    public Quantity? CpuRequest { get; private set; }
    public Quantity? MemoryRequest { get; private set; }
    public Quantity? CpuLimit { get; private set; }
    public Quantity? MemoryLimit { get; private set; }
    /// <summary>Resource annotations set to an empty value: as for the controller, that resource is not set at all.</summary>
    public IReadOnlySet<string> ClearedResources => _cleared;
    public bool? Preview { get; private set; }
    public IReadOnlyList<Mount> SecretMounts { get; private set; } = [];
    public IReadOnlyList<Mount> VolumeMounts { get; private set; } = [];
    /// <summary><c>sidecarEnv</c>, then <c>sidecarEnvJson</c>, one entry per name (a later value wins).</summary>
    public IReadOnlyList<KeyValuePair<string, SidecarEnvValue>> SidecarEnv { get; private set; } = [];
    /// <summary>The X-Ray sampling rate (<c>XRAY_SAMPLING_RATE</c>) as <see cref="SidecarEnv"/> holds it, with the
    /// annotation that set it; null when the pod does not set it.</summary>
    public SidecarEnvValue? XraySamplingRate { get; private set; }
    public string? SidecarImage { get; private set; }
    public string? SidecarLogLevel { get; private set; }
    public bool? Cni { get; private set; }
    public bool? Ipv6 { get; private set; }
    public bool? NativeSidecar { get; private set; }
    /// <summary><c>sds: disabled</c> turns the SPIRE socket mount off for this pod (only "disabled" does, as in the controller).</summary>
    public bool? Sds { get; private set; }
    /// <summary><c>xrayAgentConfigMount</c> as read; checked by the plan, which knows whether X-Ray is on.</summary>
    public XrayConfigMount? XrayConfigMount { get; private set; }
    public string? XdsEndpoint { get; private set; }
    public string? SigningName { get; private set; }
    public string? ResourceCluster { get; private set; }

    public IReadOnlyList<string> Errors => _errors;
    public IReadOnlyList<string> Warnings => _warnings;

    private readonly List<string> _errors = [];
    private readonly List<string> _warnings = [];

    private readonly HashSet<string> _cleared = new(StringComparer.Ordinal);

    /// <summary>What no annotation sets: one shared instance (nothing can change it from outside).</summary>
    private static readonly PodOverrides None = new();

    private static readonly string EnvoyLogLevelFormat = "one of " + string.Join(", ", Formats.EnvoyLogLevels);
    public const string XrayConfigMountFormat = "one volumeName:mountPath, such as xray-config:/etc/xray";
    public const string EnvListFormat = "a comma-separated list of KEY=value, such as ENVOY_STATS_FLUSH_INTERVAL=10s,FOO=bar";
    public const string EnvJsonFormat = "a JSON object of variable names to non-empty strings, such as {\"DD_ENV\":\"prod\",\"TAGS\":\"a,b\"}";

    /// <summary>Parses every annotation; problems go to <see cref="Errors"/> (deny) and
    /// <see cref="Warnings"/> (admit with the controller's reading).</summary>
    public static PodOverrides Parse(EffectiveAnnotations annotations)
    {
        // Most pods and namespaces set nothing: then every value is the flag's, with nothing to report.
        if (annotations.NoneOfOurs) return None;
        var o = new PodOverrides();
        var reader = new Reader(o, annotations);

        o.Mesh = reader.Name(AnnotationKeys.Mesh, "--mesh-name applies");
        o.VirtualNode = reader.Name(AnnotationKeys.VirtualNode, "the name derived from the workload applies");
        o.Ports = reader.List(AnnotationKeys.Ports, IptablesLists.ReadPorts, Formats.PortListFormat);
        o.EgressIgnoredPorts = reader.List(AnnotationKeys.EgressIgnoredPorts, IptablesLists.ReadPorts, Formats.PortListFormat);
        o.EgressIgnoredIps = reader.List(AnnotationKeys.EgressIgnoredIPs, IptablesLists.ReadAddresses, Formats.AddressListFormat);
        o.CpuRequest = reader.Amount(AnnotationKeys.CpuRequest, "cpu request");
        o.MemoryRequest = reader.Amount(AnnotationKeys.MemoryRequest, "memory request");
        o.CpuLimit = reader.Amount(AnnotationKeys.CpuLimit, "cpu limit");
        o.MemoryLimit = reader.Amount(AnnotationKeys.MemoryLimit, "memory limit");
        o.SecretMounts = reader.Mounts(AnnotationKeys.SecretMounts, "secret");
        o.VolumeMounts = reader.Mounts(AnnotationKeys.VolumeMounts, "volume");
        // The controller: only "enabled" turns CNI mode on (then even a Fargate pod is not CNI-redirected).
        o.Cni = reader.Switch(AnnotationKeys.AppMeshCni, "read as disabled, as the App Mesh controller reads every value but \"enabled\"", otherwise: false);
        // The controller: only "disabled" turns IPv6 (proxyinit) and SDS off.
        o.Ipv6 = reader.Switch(AnnotationKeys.Ipv6, "read as enabled, as the App Mesh controller reads every value but \"disabled\"", otherwise: true);
        o.Sds = reader.Switch(AnnotationKeys.Sds, "read as enabled, as the App Mesh controller reads every value but \"disabled\": --enable-sds applies", otherwise: null);
        o.NativeSidecar = reader.Switch(AnnotationKeys.NativeSidecar, "ignored: --sidecar-mode applies", otherwise: null);
        o.Preview = reader.Preview();
        o.SidecarImage = reader.Checked(AnnotationKeys.SidecarImage, v => Formats.IsImage(v) ? v : null, Formats.ImageFormat, "--sidecar-image applies");
        o.SidecarLogLevel = reader.Checked(AnnotationKeys.SidecarLogLevel, v => Formats.IsEnvoyLogLevel(v.ToLowerInvariant()) ? v.ToLowerInvariant() : null,
            EnvoyLogLevelFormat, "--envoy-log-level applies");
        o.XdsEndpoint = reader.Checked(AnnotationKeys.XdsEndpoint, v => Formats.IsXdsEndpoint(v) ? v : null, Formats.XdsEndpointFormat, "--xds-endpoint applies");
        o.SigningName = reader.Checked(AnnotationKeys.SigningName, v => Formats.IsSigningName(v) ? v : null, Formats.SigningNameFormat, "--signing-name applies");
        o.ResourceCluster = reader.Checked(AnnotationKeys.ResourceCluster, v => Formats.IsResourceCluster(v) ? v : null, Formats.ResourceClusterFormat, "--resource-cluster applies");
        o.SidecarEnv = reader.Env();
        o.XrayConfigMount = reader.XrayMount();

        CheckRequestBelowLimit(o, AnnotationKeys.CpuRequest, o.CpuRequest, AnnotationKeys.CpuLimit, o.CpuLimit);
        CheckRequestBelowLimit(o, AnnotationKeys.MemoryRequest, o.MemoryRequest, AnnotationKeys.MemoryLimit, o.MemoryLimit);

        foreach (var key in annotations.PodKeys)
        {
            if (!key.StartsWith(AnnotationKeys.Prefix, StringComparison.Ordinal) || AnnotationKeys.IsKnown(key)) continue;
            var suggestion = Suggest.Closest(key[AnnotationKeys.Prefix.Length..], AnnotationKeys.UserKeys.Select(k => k[AnnotationKeys.Prefix.Length..]));
            o._warnings.Add($"unknown annotation {Quote(key)[1..^1]}" + (suggestion is null ? " is ignored" : $" is ignored; did you mean {AnnotationKeys.Prefix}{suggestion}?"));
        }
        return o;
    }

    private static void CheckRequestBelowLimit(PodOverrides o, string requestKey, Quantity? request, string limitKey, Quantity? limit)
    {
        if (request is { } r && limit is { } l && r.Value > l.Value)
            o._errors.Add($"annotation {requestKey}: \"{r.Text}\" is above annotation {limitKey} \"{l.Text}\"; a request must not exceed its limit");
    }

    /// <summary><c>annotation K: "V" is not valid; expected F</c> (or <c>namespace annotation …</c>).</summary>
    public static string Malformed(string key, AnnotationSource source, string value, string format) =>
        $"{Where(key, source)}: {Quote(value)} is not valid; expected {format}";

    /// <summary>"annotation K" or "namespace annotation K".</summary>
    public static string Where(string key, AnnotationSource source) =>
        $"{(source == AnnotationSource.Namespace ? "namespace annotation" : "annotation")} {key}";

    /// <summary>A value in double quotes with control characters, quotes and backslashes escaped, so that a
    /// message never carries them (it goes into admission warnings and Events).</summary>
    public static string Quote(string value)
    {
        if (!value.Any(c => char.IsControl(c) || c is '"' or '\\')) return $"\"{value}\"";
        var text = new StringBuilder("\"");
        foreach (var c in value)
        {
            text.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '"' => "\\\"",
                '\\' => "\\\\",
                _ when char.IsControl(c) => string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                _ => c.ToString(),
            });
        }
        return text.Append('"').ToString();
    }

    /// <summary>The reading of each annotation kind, writing to one <see cref="PodOverrides"/>.</summary>
    private sealed class Reader(PodOverrides o, EffectiveAnnotations annotations)
    {
        private bool TryGet(string key, out string value, out AnnotationSource source) => annotations.TryGet(key, out value, out source);

        private void Admit(string key, AnnotationSource source, string value, string format, string consequence) =>
            o._warnings.Add($"{Malformed(key, source, value, format)}; {consequence}");

        // mesh and virtualNode come from aws-app-mesh-inject; the controller names both from its VirtualNode
        // resource and never reads these keys, so a malformed one cannot block a pod it admitted.
        public string? Name(string key, string fallback)
        {
            if (!TryGet(key, out var value, out var source)) return null;
            if (Formats.IsMeshName(value)) return value;
            Admit(key, source, value, Formats.MeshNameFormat, $"ignored (the App Mesh controller does not read it): {fallback}");
            return null;
        }

        // The controller copies ports, egressIgnoredPorts and egressIgnoredIPs into proxyinit's environment
        // unchecked (proxy.go, init_proxy.go); iptables then reads them. Entries are written the way iptables
        // reads them, entries iptables may not read pass as given, control characters never.
        public string? List(string key, Func<string, ListReading> read, string format)
        {
            if (!TryGet(key, out var value, out var source)) return null;
            var reading = read(value);
            var unreadable = false;
            foreach (var entry in reading.Entries)
            {
                switch (entry.Kind)
                {
                    case EntryKind.Rewritten:
                        o._warnings.Add($"{Where(key, source)}: {Quote(entry.Given)} is written as \"{entry.Written}\", the way iptables reads it ({entry.Why}); write \"{entry.Written}\", or the value you meant");
                        break;
                    case EntryKind.Dropped:
                        o._warnings.Add($"{Where(key, source)}: {Quote(entry.Given)} contains a control character and is left out; expected {format}");
                        break;
                    case EntryKind.Unreadable:
                        unreadable = true;
                        break;
                }
            }
            if (unreadable)
                Admit(key, source, value, format, "passed to proxyinit as given, as the App Mesh controller passes it; proxyinit fails if iptables cannot read it");
            return reading.Value;
        }

        // The controller parses resources with resource.ParseQuantity and fails the admission on an error
        // (sidecar_builder.go sidecarResources); an empty value means "not set".
        public Quantity? Amount(string key, string what)
        {
            if (!TryGet(key, out var value, out var source)) return null;
            var trimmed = value.Trim();
            if (trimmed.Length == 0)
            {
                o._cleared.Add(key);
                Admit(key, source, value, Quantity.ExpectedFormat, $"the App Mesh controller reads an empty value as none: Envoy gets no {what}");
                return null;
            }
            if (Quantity.TryParse(trimmed, out var q)) return q;
            o._errors.Add(Malformed(key, source, value, Quantity.ExpectedFormat));
            return null;
        }

        public bool? Switch(string key, string consequence, bool? otherwise)
        {
            if (!TryGet(key, out var value, out var source)) return null;
            if (Formats.ParseEnabled(value) is { } parsed) return parsed;
            Admit(key, source, value, Formats.EnabledDisabledFormat, consequence);
            return otherwise;
        }

        public bool? Preview()
        {
            if (!TryGet(AnnotationKeys.Preview, out var value, out var source)) return null;
            if (Formats.ParseEnabled(value) is { } parsed) return parsed;
            if (bool.TryParse(value.Trim(), out var legacy))
            {
                o._warnings.Add($"annotation {AnnotationKeys.Preview}: \"{value}\" is deprecated; use \"{(legacy ? "enabled" : "disabled")}\"");
                return legacy;
            }
            // envoy.go getPreview: only "enabled" (any case) turns the preview channel on.
            Admit(AnnotationKeys.Preview, source, value, Formats.EnabledDisabledFormat, "read as disabled, as the App Mesh controller reads every value but \"enabled\"");
            return false;
        }

        public string? Checked(string key, Func<string, string?> check, string format, string fallback)
        {
            if (!TryGet(key, out var value, out var source)) return null;
            if (check(value.Trim()) is { } accepted) return accepted;
            Admit(key, source, value, format, $"ignored: {fallback}");
            return null;
        }

        // envoy.go getSecretMounts/getVolumeMounts: each comma-separated entry must split on ':' into exactly
        // two parts, or the admission fails; parts are trimmed; a name listed twice keeps its last path.
        public List<Mount> Mounts(string key, string what)
        {
            // An empty list is a list, as for ports: nothing to mount.
            if (!TryGet(key, out var value, out var source) || string.IsNullOrWhiteSpace(value)) return [];
            var format = $"a comma-separated list of {what}Name:mountPath, such as my-{what}:/etc/{what}";
            var mounts = new List<Mount>();
            foreach (var item in value.Split(','))
            {
                var pair = item.Split(':');
                var name = pair[0].Trim();
                // The name is a volume name in the pod (for secrets: the added volume's), so a DNS label; a
                // mount needs a path: the API server refuses both otherwise.
                if (pair.Length != 2 || !Formats.IsDnsLabel(name) || pair[1].Trim().Length == 0)
                {
                    o._errors.Add(Malformed(key, source, value, format));
                    return [];
                }
                var path = pair[1].Trim();
                if (Formats.HasControlCharacter(path))
                {
                    o._warnings.Add($"{Where(key, source)}: the mount path of \"{name}\" contains a control character; {name} is not mounted; expected {format}");
                    continue;
                }
                if (!path.StartsWith('/'))
                    o._warnings.Add($"{Where(key, source)}: the mount path {Quote(path)} of \"{name}\" is not absolute; written as given, as the App Mesh controller writes it, and the container runtime may refuse it; expected {format}");
                if (mounts.FindIndex(m => m.Name == name) is var earlier and >= 0)
                {
                    mounts.RemoveAt(earlier);
                    o._warnings.Add($"{Where(key, source)}: \"{name}\" is listed more than once; the last entry is used, as the App Mesh controller uses it");
                }
                mounts.Add(new Mount(name, path));
            }
            return mounts;
        }

        public List<KeyValuePair<string, SidecarEnvValue>> Env()
        {
            var env = new List<KeyValuePair<string, SidecarEnvValue>>();
            void Put(string key, AnnotationSource source, string name, string value)
            {
                if (Formats.HasControlCharacter(value))
                {
                    o._warnings.Add($"{Where(key, source)}: the value of {name} contains a control character; {name} is not set");
                    return;
                }
                if (env.FindIndex(e => e.Key == name) is var earlier and >= 0)
                {
                    env.RemoveAt(earlier);
                    o._warnings.Add($"{Where(key, source)}: {name} is set more than once; the last value is used, as the App Mesh controller uses it");
                }
                var set = new SidecarEnvValue(value, key, source);
                env.Add(new(name, set));
                if (name == SidecarRenderer.XraySamplingRate) o.XraySamplingRate = set;
            }

            // envoy.go getCustomEnv: KEY=value entries split on ',' and '=', trimmed. The controller also
            // refuses "A=b=c"; here the first '=' separates, so such a value is kept whole.
            if (TryGet(AnnotationKeys.SidecarEnv, out var list, out var listSource) && !string.IsNullOrWhiteSpace(list))
            {
                var pairs = new List<(string, string)>();
                foreach (var item in list.Split(','))
                {
                    var eq = item.IndexOf('=');
                    var name = eq < 0 ? "" : item[..eq].Trim();
                    if (!Formats.IsEnvName(name))
                    {
                        o._errors.Add(Malformed(AnnotationKeys.SidecarEnv, listSource, list, EnvListFormat));
                        pairs.Clear();
                        break;
                    }
                    pairs.Add((name, item[(eq + 1)..].Trim()));
                }
                foreach (var (name, value) in pairs) Put(AnnotationKeys.SidecarEnv, listSource, name, value);
            }

            // sidecarEnvJson: names to strings, for values a comma list cannot hold. Invalid JSON, a value
            // that is not a string (nested objects, arrays, numbers) and an empty value are refused.
            if (TryGet(AnnotationKeys.SidecarEnvJson, out var json, out var jsonSource))
            {
                if (ReadEnvJson(json) is { } variables)
                {
                    foreach (var (name, value) in variables) Put(AnnotationKeys.SidecarEnvJson, jsonSource, name, value);
                }
                else
                {
                    o._errors.Add(Malformed(AnnotationKeys.SidecarEnvJson, jsonSource, json, EnvJsonFormat));
                }
            }
            return env;
        }

        private static List<(string Name, string Value)>? ReadEnvJson(string json)
        {
            try
            {
                using var document = JsonDocument.Parse(json);
                if (document.RootElement.ValueKind != JsonValueKind.Object) return null;
                var variables = new List<(string, string)>();
                foreach (var property in document.RootElement.EnumerateObject())
                {
                    if (!Formats.IsEnvName(property.Name) || property.Value.ValueKind != JsonValueKind.String) return null;
                    var value = property.Value.GetString()!;
                    if (value.Length == 0) return null;
                    variables.Add((property.Name, value));
                }
                return variables;
            }
            catch (JsonException)
            {
                return null;
            }
        }

        // xray.go getXrayDaemonConfigMount: a comma anywhere, or anything but one ':', fails the admission.
        public XrayConfigMount? XrayMount()
        {
            if (!TryGet(AnnotationKeys.XrayAgentConfigMount, out var value, out var source)) return null;
            var pair = value.Split(':');
            string? error = null;
            if (value.Contains(',') || pair.Length != 2 || !Formats.IsDnsLabel(pair[0].Trim()) || pair[1].Trim().Length == 0 || Formats.HasControlCharacter(pair[1]))
                error = Malformed(AnnotationKeys.XrayAgentConfigMount, source, value, XrayConfigMountFormat);
            return error is null
                ? new XrayConfigMount(pair[0].Trim(), pair[1].Trim(), source, null)
                : new XrayConfigMount("", "", source, error);
        }
    }
}

/// <summary>A variable a pod sets for Envoy, and the annotation that sets it (<c>sidecarEnv</c> or
/// <c>sidecarEnvJson</c>, of the pod or its namespace).</summary>
public sealed record SidecarEnvValue(string Value, string Annotation, AnnotationSource Source)
{
    /// <summary>"annotation K" or "namespace annotation K", for messages.</summary>
    public string Where => PodOverrides.Where(Annotation, Source);
}

/// <summary>The X-Ray daemon's config volume (<c>xrayAgentConfigMount</c>), or why it is malformed.</summary>
/// <param name="VolumeName">A volume of the pod.</param>
/// <param name="MountPath">Where the daemon sees it.</param>
/// <param name="Source">Pod or namespace annotation.</param>
/// <param name="Error">The denial message when malformed; it applies only when an X-Ray daemon is added.</param>
public sealed record XrayConfigMount(string VolumeName, string MountPath, AnnotationSource Source, string? Error)
{
    /// <summary>The config file the daemon reads: <c>xray-daemon.yaml</c> in the mount (xray.go).</summary>
    public string ConfigFile => MountPath.TrimEnd(' ', '/') + "/xray-daemon.yaml";
}
