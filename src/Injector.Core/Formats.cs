using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Injector.Core;

/// <summary>Validators for the value formats shared by flags and annotations. Every pattern is anchored at
/// the true end of the text (<c>\z</c>: .NET's <c>$</c> also matches before a final newline, which let
/// <c>"demo\n"</c> pass as a mesh name), and no value with a control character passes.</summary>
public static partial class Formats
{
    public const string PortListFormat = "a comma-separated list of ports from 1 to 65535, such as 8080,9090";
    public const string AddressListFormat = "a comma-separated list of IPv4/IPv6 addresses or CIDR blocks, such as 169.254.169.254,10.0.0.0/8";
    public const string MeshNameFormat = "1 to 255 letters, digits, '-' or '_'";
    public const string ImageFormat = "a container image reference such as registry.example.com/envoy:v1.2.3";
    public const string EnabledDisabledFormat = "'enabled' or 'disabled'";
    public const string XdsEndpointFormat = "host:port or unix:///absolute/path, such as xds.example.com:18000";
    public const string SigningNameFormat = "1 to 63 letters, digits, '-', '_' or '.', such as appmesh";
    public const string ResourceClusterFormat = "1 to 255 printable characters without spaces, such as mesh/demo/virtualNode/web";

    // Envoy's own list (its --log-level): "warn" is accepted for "warning", and the controller passes either on.
    public static readonly IReadOnlyList<string> EnvoyLogLevels =
        ["trace", "debug", "info", "warning", "warn", "error", "critical", "off"];

    [GeneratedRegex(@"^[A-Za-z0-9_-]{1,255}\z", RegexOptions.CultureInvariant)]
    private static partial Regex MeshNamePattern();

    // Registry/path:tag@digest, lower-case path components as the distribution spec requires.
    [GeneratedRegex(@"^(?:[A-Za-z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:[._/-]+[a-z0-9]+)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@[a-z0-9]+:[a-f0-9]{32,})?\z", RegexOptions.CultureInvariant)]
    private static partial Regex ImagePattern();

    // RFC 1123 subdomain, the rule for secret and volume names.
    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\z", RegexOptions.CultureInvariant)]
    private static partial Regex DnsSubdomainPattern();

    // RFC 1123 label, the rule for volume names.
    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\z", RegexOptions.CultureInvariant)]
    private static partial Regex DnsLabelPattern();

    // Environment variable names as kubectl accepts them.
    [GeneratedRegex(@"^[-._a-zA-Z][-._a-zA-Z0-9]*\z", RegexOptions.CultureInvariant)]
    private static partial Regex EnvNamePattern();

    public static bool IsMeshName(string? text) => text is not null && MeshNamePattern().IsMatch(text);

    public static bool IsImage(string? text) => text is { Length: > 0 and <= 512 } && ImagePattern().IsMatch(text);

    public static bool IsDnsSubdomain(string? text) => text is { Length: > 0 and <= 253 } && DnsSubdomainPattern().IsMatch(text);

    public static bool IsDnsLabel(string? text) => text is { Length: > 0 and <= 63 } && DnsLabelPattern().IsMatch(text);

    public static bool IsEnvName(string? text) => text is { Length: > 0 } && EnvNamePattern().IsMatch(text);

    public static bool IsEnvoyLogLevel(string? text) => text is not null && EnvoyLogLevels.Contains(text);

    /// <summary>Parses "enabled"/"disabled" case-insensitively.</summary>
    public static bool? ParseEnabled(string? text) =>
        text?.Trim().ToLowerInvariant() switch { "enabled" => true, "disabled" => false, _ => null };

    /// <summary>An xDS server address: <c>host:port</c> (a DNS name, an IPv4 address or a bracketed IPv6
    /// address, and a port from 1 to 65535) or <c>unix://</c> and an absolute socket path.</summary>
    public static bool IsXdsEndpoint(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length > 512 || HasControlCharacter(text) || text.Contains(' ')) return false;
        if (text.StartsWith("unix://", StringComparison.Ordinal)) return text.Length > "unix:///".Length && text["unix://".Length] == '/';
        var colon = text.LastIndexOf(':');
        if (colon <= 0) return false;
        var (host, port) = (text[..colon], text[(colon + 1)..]);
        if (port.Length is 0 or > 5 || !port.All(char.IsAsciiDigit) || int.Parse(port, CultureInfo.InvariantCulture) is < 1 or > 65535) return false;
        if (host.StartsWith('[') && host.EndsWith(']'))
            return IPAddress.TryParse(host[1..^1], out var v6) && v6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        return IsDnsSubdomain(host.ToLowerInvariant()) || (IPAddress.TryParse(host, out var v4) && v4.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && host.Count(c => c == '.') == 3);
    }

    /// <summary>The SigV4 service name Envoy signs xDS requests with (<c>APPMESH_SIGNING_NAME</c>).</summary>
    public static bool IsSigningName(string? text) => text is { Length: > 0 and <= 63 } && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>The cluster name Envoy reports to the xDS server (<c>APPMESH_RESOURCE_CLUSTER</c>).</summary>
    public static bool IsResourceCluster(string? text) => text is { Length: > 0 and <= 255 } && text.All(c => c is > ' ' and < (char)127);

    /// <summary>Whether the text holds a control character (C0, DEL or C1), which never goes into a pod.</summary>
    public static bool HasControlCharacter(string? text) => text is not null && text.Any(char.IsControl);
}
