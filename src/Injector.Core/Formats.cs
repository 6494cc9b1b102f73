using System.Net;
using System.Text.RegularExpressions;

namespace Injector.Core;

/// <summary>Validators for the value formats shared by flags and annotations. Each returns the
/// normalised value (trimmed, comma-joined without spaces) or null when the text is malformed.</summary>
public static partial class Formats
{
    public const string PortListFormat = "a comma-separated list of ports from 1 to 65535, such as 8080,9090";
    public const string AddressListFormat = "a comma-separated list of IPv4/IPv6 addresses or CIDR blocks, such as 169.254.169.254,10.0.0.0/8";
    public const string MeshNameFormat = "1 to 255 letters, digits, '-' or '_'";
    public const string ImageFormat = "a container image reference such as registry.example.com/envoy:v1.2.3";
    public const string EnabledDisabledFormat = "'enabled' or 'disabled'";

    public static readonly IReadOnlyList<string> EnvoyLogLevels =
        ["trace", "debug", "info", "warning", "error", "critical", "off"];

    [GeneratedRegex(@"^[A-Za-z0-9_-]{1,255}$", RegexOptions.CultureInvariant)]
    private static partial Regex MeshNamePattern();

    // Registry/path:tag@digest, lower-case path components as the distribution spec requires.
    [GeneratedRegex(@"^(?:[A-Za-z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:[._/-]+[a-z0-9]+)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@[a-z0-9]+:[a-f0-9]{32,})?$", RegexOptions.CultureInvariant)]
    private static partial Regex ImagePattern();

    // RFC 1123 subdomain, the rule for secret and volume names.
    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsSubdomainPattern();

    // RFC 1123 label, the rule for volume names.
    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsLabelPattern();

    // Environment variable names as kubectl accepts them.
    [GeneratedRegex(@"^[-._a-zA-Z][-._a-zA-Z0-9]*$", RegexOptions.CultureInvariant)]
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

    /// <summary>Port list "80, 443" → "80,443"; an empty or blank text is the empty list.</summary>
    public static string? NormalizePortList(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return "";
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        foreach (var part in parts)
        {
            if (part.Length is 0 or > 5 || !part.All(char.IsAsciiDigit)) return null;
            var port = int.Parse(part);
            if (port is < 1 or > 65535) return null;
        }
        return string.Join(',', parts.Select(p => int.Parse(p).ToString()));
    }

    /// <summary>Address list "10.0.0.0/8, ::1" → "10.0.0.0/8,::1"; an empty or blank text is the empty list.</summary>
    public static string? NormalizeAddressList(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return "";
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        foreach (var part in parts)
        {
            if (!IsAddressOrCidr(part)) return null;
        }
        return string.Join(',', parts);
    }

    private static bool IsAddressOrCidr(string text)
    {
        var slash = text.IndexOf('/');
        var address = slash < 0 ? text : text[..slash];
        if (address.Length == 0 || address.Contains('%')) return false;
        if (!IPAddress.TryParse(address, out var ip)) return false;
        // IPAddress.TryParse accepts "1" or "1.2" as IPv4; App Mesh wants dotted quads.
        if (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && address.Count(c => c == '.') != 3) return false;
        if (slash < 0) return true;
        var prefix = text[(slash + 1)..];
        var max = ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128;
        return prefix.Length is > 0 and <= 3 && prefix.All(char.IsAsciiDigit) && int.Parse(prefix) <= max;
    }
}
