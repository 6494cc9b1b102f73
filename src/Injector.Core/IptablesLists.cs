using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Injector.Core;

/// <summary>How one entry of a port or address list was read.</summary>
public enum EntryKind
{
    /// <summary>Written as given (trimmed).</summary>
    Canonical,
    /// <summary>Written in another form that iptables reads the same way (see <see cref="ListEntry.Why"/>).</summary>
    Rewritten,
    /// <summary>Not a port or address this reader knows; written as given, and iptables decides.</summary>
    Unreadable,
    /// <summary>Left out: it holds a control character, which never goes into an environment variable.</summary>
    Dropped,
}

/// <summary>One comma-separated entry: as given, as written (null when dropped), and why it changed.</summary>
public sealed record ListEntry(string Given, string? Written, EntryKind Kind, string? Why = null);

/// <summary>A list read entry by entry; <see cref="Value"/> is what goes into the pod.</summary>
public sealed record ListReading(string Value, IReadOnlyList<ListEntry> Entries)
{
    /// <summary>Every entry was read and needed no rewriting.</summary>
    public bool IsCanonical => Entries.All(e => e.Kind == EntryKind.Canonical);

    /// <summary>Every entry was read (perhaps rewritten).</summary>
    public bool IsReadable => Entries.All(e => e.Kind is EntryKind.Canonical or EntryKind.Rewritten);
}

/// <summary>Reads the port and address lists that proxyinit hands to iptables (<c>APPMESH_APP_PORTS</c>,
/// <c>APPMESH_EGRESS_IGNORED_PORTS</c>, <c>APPMESH_EGRESS_IGNORED_IP</c>) the way iptables reads them, so
/// that the injector writes one unambiguous form: every number as iptables' <c>strtoul(…, 0)</c> reads it
/// (a leading <c>0</c> makes it octal, <c>0x</c> hexadecimal, a leading <c>+</c> is allowed), an IPv4
/// address of fewer than four parts completed with zeros, IPv6 without brackets or zone, prefixes in
/// decimal. Checked against iptables 1.8.9 (<c>iptables-translate</c>): <c>010.0.0.1</c> → 8.0.0.1,
/// <c>0x7f.0.0.1</c> → 127.0.0.1, <c>10.1</c> → 10.1.0.0, <c>1.2.3.4/024</c> → /20, <c>1.2.3.4/255.255.0.0</c> → /16,
/// <c>--dports 010</c> → 8, <c>0x50</c> → 80, <c>080</c> and <c>[::1]</c> refused.</summary>
public static class IptablesLists
{
    /// <summary>A port list; entries are ports or <c>first:last</c> ranges, as <c>-m multiport</c> takes them.</summary>
    public static ListReading ReadPorts(string? text) => Read(text, ReadPortEntry);

    /// <summary>An address list; entries are IPv4/IPv6 addresses or CIDR blocks, as <c>iptables -d</c> takes them.</summary>
    public static ListReading ReadAddresses(string? text) => Read(text, ReadAddressEntry);

    private static ListReading Read(string? text, Func<string, ListEntry> readEntry)
    {
        if (string.IsNullOrWhiteSpace(text)) return new ListReading("", []);
        var entries = text.Split(',').Select(part => part.Trim()).Select(part =>
            Formats.HasControlCharacter(part) ? new ListEntry(part, null, EntryKind.Dropped) : readEntry(part)).ToList();
        return new ListReading(string.Join(',', entries.Where(e => e.Written is not null).Select(e => e.Written)), entries);
    }

    private static ListEntry ReadPortEntry(string entry)
    {
        var colon = entry.IndexOf(':');
        if (colon < 0)
        {
            return Number(entry, 65535, out var port, out var why) && port >= 1
                ? Entry(entry, port.ToString(CultureInfo.InvariantCulture), why)
                : new ListEntry(entry, entry, EntryKind.Unreadable);
        }
        if (Number(entry[..colon], 65535, out var first, out var whyFirst) && first >= 1
            && Number(entry[(colon + 1)..], 65535, out var last, out var whyLast) && last >= first)
            return Entry(entry, string.Create(CultureInfo.InvariantCulture, $"{first}:{last}"), whyFirst ?? whyLast);
        return new ListEntry(entry, entry, EntryKind.Unreadable);
    }

