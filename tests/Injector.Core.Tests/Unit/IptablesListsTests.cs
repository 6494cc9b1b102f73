using Injector.Core;

namespace Injector.Tests.Unit;

/// <summary>Issue 13 B.5: ports and addresses are written the way iptables reads them. The expected readings
/// were taken from iptables 1.8.9 itself (Debian bookworm's iptables package, <c>iptables-translate -d …</c>,
/// <c>ip6tables-translate -d …</c> and <c>iptables-translate -m multiport --dports …</c>, which print the
/// rule as the kernel would get it): iptables parses every number with C's <c>strtoul(…, 0)</c>.</summary>
public class IptablesListsTests
{
    [Theory]
    [InlineData("10.0.0.1", "10.0.0.1", EntryKind.Canonical)]
    [InlineData("010.0.0.1", "8.0.0.1", EntryKind.Rewritten)]          // iptables: ip daddr 8.0.0.1
    [InlineData("0x7f.0.0.1", "127.0.0.1", EntryKind.Rewritten)]       // ip daddr 127.0.0.1
    [InlineData("0177.0.0.1", "127.0.0.1", EntryKind.Rewritten)]       // ip daddr 127.0.0.1
    [InlineData("1.2.3.04", "1.2.3.4", EntryKind.Rewritten)]           // ip daddr 1.2.3.4
    [InlineData("10.1", "10.1.0.0", EntryKind.Rewritten)]              // ip daddr 10.1.0.0
    [InlineData("1", "1.0.0.0", EntryKind.Rewritten)]                  // ip daddr 1.0.0.0
    [InlineData("+1.2.3.4", "1.2.3.4", EntryKind.Rewritten)]           // ip daddr 1.2.3.4
    [InlineData("1.2.3.4/24", "1.2.3.4/24", EntryKind.Canonical)]      // ip daddr 1.2.3.0/24 (host bits masked)
    [InlineData("1.2.3.4/024", "1.2.3.4/20", EntryKind.Rewritten)]     // ip daddr 1.2.0.0/20
    [InlineData("1.2.3.4/0x18", "1.2.3.4/24", EntryKind.Rewritten)]    // ip daddr 1.2.3.0/24
    [InlineData("1.2.3.4/255.255.0.0", "1.2.3.4/16", EntryKind.Rewritten)] // ip daddr 1.2.0.0/16
    [InlineData("::1", "::1", EntryKind.Canonical)]
    [InlineData("fd00::/8", "fd00::/8", EntryKind.Canonical)]
    [InlineData("FD00::/8", "FD00::/8", EntryKind.Canonical)]          // ip6 daddr fd00::/8
    [InlineData("[::1]", "::1", EntryKind.Rewritten)]                  // refused: host/network `[::1]' not found
    [InlineData("fe80::1%eth0", "fe80::1", EntryKind.Rewritten)]       // ip6 daddr fe80::1
    [InlineData("::1/064", "::1/52", EntryKind.Rewritten)]             // ip6 daddr ::/52
    [InlineData("256.0.0.1", "256.0.0.1", EntryKind.Unreadable)]       // host/network `256.0.0.1' not found
    [InlineData("08.0.0.1", "08.0.0.1", EntryKind.Unreadable)]         // host/network `08.0.0.1' not found
    [InlineData("1.2.3.4.5", "1.2.3.4.5", EntryKind.Unreadable)]       // host/network `1.2.3.4.5' not found
    [InlineData("1.2.3.4/", "1.2.3.4/", EntryKind.Unreadable)]         // invalid mask `' specified
    [InlineData("::1/0128", "::1/0128", EntryKind.Unreadable)]         // invalid mask `0128' specified
    [InlineData("1.2.3.4/255.0.255.0", "1.2.3.4/255.0.255.0", EntryKind.Unreadable)] // no prefix length
    [InlineData("example.com", "example.com", EntryKind.Unreadable)]   // resolved by DNS when proxyinit runs
    public void An_address_is_written_as_iptables_reads_it(string given, string written, EntryKind kind)
    {
        var entry = Assert.Single(IptablesLists.ReadAddresses(given).Entries);

        Assert.Equal((written, kind), (entry.Written, entry.Kind));
    }

    [Theory]
    [InlineData("8080", "8080", EntryKind.Canonical)]
    [InlineData("010", "8", EntryKind.Rewritten)]         // tcp dport 8
    [InlineData("0100", "64", EntryKind.Rewritten)]       // tcp dport 64
    [InlineData("0x50", "80", EntryKind.Rewritten)]       // tcp dport 80
    [InlineData("+80", "80", EntryKind.Rewritten)]        // tcp dport 80
    [InlineData("8000:8080", "8000:8080", EntryKind.Canonical)] // tcp dport 8000-8080
    [InlineData("080", "080", EntryKind.Unreadable)]      // invalid port/service `080' specified
    [InlineData("65536", "65536", EntryKind.Unreadable)]  // invalid port/service `65536' specified
    [InlineData("1:0", "1:0", EntryKind.Unreadable)]      // invalid portrange specified
    [InlineData("http", "http", EntryKind.Unreadable)]    // a service name: iptables looks it up in /etc/services
    public void A_port_is_written_as_iptables_reads_it(string given, string written, EntryKind kind)
    {
        var entry = Assert.Single(IptablesLists.ReadPorts(given).Entries);

        Assert.Equal((written, kind), (entry.Written, entry.Kind));
    }

    [Fact]
    public void A_list_is_read_entry_by_entry_trimmed_with_control_characters_left_out()
    {
        var reading = IptablesLists.ReadAddresses(" 010.0.0.1 , [::1],10.0.0.0/8\n, 1.2.3.4\u0000, example.com");

        Assert.Equal("8.0.0.1,::1,10.0.0.0/8,example.com", reading.Value);
        Assert.Equal(
            [EntryKind.Rewritten, EntryKind.Rewritten, EntryKind.Canonical, EntryKind.Dropped, EntryKind.Unreadable],
            reading.Entries.Select(e => e.Kind));
        Assert.False(reading.IsReadable);
        Assert.Equal("", IptablesLists.ReadPorts("  ").Value);
        Assert.Empty(IptablesLists.ReadPorts(null).Entries);
    }
}
