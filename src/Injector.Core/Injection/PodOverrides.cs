using System.Text.RegularExpressions;

namespace Injector.Core.Injection;

/// <summary>A secret or volume to mount read-only into Envoy.</summary>
public sealed record Mount(string Name, string MountPath);

/// <summary>The per-pod settings read from <c>appmesh.k8s.aws/*</c> annotations (pod annotations over
/// namespace annotations). Null means "not set here: use the flag".</summary>
public sealed partial class PodOverrides
{
    public bool? Inject { get; private set; }
    public string? Mesh { get; private set; }
    public string? VirtualNode { get; private set; }
    public string? Ports { get; private set; }
    public string? EgressIgnoredPorts { get; private set; }
    public string? EgressIgnoredIps { get; private set; }
    public Quantity? CpuRequest { get; private set; }
    public Quantity? MemoryRequest { get; private set; }
    public Quantity? CpuLimit { get; private set; }
    public Quantity? MemoryLimit { get; private set; }
    public bool? Preview { get; private set; }
    public IReadOnlyList<Mount> SecretMounts { get; private set; } = [];
    public IReadOnlyList<Mount> VolumeMounts { get; private set; } = [];
    public IReadOnlyList<KeyValuePair<string, string>> SidecarEnv { get; private set; } = [];
    public string? SidecarImage { get; private set; }
    public string? SidecarLogLevel { get; private set; }
    public bool? Cni { get; private set; }
    public bool? Ipv6 { get; private set; }
    public bool? NativeSidecar { get; private set; }

    public List<string> Errors { get; } = [];
    public List<string> Warnings { get; } = [];

    [GeneratedRegex(@"^/[^:,]*$", RegexOptions.CultureInvariant)]
    private static partial Regex AbsolutePath();

    /// <summary>Reads only the injection switch; everything else is read once the pod is selected.</summary>
    public static bool? ReadInjectSwitch(EffectiveAnnotations annotations, out string? error)
    {
        error = null;
        if (!annotations.TryGet(AnnotationKeys.SidecarInjectorWebhook, out var value, out var source)) return null;
        var parsed = Formats.ParseEnabled(value);
        if (parsed is null) error = Malformed(AnnotationKeys.SidecarInjectorWebhook, source, value, Formats.EnabledDisabledFormat);
        return parsed;
    }