    private static ListEntry ReadAddressEntry(string entry)
    {
        var slash = entry.IndexOf('/');
        var host = slash < 0 ? entry : entry[..slash];
        var mask = slash < 0 ? null : entry[(slash + 1)..];
        string? why = null;
        string written;
        int maxPrefix;
        if (host.Contains(':') || host.StartsWith('['))
        {
            // ip6tables reads the address with inet_pton (or a resolver lookup): no brackets; a zone is dropped.
            var bare = host;
            if (bare.StartsWith('[') && bare.EndsWith(']'))
            {
                bare = bare[1..^1];
                why = "iptables reads no brackets";
            }
            var percent = bare.IndexOf('%');
            if (percent >= 0)
            {
                bare = bare[..percent];
                why = "ip6tables ignores the zone";
            }
            if (bare.Length == 0 || bare.Contains('[') || bare.Contains(']') || !IPAddress.TryParse(bare, out var ip) || ip.AddressFamily != AddressFamily.InterNetworkV6)
                return new ListEntry(entry, entry, EntryKind.Unreadable);
            written = bare;
            maxPrefix = 128;
        }
        else
        {
            if (!IPv4(host, out var bytes, out var whyHost)) return new ListEntry(entry, entry, EntryKind.Unreadable);
            why = whyHost;
            written = string.Join('.', bytes);
            maxPrefix = 32;
        }
        if (mask is null) return Entry(entry, written, why);

        int prefix;
        string? whyMask;
        if (maxPrefix == 32 && mask.Contains('.'))
        {
            // A dotted netmask: iptables takes any four-part mask; only contiguous ones have a prefix length.
            if (!IPv4(mask, out var maskBytes, out _, completeParts: false) || !ContiguousPrefix(maskBytes, out prefix))
                return new ListEntry(entry, entry, EntryKind.Unreadable);
            whyMask = "a netmask is a prefix length";
        }
        else if (!Number(mask, maxPrefix, out prefix, out whyMask))
        {
            return new ListEntry(entry, entry, EntryKind.Unreadable);
        }
        return Entry(entry, string.Create(CultureInfo.InvariantCulture, $"{written}/{prefix}"), why ?? whyMask);
    }

    private static ListEntry Entry(string given, string written, string? why) =>
        written == given ? new ListEntry(given, written, EntryKind.Canonical)
        : new ListEntry(given, written, EntryKind.Rewritten, why ?? "iptables reads it so");

    /// <summary>An IPv4 address as iptables' numeric parser reads it: up to four dot-separated numbers from 0
    /// to 255, the missing ones 0 (<c>10.1</c> is 10.1.0.0); a mask must have all four.</summary>
    private static bool IPv4(string text, out int[] bytes, out string? why, bool completeParts = true)
    {
        bytes = new int[4];
        why = null;
        var parts = text.Split('.');
        if (parts.Length > 4 || (!completeParts && parts.Length != 4)) return false;
        for (var i = 0; i < parts.Length; i++)
        {
            if (!Number(parts[i], 255, out bytes[i], out var whyPart)) return false;
            why ??= whyPart;
        }
        if (parts.Length < 4) why ??= "iptables completes a short address with zeros";
        return true;
    }

    /// <summary>A whole number as <c>strtoul(text, …, 0)</c> reads it, entirely, from 0 to <paramref name="max"/>;
    /// <paramref name="why"/> says how the text differs from the decimal form.</summary>
    private static bool Number(string text, int max, out int value, out string? why)
    {
        value = 0;
        why = null;
        var digits = text;
        if (digits.StartsWith('+'))
        {
            digits = digits[1..];
            why = "iptables ignores a leading +";
        }
        int radix;
        if (digits.Length > 2 && digits[0] == '0' && digits[1] is 'x' or 'X')
        {
            digits = digits[2..];
            radix = 16;
            why = "0x makes a number hexadecimal";
        }
        else if (digits.Length > 1 && digits[0] == '0')
        {
            digits = digits[1..];
            radix = 8;
            why = "a leading 0 makes a number octal";
        }
        else
        {
            radix = 10;
        }
        if (digits.Length == 0 || digits.Length > 12) return false;
        long result = 0;
        foreach (var c in digits)
        {
            var digit = c is >= '0' and <= '9' ? c - '0' : c is >= 'a' and <= 'f' ? c - 'a' + 10 : c is >= 'A' and <= 'F' ? c - 'A' + 10 : 99;
            if (digit >= radix) return false;
            result = result * radix + digit;
        }
        if (result > max) return false;
        value = (int)result;
        return true;
    }

    private static bool ContiguousPrefix(int[] mask, out int prefix)
    {
        var bits = (uint)(mask[0] << 24 | mask[1] << 16 | mask[2] << 8 | mask[3]);
        prefix = 0;
        while (prefix < 32 && (bits & (0x80000000u >> prefix)) != 0) prefix++;
        return prefix == 32 || (bits << prefix) == 0;
    }
}
