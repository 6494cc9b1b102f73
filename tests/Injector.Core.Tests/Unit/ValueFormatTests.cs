using Injector.Core;

namespace Injector.Tests.Unit;

/// <summary>The value formats shared by flags and annotations: quantities, ports, addresses, names,
/// images, and the "did you mean" suggestions.</summary>
public class ValueFormatTests
{
    [Theory]
    [InlineData("10m", "0.010")]
    [InlineData("0", "0")]
    [InlineData("1.5", "1.5")]
    [InlineData("+1", "1")]
    [InlineData(".5", "0.5")]
    [InlineData("100u", "0.000100")]
    [InlineData("5n", "0.000000005")]
    [InlineData("2k", "2000")]
    [InlineData("3M", "3000000")]
    [InlineData("1Ki", "1024")]
    [InlineData("32Mi", "33554432")]
    [InlineData("1Gi", "1073741824")]
    [InlineData("1e3", "1000")]
    [InlineData("1E-3", "0.001")]
    public void A_valid_quantity_parses_to_its_value(string text, string expected)
    {
        Assert.True(Quantity.TryParse(text, out var quantity));
        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), quantity.Value);
        Assert.Equal(text, quantity.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("lots")]
    [InlineData("10 m")]
    [InlineData(" 10m")]
    [InlineData("-1")]
    [InlineData("1.2.3")]
    [InlineData("1Mb")]
    [InlineData("Mi")]
    [InlineData("1mi")]
    [InlineData("1e19")]
    [InlineData("1234567890123456789012345678901234567890123456789012345678901234567890")]
    public void An_invalid_quantity_does_not_parse(string? text)
    {
        Assert.False(Quantity.TryParse(text, out _));
    }

    // Issue 13 B.4: .NET's `$` also matches before a final newline; every format is anchored at the true end.
    [Fact]
    public void No_format_accepts_a_trailing_newline()
    {
        Assert.False(Quantity.TryParse("10m\n", out _));
        Assert.False(Formats.IsMeshName("demo\n"));
        Assert.False(Formats.IsImage("envoy:v1\n"));
        Assert.False(Formats.IsDnsLabel("certs\n"));
        Assert.False(Formats.IsDnsSubdomain("certs\n"));
        Assert.False(Formats.IsEnvName("FOO\n"));
        Assert.False(Formats.IsXdsEndpoint("xds:18000\n"));
        // Whitespace around a list entry is trimmed, as before; a control character inside one is refused.
        Assert.Equal("80,443", CanonicalPorts("80\n,443"));
        Assert.Null(CanonicalPorts("8\u00070,443"));
    }

    [Theory]
    [InlineData("8080", "8080")]
    [InlineData("80, 443 ,8443", "80,443,8443")]
    [InlineData("1,65535", "1,65535")]
    [InlineData("0x50", null)]
    [InlineData("08080", null)]
    [InlineData("", "")]
    [InlineData("  ", "")]
    [InlineData("0", null)]
    [InlineData("65536", null)]
    [InlineData("80,abc", null)]
    [InlineData("8080;9090", null)]
    [InlineData("80,", null)]
    [InlineData("+80", null)]
    [InlineData("-1", null)]
    [InlineData("123456", null)]
    public void Port_lists_are_normalised_or_refused(string text, string? expected)
    {
        Assert.Equal(expected, CanonicalPorts(text));
    }

    [Theory]
    [InlineData("169.254.169.254", "169.254.169.254")]
    [InlineData("10.0.0.0/8, fd00::/8 ,::1", "10.0.0.0/8,fd00::/8,::1")]
    [InlineData("0.0.0.0/0", "0.0.0.0/0")]
    [InlineData("::/0", "::/0")]
    [InlineData("2001:db8::/128", "2001:db8::/128")]
    [InlineData("", "")]
    [InlineData("300.1.1.1", null)]
    [InlineData("10.0.0.0/33", null)]
    [InlineData("1.2.3", null)]
    [InlineData("1", null)]
    [InlineData("010.0.0.1", null)]
    [InlineData("[::1]", null)]
    [InlineData("example.com", null)]
    [InlineData("fe80::1%eth0", null)]
    [InlineData("::/129", null)]
    [InlineData("10.0.0.0/", null)]
    [InlineData("10.0.0.0/-1", null)]
    [InlineData("/8", null)]
    [InlineData("10.0.0.1,", null)]
    public void Address_lists_are_normalised_or_refused(string text, string? expected)
    {
        Assert.Equal(expected, CanonicalAddresses(text));
    }

    [Theory]
    [InlineData("demo", true)]
    [InlineData("my_mesh-1", true)]
    [InlineData("A", true)]
    [InlineData("", false)]
    [InlineData("has.dots", false)]
    [InlineData("with space", false)]
    [InlineData("naïve", false)]
    [InlineData(null, false)]
    public void Mesh_names_are_letters_digits_dash_and_underscore(string? name, bool expected)
    {
        Assert.Equal(expected, Formats.IsMeshName(name));
    }

    [Fact]
    public void Mesh_names_are_at_most_255_characters()
    {
        Assert.Equal((true, false), (Formats.IsMeshName(new string('m', 255)), Formats.IsMeshName(new string('m', 256))));
    }

    [Theory]
    [InlineData("envoy", true)]
    [InlineData("public.ecr.aws/appmesh/aws-appmesh-envoy:v1.34.13.3-prod", true)]
    [InlineData("840364872350.dkr.ecr.us-west-2.amazonaws.com/aws-appmesh-proxy-route-manager:v7-prod", true)]
    [InlineData("localhost:5000/envoy:dev", true)]
    [InlineData("Registry.Example.com/envoy:V1_x", true)]
    [InlineData("envoy@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true)]
    [InlineData("envoy:v1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true)]
    [InlineData("", false)]
    [InlineData("envoy image:v1", false)]
    [InlineData("registry.example.com/Envoy:v1", false)]
    [InlineData("Envoy:latest", false)]
    [InlineData("envoy:", false)]
    [InlineData("envoy:-tag", false)]
    [InlineData(":v1", false)]
    [InlineData("envoy@sha256:abc", false)]
    public void Image_references_follow_the_distribution_grammar(string image, bool expected)
    {
        Assert.Equal(expected, Formats.IsImage(image));
    }

    [Theory]
    [InlineData("certs", true, true)]
    [InlineData("tls-1", true, true)]
    [InlineData("tls.certs", true, false)]
    [InlineData("Certs", false, false)]
    [InlineData("-certs", false, false)]
    [InlineData("certs-", false, false)]
    [InlineData("", false, false)]
    public void Subdomains_allow_dots_and_labels_do_not(string name, bool subdomain, bool label)
    {
        Assert.Equal((subdomain, label), (Formats.IsDnsSubdomain(name), Formats.IsDnsLabel(name)));
    }

    [Fact]
    public void Labels_are_at_most_63_characters()
    {
        Assert.Equal((true, false), (Formats.IsDnsLabel(new string('a', 63)), Formats.IsDnsLabel(new string('a', 64))));
    }

    [Theory]
    [InlineData("FOO", true)]
    [InlineData("foo.bar-baz_1", true)]
    [InlineData("_X", true)]
    [InlineData("1FOO", false)]
    [InlineData("FOO BAR", false)]
    [InlineData("FOO=", false)]
    [InlineData("", false)]
    public void Env_names_are_what_kubectl_accepts(string name, bool expected)
    {
        Assert.Equal(expected, Formats.IsEnvName(name));
    }

    [Theory]
    [InlineData("enabled", true)]
    [InlineData(" Enabled ", true)]
    [InlineData("DISABLED", false)]
    [InlineData("true", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void Enabled_and_disabled_are_read_in_any_case(string? text, bool? expected)
    {
        Assert.Equal(expected, Formats.ParseEnabled(text));
    }

    private static readonly string[] AnnotationNames =
    [
        "sidecarInjectorWebhook", "mesh", "virtualNode", "ports", "egressIgnoredPorts", "egressIgnoredIPs", "cpuRequest", "memoryRequest",
        "cpuLimit", "memoryLimit", "preview", "secretMounts", "volumeMounts", "sidecarEnv", "sidecarImage", "sidecarLogLevel", "appmeshCNI", "ipv6", "nativeSidecar",
    ];

    [Theory]
    [InlineData("cpuRequests", "cpuRequest")]
    [InlineData("sidecarInjectorWebHook", "sidecarInjectorWebhook")]
    [InlineData("virtualnode", "virtualNode")]
    [InlineData("memorylimits", "memoryLimit")]
    [InlineData("egressIgnoredIps", "egressIgnoredIPs")]
    [InlineData("port", "ports")]
    [InlineData("sidecarEnvs", "sidecarEnv")]
    [InlineData("native", "nativeSidecar")]
    [InlineData("owner-team", null)]
    [InlineData("foo", null)]
    [InlineData("x", null)]
    public void Suggest_picks_the_closest_annotation_or_none(string word, string? expected)
    {
        Assert.Equal(expected, Suggest.Closest(word, AnnotationNames));
    }

    [Fact]
    public void Suggest_has_nothing_to_offer_without_candidates()
    {
        Assert.Null(Suggest.Closest("mesh", []));
    }

    // A list as iptables reads it, or null when an entry is not one or is written otherwise (IptablesLists).
    private static string? CanonicalPorts(string? text) => IptablesLists.ReadPorts(text) is { IsCanonical: true } reading ? reading.Value : null;

    private static string? CanonicalAddresses(string? text) => IptablesLists.ReadAddresses(text) is { IsCanonical: true } reading ? reading.Value : null;
}
