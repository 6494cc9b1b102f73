using System.Globalization;
using System.Net.Security;
using System.Security.Authentication;
using Injector.Core.Settings;

namespace Injector.Webhook;

/// <summary>How the webhook itself runs — serving, TLS, cluster access, lifecycle — as opposed to what it
/// puts into pods (<see cref="InjectorSettings"/>). Only the webhook accepts these options.</summary>
public sealed record WebhookOptions
{
    public int Port { get; init; } = 8443;
    public string? TlsCertFile { get; init; }
    public string? TlsKeyFile { get; init; }
    public string? Kubeconfig { get; init; }
    public string? WebhookConfigName { get; init; }
    /// <summary>Bound on each Kubernetes API call; the admission's own deadline bounds it too.</summary>
    public TimeSpan ApiTimeout { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>Seconds between readiness turning false on SIGTERM and the server closing, so that the
    /// API server stops sending reviews to this replica before it goes away.</summary>
    public int ShutdownDelay { get; init; }
    /// <summary>Plain-HTTP port for <c>/metrics</c>, <c>/healthz</c> and <c>/readyz</c> (null: none; they are
    /// served on the HTTPS port only), so that Prometheus and the kubelet need no TLS to reach them.</summary>
    public int? MetricsPort { get; init; }
    /// <summary>What an internal error does to the pod: the operator's <c>failurePolicy</c>, applied by the
    /// webhook itself when it fails (as the API server applies it when the webhook cannot be reached).</summary>
    public FailurePolicyMode FailurePolicy { get; init; } = FailurePolicyMode.Fail;
    /// <summary>The oldest TLS version a client may use: 1.2 (default) or 1.3 (<c>--tls-min-version</c>).</summary>
    public SslProtocols TlsProtocols { get; init; } = SslProtocols.Tls12 | SslProtocols.Tls13;
    /// <summary>The cipher suites of TLS 1.2 handshakes (<c>--tls-cipher-suite</c>); null: the system's.</summary>
    public IReadOnlyList<TlsCipherSuite>? TlsCipherSuites { get; init; }

    /// <summary>The webhook's own options, in the order <c>--help</c> lists them (after the engine's).</summary>
    public static OptionTable<WebhookOptions> Table { get; } = new(
    [
        Option.Int<WebhookOptions>("port", (o, v) => o with { Port = v }, "HTTPS port the webhook listens on (default 8443; 0 picks a free port)"),
        Option.String<WebhookOptions>("tls-cert-file", (o, v) => o with { TlsCertFile = v }, "PEM certificate chain; without it a self-signed certificate is generated in memory"),
        Option.String<WebhookOptions>("tls-key-file", (o, v) => o with { TlsKeyFile = v }, "PEM private key of --tls-cert-file"),
        Option.String<WebhookOptions>("kubeconfig", (o, v) => o with { Kubeconfig = v }, "kubeconfig for running outside the cluster, a file or a list of files merged as kubectl merges them (default: in-cluster configuration)",
            // The variable every Kubernetes tool (kubectl, controller-runtime) reads, set on purpose.
            "KUBECONFIG"),
        Option.String<WebhookOptions>("webhook-config-name", (o, v) => o with { WebhookConfigName = v }, "MutatingWebhookConfiguration whose caBundle is kept in step with the serving CA"),
        Option.Int<WebhookOptions>("shutdown-delay", (o, v) => o with { ShutdownDelay = v }, "seconds to keep serving after SIGTERM while readiness is false (default 0; the chart sets 5)"),
        Option.Int<WebhookOptions>("metrics-port", (o, v) => o with { MetricsPort = v }, "plain-HTTP port for /metrics, /healthz and /readyz (default: none, they are served on the HTTPS port; the chart sets 8080; 0 picks a free port)"),
        Option.String<WebhookOptions>("failure-policy", (o, v) => o with { FailurePolicy = ParseFailurePolicy(v) }, "what an internal error does to the pod: Fail denies it, Ignore admits it without a sidecar (default Fail; the chart passes webhook.failurePolicy)"),
        Option.String<WebhookOptions>("api-timeout", (o, v) => o with { ApiTimeout = ParseDuration("api-timeout", v) }, "bound on each Kubernetes API call, e.g. 2s or 500ms (default 2s)"),
        // The App Mesh controller's serving options (pkg/inject/config.go), with its values: Go's constant names.
        Option.String<WebhookOptions>("tls-min-version", (o, v) => o with { TlsProtocols = ParseMinVersion(v) }, "oldest TLS version clients may use: VersionTLS12 (default) or VersionTLS13"),
        Option.String<WebhookOptions>("tls-cipher-suite", (o, v) => o with { TlsCipherSuites = ParseCipherSuites(v) }, "comma-separated TLS 1.2 cipher suites, by IANA/Go name, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (default: the system's)"),
    ], Validate);

    private static SslProtocols ParseMinVersion(string? value) => value switch
    {
        null or "VersionTLS12" => SslProtocols.Tls12 | SslProtocols.Tls13,
        "VersionTLS13" => SslProtocols.Tls13,
        // SPEC §7: TLS 1.2 is the floor; the controller would accept these.
        "VersionTLS10" or "VersionTLS11" => throw new FormatException($"--tls-min-version: '{value}' is below TLS 1.2, the oldest version the webhook serves; use VersionTLS12 or VersionTLS13"),
        _ => throw new FormatException($"--tls-min-version: '{value}' is not VersionTLS12 or VersionTLS13"),
    };

    // Go's names are IANA's, except two short ChaCha20 names that omit the hash.
    private static readonly Dictionary<string, TlsCipherSuite> GoAliases = new(StringComparer.Ordinal)
    {
        ["TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ["TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    };

    /// <summary>TLS 1.3's suites, which (as in Go) the list does not govern: they stay on.</summary>
    public static readonly IReadOnlyList<TlsCipherSuite> Tls13Suites =
        [TlsCipherSuite.TLS_AES_128_GCM_SHA256, TlsCipherSuite.TLS_AES_256_GCM_SHA384, TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256];

    private static List<TlsCipherSuite>? ParseCipherSuites(string? value)
    {
        if (value is null) return null;
        var suites = new List<TlsCipherSuite>();
        var unknown = new List<string>();
        foreach (var name in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (GoAliases.TryGetValue(name, out var alias)) suites.Add(alias);
            else if (name.StartsWith("TLS_", StringComparison.Ordinal) && Enum.TryParse<TlsCipherSuite>(name, ignoreCase: false, out var suite) && Enum.IsDefined(suite)) suites.Add(suite);
            else unknown.Add(name);
        }
        if (unknown.Count > 0)
            throw new FormatException($"--tls-cipher-suite: {string.Join(", ", unknown.Select(n => $"'{n}'"))} {(unknown.Count == 1 ? "is not a cipher suite" : "are not cipher suites")}; use IANA names such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
        return suites.Count == 0 ? null : suites;
    }

    private static TimeSpan ParseDuration(string name, string? value)
    {
        if (value is null) return new WebhookOptions().ApiTimeout;
        var (number, unit) = value.EndsWith("ms", StringComparison.Ordinal) ? (value[..^2], 0.001)
            : value.EndsWith('s') ? (value[..^1], 1.0)
            : (value, 1.0);
        if (double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount) && amount * unit is >= 0.001 and <= 60)
            return TimeSpan.FromSeconds(amount * unit);
        throw new FormatException($"--{name}: '{value}' is not a duration from 1ms to 60s, such as 2s or 500ms");
    }

    private static FailurePolicyMode ParseFailurePolicy(string? value) => value switch
    {
        "Fail" => FailurePolicyMode.Fail,
        "Ignore" => FailurePolicyMode.Ignore,
        _ => throw new FormatException($"--failure-policy: '{value}' is not Fail or Ignore (the MutatingWebhookConfiguration's values, same case)"),
    };

    /// <summary>Checks the values that parse but make no sense.</summary>
    public static IEnumerable<string> Validate(WebhookOptions o)
    {
        if (o.Port is < 0 or > 65535) yield return $"--port: {o.Port} is not a port from 1 to 65535";
        if (o.MetricsPort is < 0 or > 65535) yield return $"--metrics-port: {o.MetricsPort} is not a port from 1 to 65535";
        if (o.MetricsPort is > 0 && o.MetricsPort == o.Port) yield return $"--metrics-port: {o.MetricsPort} is the HTTPS port (--port) too; give the plain-HTTP port its own number";
        if (o.ShutdownDelay is < 0 or > 60) yield return $"--shutdown-delay: {o.ShutdownDelay} must be from 0 to 60 seconds";
        if (o.TlsCipherSuites is not null && OperatingSystem.IsWindows())
            yield return "--tls-cipher-suite: choosing cipher suites is not supported on Windows";
        if (o.TlsCertFile is null != o.TlsKeyFile is null)
            yield return "--tls-cert-file and --tls-key-file must be given together";
    }
}

/// <summary>The values of a MutatingWebhookConfiguration's <c>failurePolicy</c>.</summary>
public enum FailurePolicyMode
{
    /// <summary>An injector failure refuses the pod: nothing joins a meshed namespace without its sidecar.</summary>
    Fail,
    /// <summary>An injector failure admits the pod without a sidecar, with a warning.</summary>
    Ignore,
}