    /// <summary>Parses and validates every annotation; problems go to <see cref="Errors"/> (deny) and
    /// <see cref="Warnings"/> (admit with a warning).</summary>
    public static PodOverrides Parse(EffectiveAnnotations annotations)
    {
        var o = new PodOverrides();
        var errors = o.Errors;

        string? Name(string key)
        {
            if (!annotations.TryGet(key, out var value, out var source)) return null;
            if (Formats.IsMeshName(value)) return value;
            errors.Add(Malformed(key, source, value, Formats.MeshNameFormat));
            return null;
        }
        string? PortList(string key)
        {
            if (!annotations.TryGet(key, out var value, out var source)) return null;
            var normalized = Formats.NormalizePortList(value);
            if (normalized is null) errors.Add(Malformed(key, source, value, Formats.PortListFormat));
            return normalized;
        }
        Quantity? Amount(string key)
        {
            if (!annotations.TryGet(key, out var value, out var source)) return null;
            if (Quantity.TryParse(value.Trim(), out var q)) return q;
            errors.Add(Malformed(key, source, value, Quantity.ExpectedFormat));
            return null;
        }
        bool? Switch(string key, string format = Formats.EnabledDisabledFormat)
        {
            if (!annotations.TryGet(key, out var value, out var source)) return null;
            var parsed = Formats.ParseEnabled(value);
            if (parsed is null) errors.Add(Malformed(key, source, value, format));
            return parsed;
        }
        IReadOnlyList<Mount> Mounts(string key, string what)
        {
            // An empty list is a list, as for ports: nothing to mount.
            if (!annotations.TryGet(key, out var value, out var source) || string.IsNullOrWhiteSpace(value)) return [];
            var format = $"a comma-separated list of {what}Name:mountPath, such as my-{what}:/etc/{what}";
            var mounts = new List<Mount>();
            foreach (var item in value.Split(',', StringSplitOptions.TrimEntries))
            {
                var colon = item.IndexOf(':');
                var name = colon < 0 ? "" : item[..colon].Trim();
                var path = colon < 0 ? "" : item[(colon + 1)..].Trim();
                // The name is a volume name in the pod (for secrets: the added volume's), so a DNS label.
                if (!Formats.IsDnsLabel(name) || !AbsolutePath().IsMatch(path))
                {
                    errors.Add(Malformed(key, source, value, format));
                    return [];
                }
                mounts.Add(new Mount(name, path));
            }
            return mounts;
        }

        o.Mesh = Name(AnnotationKeys.Mesh);
        o.VirtualNode = Name(AnnotationKeys.VirtualNode);
        o.Ports = PortList(AnnotationKeys.Ports);
        o.EgressIgnoredPorts = PortList(AnnotationKeys.EgressIgnoredPorts);
        o.CpuRequest = Amount(AnnotationKeys.CpuRequest);
        o.MemoryRequest = Amount(AnnotationKeys.MemoryRequest);
        o.CpuLimit = Amount(AnnotationKeys.CpuLimit);
        o.MemoryLimit = Amount(AnnotationKeys.MemoryLimit);
        o.SecretMounts = Mounts(AnnotationKeys.SecretMounts, "secret");
        o.VolumeMounts = Mounts(AnnotationKeys.VolumeMounts, "volume");
        o.Cni = Switch(AnnotationKeys.AppMeshCni);
        o.Ipv6 = Switch(AnnotationKeys.Ipv6);
        o.NativeSidecar = Switch(AnnotationKeys.NativeSidecar);

        if (annotations.TryGet(AnnotationKeys.EgressIgnoredIPs, out var ips, out var ipsSource))
        {
            var normalized = Formats.NormalizeAddressList(ips);
            if (normalized is null) errors.Add(Malformed(AnnotationKeys.EgressIgnoredIPs, ipsSource, ips, Formats.AddressListFormat));
            o.EgressIgnoredIps = normalized;
        }
        if (annotations.TryGet(AnnotationKeys.Preview, out var preview, out var previewSource))
        {
            bool? parsed = Formats.ParseEnabled(preview);
            if (parsed is null && bool.TryParse(preview.Trim(), out var legacy))
            {
                parsed = legacy;
                o.Warnings.Add($"annotation {AnnotationKeys.Preview}: \"{preview}\" is deprecated; use \"{(legacy ? "enabled" : "disabled")}\"");
            }
            if (parsed is null) errors.Add(Malformed(AnnotationKeys.Preview, previewSource, preview, Formats.EnabledDisabledFormat));
            o.Preview = parsed;
        }
        if (annotations.TryGet(AnnotationKeys.SidecarImage, out var image, out var imageSource))
        {
            if (Formats.IsImage(image.Trim())) o.SidecarImage = image.Trim();
            else errors.Add(Malformed(AnnotationKeys.SidecarImage, imageSource, image, Formats.ImageFormat));
        }
        if (annotations.TryGet(AnnotationKeys.SidecarLogLevel, out var level, out var levelSource))
        {
            var lower = level.Trim().ToLowerInvariant();
            if (Formats.IsEnvoyLogLevel(lower)) o.SidecarLogLevel = lower;
            else errors.Add(Malformed(AnnotationKeys.SidecarLogLevel, levelSource, level, "one of " + string.Join(", ", Formats.EnvoyLogLevels)));
        }
        if (annotations.TryGet(AnnotationKeys.SidecarEnv, out var env, out var envSource) && !string.IsNullOrWhiteSpace(env))
        {
            var pairs = new List<KeyValuePair<string, string>>();
            foreach (var item in env.Split(',', StringSplitOptions.TrimEntries))
            {
                var eq = item.IndexOf('=');
                var key = eq < 0 ? "" : item[..eq].Trim();
                if (!Formats.IsEnvName(key))
                {
                    errors.Add(Malformed(AnnotationKeys.SidecarEnv, envSource, env, "a comma-separated list of KEY=value, such as ENVOY_STATS_FLUSH_INTERVAL=10s,FOO=bar"));
                    pairs.Clear();
                    break;
                }
                if (pairs.Any(p => p.Key == key))
                {
                    o.Warnings.Add($"annotation {AnnotationKeys.SidecarEnv}: {key} is set more than once; the first value is used");
                    continue;
                }
                pairs.Add(new(key, item[(eq + 1)..].Trim()));
            }
            o.SidecarEnv = pairs;
        }
        CheckRequestBelowLimit(o, AnnotationKeys.CpuRequest, o.CpuRequest, AnnotationKeys.CpuLimit, o.CpuLimit);
        CheckRequestBelowLimit(o, AnnotationKeys.MemoryRequest, o.MemoryRequest, AnnotationKeys.MemoryLimit, o.MemoryLimit);

        foreach (var key in annotations.PodKeys)
        {
            if (!key.StartsWith(AnnotationKeys.Prefix, StringComparison.Ordinal) || AnnotationKeys.IsKnown(key)) continue;
            var suggestion = Suggest.Closest(key[AnnotationKeys.Prefix.Length..], AnnotationKeys.UserKeys.Select(k => k[AnnotationKeys.Prefix.Length..]));
            o.Warnings.Add($"unknown annotation {key}" + (suggestion is null ? " is ignored" : $" is ignored; did you mean {AnnotationKeys.Prefix}{suggestion}?"));
        }
        return o;
    }

    private static void CheckRequestBelowLimit(PodOverrides o, string requestKey, Quantity? request, string limitKey, Quantity? limit)
    {
        if (request is { } r && limit is { } l && r.Value > l.Value)
            o.Errors.Add($"annotation {requestKey}: \"{r.Text}\" is above annotation {limitKey} \"{l.Text}\"; a request must not exceed its limit");
    }

    public static string Malformed(string key, AnnotationSource source, string value, string format) =>
        $"{(source == AnnotationSource.Namespace ? "namespace annotation" : "annotation")} {key}: \"{value}\" is not valid; expected {format}";
}
