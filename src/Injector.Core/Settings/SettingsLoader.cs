using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Injector.Core.Settings;

/// <summary>The outcome of reading the configuration: settings, or every problem found at once.</summary>
/// <param name="Settings">The settings, or null when there are errors.</param>
/// <param name="Errors">Every problem found, each naming what to fix.</param>
/// <param name="RemainingArgs">Arguments that are not settings flags (when the caller allows them).</param>
/// <param name="Sources">Where each setting that is not a default came from, by option name:
/// <c>flag --x</c>, <c>environment variable X</c> or <c>config file 'path'</c>.</param>
public sealed record SettingsResult(InjectorSettings? Settings, IReadOnlyList<string> Errors, IReadOnlyList<string> RemainingArgs, IReadOnlyDictionary<string, string> Sources)
{
    public bool Ok => Settings is not null && Errors.Count == 0;
}

/// <summary>Reads <see cref="InjectorSettings"/> from flags, environment variables and an optional YAML
/// file (<c>--config</c>), in that precedence, then validates the result.</summary>
public static class SettingsLoader
{
    private delegate InjectorSettings Apply(InjectorSettings settings, string value);

    private sealed record Option(string Name, string[] EnvNames, bool IsBool, Apply Set, string Help);

    /// <summary>Adds "(from …)" to an error about <c>--name</c> when that value came from the environment or the config file.</summary>
    private static string WithSource(string error, Dictionary<string, string> sources)
    {
        if (!error.StartsWith("--", StringComparison.Ordinal)) return error;
        var end = error.IndexOfAny([':', ' '], 2);
        var name = end < 0 ? error[2..] : error[2..end];
        return sources.TryGetValue(name, out var source) && !source.StartsWith("flag ", StringComparison.Ordinal) ? $"{error} (from {source})" : error;
    }

    private static Option Str(string name, Func<InjectorSettings, string?, InjectorSettings> set, string help, params string[] env) =>
        new(name, env.Length > 0 ? env : [DefaultEnvName(name)], false, (s, v) => set(s, v.Length == 0 ? null : v), help);

    private static Option Int(string name, Func<InjectorSettings, int, InjectorSettings> set, string help) =>
        new(name, [DefaultEnvName(name)], false, (s, v) => set(s, ParseInt(name, v)), help);

    private static Option Bool(string name, Func<InjectorSettings, bool, InjectorSettings> set, string help) =>
        new(name, [DefaultEnvName(name)], true, (s, v) => set(s, ParseBool(name, v)), help);

    private static string DefaultEnvName(string flag) => flag.Replace('-', '_').ToUpperInvariant();

    /// <summary>Every configuration option, in the order <c>--help</c> lists them.</summary>
    private static readonly Option[] Options =
    [
        Str("mesh-name", (s, v) => s with { MeshName = v ?? "" }, "App Mesh name used when a pod has no appmesh.k8s.aws/mesh annotation (required)", "APPMESH_NAME", "MESH_NAME"),
        Str("region", (s, v) => s with { Region = v ?? "" }, "AWS region given to Envoy as AWS_REGION (required)", "APPMESH_REGION", "AWS_REGION"),
        Int("port", (s, v) => s with { Port = v }, "HTTPS port the webhook listens on (default 8443; 0 picks a free port)"),
        Str("tls-cert-file", (s, v) => s with { TlsCertFile = v }, "PEM certificate chain; without it a self-signed certificate is generated in memory"),
        Str("tls-key-file", (s, v) => s with { TlsKeyFile = v }, "PEM private key of --tls-cert-file"),
        Str("kubeconfig", (s, v) => s with { Kubeconfig = v }, "kubeconfig for running outside the cluster (default: in-cluster configuration)"),
        Str("webhook-config-name", (s, v) => s with { WebhookConfigName = v }, "MutatingWebhookConfiguration whose caBundle is kept in step with the serving CA"),
        Int("shutdown-delay", (s, v) => s with { ShutdownDelay = v }, "seconds to keep serving after SIGTERM while readiness is false (default 0; the chart sets 5)"),
        Str("api-timeout", (s, v) => s with { ApiTimeout = ParseDuration("api-timeout", v) }, "bound on each Kubernetes API call, e.g. 2s or 500ms (default 2s)"),
        Bool("inject-default", (s, v) => s with { InjectDefault = v }, "inject pods without the sidecarInjectorWebhook annotation (default true)"),
        Str("sidecar-mode", (s, v) => s with { SidecarMode = ParseMode(v) }, "classic, native or auto (default auto)"),
        Str("sidecar-image", (s, v) => s with { SidecarImage = v ?? "" }, "Envoy image"),
        Str("init-image", (s, v) => s with { InitImage = v ?? "" }, "proxyinit (route manager) image"),
        Str("xray-image", (s, v) => s with { XrayImage = v ?? "" }, "X-Ray daemon image"),
        Str("sidecar-cpu-requests", (s, v) => s with { SidecarCpuRequests = v ?? "" }, "Envoy CPU request (default 10m)"),
        Str("sidecar-memory-requests", (s, v) => s with { SidecarMemoryRequests = v ?? "" }, "Envoy memory request (default 32Mi)"),
        Str("sidecar-cpu-limits", (s, v) => s with { SidecarCpuLimits = v }, "Envoy CPU limit (default none)"),
        Str("sidecar-memory-limits", (s, v) => s with { SidecarMemoryLimits = v }, "Envoy memory limit (default none)"),
        Str("init-cpu-requests", (s, v) => s with { InitCpuRequests = v ?? "" }, "proxyinit CPU request (default 10m)"),
        Str("init-memory-requests", (s, v) => s with { InitMemoryRequests = v ?? "" }, "proxyinit memory request (default 32Mi)"),
        Str("init-cpu-limits", (s, v) => s with { InitCpuLimits = v }, "proxyinit CPU limit (default none)"),
        Str("init-memory-limits", (s, v) => s with { InitMemoryLimits = v }, "proxyinit memory limit (default none)"),
        Str("ignored-ips", (s, v) => s with { IgnoredIps = v ?? "" }, "egress addresses not redirected to Envoy (default 169.254.169.254)"),
        Int("envoy-admin-port", (s, v) => s with { EnvoyAdminPort = v }, "Envoy admin port (default 9901)"),
        Str("envoy-admin-access-log-file", (s, v) => s with { EnvoyAdminAccessLogFile = v ?? "" }, "Envoy admin access log (default /tmp/envoy_admin_access.log)"),
        Str("envoy-log-level", (s, v) => s with { EnvoyLogLevel = v?.ToLowerInvariant() ?? "" }, "Envoy log level (default info)"),
        Bool("preview", (s, v) => s with { Preview = v }, "use the App Mesh preview channel (default false)"),
        Int("prestop-delay", (s, v) => s with { PrestopDelay = v }, "seconds Envoy waits before exiting so endpoints drain (default 20)"),
        Bool("enable-iam-for-service-accounts", (s, v) => s with { EnableIamForServiceAccounts = v }, "set fsGroup 1337 so Envoy can read the IRSA token (default true)"),
        Bool("enable-ecr-secret", (s, v) => s with { EnableEcrSecret = v }, "add the appmesh-ecr-secret image pull secret (default false)"),
        Bool("enable-xray-tracing", (s, v) => s with { EnableXrayTracing = v }, "inject the X-Ray daemon and enable Envoy X-Ray tracing"),
        Int("xray-daemon-port", (s, v) => s with { XrayDaemonPort = v }, "X-Ray daemon UDP port (default 2000)"),
        Str("xray-sampling-rate", (s, v) => s with { XraySamplingRate = v ?? "" }, "X-Ray sampling rate from 0 to 1 (default 0.05)"),
        Bool("enable-jaeger-tracing", (s, v) => s with { EnableJaegerTracing = v }, "enable Envoy Jaeger tracing"),
        Str("jaeger-address", (s, v) => s with { JaegerAddress = v ?? "" }, "Jaeger collector address"),
        Int("jaeger-port", (s, v) => s with { JaegerPort = v }, "Jaeger collector port (default 9411)"),
        Bool("enable-datadog-tracing", (s, v) => s with { EnableDatadogTracing = v }, "enable Envoy Datadog tracing"),
        Str("datadog-address", (s, v) => s with { DatadogAddress = v ?? "" }, "Datadog agent address"),
        Int("datadog-port", (s, v) => s with { DatadogPort = v }, "Datadog agent port (default 8126)"),
        Bool("enable-stats-tags", (s, v) => s with { EnableStatsTags = v }, "tag Envoy stats with mesh and virtual node"),
        Bool("enable-statsd", (s, v) => s with { EnableStatsD = v }, "send Envoy stats to DogStatsD"),
        Str("statsd-address", (s, v) => s with { StatsDAddress = v ?? "" }, "DogStatsD address (default 127.0.0.1)"),
        Int("statsd-port", (s, v) => s with { StatsDPort = v }, "DogStatsD port (default 8125)"),
    ];

    private static readonly Dictionary<string, Option> ByName = Options.ToDictionary(o => o.Name);

    /// <summary>One line per option: flag, environment variables, help.</summary>
    public static IEnumerable<(string Flag, string Env, string Help)> Describe() =>
        Options.Select(o => ("--" + o.Name, string.Join(", ", o.EnvNames), o.Help))
            .Prepend(("--config", "CONFIG", "YAML file whose keys are the flag names, e.g. 'mesh-name: demo'"));

    /// <summary>Reads the configuration. With <paramref name="allowUnknownArgs"/>, arguments that are not
    /// configuration flags are returned in <see cref="SettingsResult.RemainingArgs"/> instead of being errors.</summary>
    public static SettingsResult Load(
        IReadOnlyList<string> args,
        IReadOnlyDictionary<string, string> environment,
        Func<string, string>? readFile = null,
        bool allowUnknownArgs = false)
    {
        readFile ??= File.ReadAllText;
        var errors = new List<string>();
        var remaining = new List<string>();
        var flags = ParseArgs(args, errors, remaining, allowUnknownArgs);

        // Lowest precedence first: file, then environment, then flags.
        var values = new Dictionary<string, string>();
        // Where each value came from, so that an error about it says where to fix it (and explain can tell).
        var sources = new Dictionary<string, string>();
        var configPath = flags.GetValueOrDefault("config") ?? environment.GetValueOrDefault("CONFIG");
        if (!string.IsNullOrEmpty(configPath))
        {
            ReadConfigFile(configPath, readFile, values, errors);
            foreach (var name in values.Keys) sources[name] = $"config file '{configPath}'";
        }
        foreach (var option in Options)
        {
            foreach (var env in option.EnvNames)
            {
                if (environment.TryGetValue(env, out var value) && value.Length > 0)
                {
                    values[option.Name] = value;
                    sources[option.Name] = $"environment variable {env}";
                    break;
                }
            }
        }
        foreach (var (name, value) in flags)
        {
            if (name == "config") continue;
            values[name] = value;
            sources[name] = $"flag --{name}";
        }

        var settings = new InjectorSettings();
        foreach (var option in Options)
        {
            if (!values.TryGetValue(option.Name, out var value)) continue;
            try
            {
                settings = option.Set(settings, value.Trim());
            }
            catch (FormatException ex)
            {
                errors.Add(WithSource(ex.Message, sources));
            }
        }
        errors.AddRange(Validate(settings).Select(error => WithSource(error, sources)));
        return new SettingsResult(errors.Count == 0 ? settings : null, errors, remaining, sources);
    }

    private static Dictionary<string, string> ParseArgs(IReadOnlyList<string> args, List<string> errors, List<string> remaining, bool allowUnknown)
    {
        var flags = new Dictionary<string, string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                if (allowUnknown) remaining.Add(arg);
                else errors.Add($"unexpected argument '{arg}'");
                continue;
            }
            var eq = arg.IndexOf('=');
            var name = eq < 0 ? arg[2..] : arg[2..eq];
            string? inline = eq < 0 ? null : arg[(eq + 1)..];
            if (name != "config" && !ByName.ContainsKey(name))
            {
                if (allowUnknown) { remaining.Add(arg); continue; }
                var suggestion = Suggest.Closest(name, Options.Select(o => o.Name).Append("config"));
                errors.Add($"unknown flag '--{name}'" + (suggestion is null ? "" : $"; did you mean '--{suggestion}'?"));
                // Its value, if it has one, belongs to it: one mistake, one message.
                if (inline is null && i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) i++;
                continue;
            }
            if (inline is not null)
            {
                flags[name] = inline;
            }
            else if (name != "config" && ByName[name].IsBool)
            {
                // "--flag" alone means true; "--flag false" is accepted too.
                if (i + 1 < args.Count && bool.TryParse(args[i + 1], out _)) flags[name] = args[++i];
                else flags[name] = "true";
            }
            else if (i + 1 < args.Count && !IsFlag(args[i + 1]))
            {
                flags[name] = args[++i];
            }
            else
            {
                errors.Add($"flag '--{name}' needs a value");
            }
        }
        return flags;
    }

    // "--mesh-name --region x" lacks a value: the next flag is not taken as one.
    private static bool IsFlag(string arg) => arg.Length > 2 && arg.StartsWith("--", StringComparison.Ordinal);

    private static void ReadConfigFile(string path, Func<string, string> readFile, Dictionary<string, string> values, List<string> errors)
    {
        string text;
        try
        {
            text = readFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add($"cannot read config file '{path}': {ex.Message}");
            return;
        }
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            if (stream.Documents.Count == 0) return;
            if (stream.Documents[0].RootNode is not YamlMappingNode map)
            {
                errors.Add($"config file '{path}' must be a YAML mapping of flag names to values");
                return;
            }
            foreach (var (keyNode, valueNode) in map.Children)
            {
                if (keyNode is not YamlScalarNode { Value: { } key })
                {
                    errors.Add($"config file '{path}': keys must be flag names such as mesh-name (line {keyNode.Start.Line})");
                    continue;
                }
                if (!ByName.ContainsKey(key))
                {
                    var suggestion = Suggest.Closest(key, Options.Select(o => o.Name));
                    errors.Add($"config file '{path}': unknown key '{key}'" + (suggestion is null ? "" : $"; did you mean '{suggestion}'?"));
                    continue;
                }
                if (valueNode is not YamlScalarNode scalar)
                {
                    errors.Add($"config file '{path}': '{key}' must be a single value");
                    continue;
                }
                values[key] = scalar.Value ?? "";
            }
        }
        catch (YamlDotNet.Core.YamlException ex)
        {
            errors.Add($"config file '{path}' is not valid YAML (line {ex.Start.Line}, column {ex.Start.Column}): {ex.Message}");
        }
    }

    private static int ParseInt(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var result)
            ? result
            : throw new FormatException($"--{name}: '{value}' is not a whole number");

    private static bool ParseBool(string name, string value) =>
        bool.TryParse(value, out var result)
            ? result
            : throw new FormatException($"--{name}: '{value}' is not 'true' or 'false'");

    private static TimeSpan ParseDuration(string name, string? value)
    {
        if (value is null) return new InjectorSettings().ApiTimeout;
        var (number, unit) = value.EndsWith("ms", StringComparison.Ordinal) ? (value[..^2], 0.001)
            : value.EndsWith('s') ? (value[..^1], 1.0)
            : (value, 1.0);
        if (double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount) && amount * unit is > 0 and <= 60)
            return TimeSpan.FromSeconds(amount * unit);
        throw new FormatException($"--{name}: '{value}' is not a duration from 1ms to 60s, such as 2s or 500ms");
    }

    private static SidecarMode ParseMode(string? value) => value?.ToLowerInvariant() switch
    {
        "classic" => SidecarMode.Classic,
        "native" => SidecarMode.Native,
        "auto" or null => SidecarMode.Auto,
        _ => throw new FormatException($"--sidecar-mode: '{value}' is not one of classic, native, auto"),
    };

    /// <summary>Checks the values that parse but make no sense together or for App Mesh.</summary>
    public static IEnumerable<string> Validate(InjectorSettings s)
    {
        if (s.MeshName.Length == 0)
            yield return "mesh name is required: pass --mesh-name or set APPMESH_NAME (or MESH_NAME)";
        else if (!Formats.IsMeshName(s.MeshName))
            yield return $"--mesh-name: '{s.MeshName}' is not a valid App Mesh name ({Formats.MeshNameFormat})";
        if (s.Region.Length == 0)
            yield return "region is required: pass --region or set APPMESH_REGION (or AWS_REGION)";

        var tracers = new[] { ("--enable-xray-tracing", s.EnableXrayTracing), ("--enable-jaeger-tracing", s.EnableJaegerTracing), ("--enable-datadog-tracing", s.EnableDatadogTracing) }
            .Where(t => t.Item2).Select(t => t.Item1).ToList();
        if (tracers.Count > 1)
            yield return $"at most one tracer may be enabled, but {string.Join(" and ", tracers)} are set";

        foreach (var (flag, port) in new[] { ("--port", s.Port), ("--envoy-admin-port", s.EnvoyAdminPort), ("--xray-daemon-port", s.XrayDaemonPort), ("--jaeger-port", s.JaegerPort), ("--datadog-port", s.DatadogPort), ("--statsd-port", s.StatsDPort) })
        {
            if (port is < 1 or > 65535 && !(flag == "--port" && port == 0)) yield return $"{flag}: {port} is not a port from 1 to 65535";
        }
        if (s.ShutdownDelay is < 0 or > 60) yield return $"--shutdown-delay: {s.ShutdownDelay} must be from 0 to 60 seconds";
        if (s.PrestopDelay is < 0 or > 3600) yield return $"--prestop-delay: {s.PrestopDelay} must be from 0 to 3600 seconds";

        foreach (var error in ValidateResources("sidecar", s.SidecarCpuRequests, s.SidecarCpuLimits, s.SidecarMemoryRequests, s.SidecarMemoryLimits)) yield return error;
        foreach (var error in ValidateResources("init", s.InitCpuRequests, s.InitCpuLimits, s.InitMemoryRequests, s.InitMemoryLimits)) yield return error;

        foreach (var (flag, image) in new[] { ("--sidecar-image", s.SidecarImage), ("--init-image", s.InitImage), ("--xray-image", s.XrayImage) })
        {
            if (!Formats.IsImage(image)) yield return $"{flag}: '{image}' is not {Formats.ImageFormat}";
        }
        if (Formats.NormalizeAddressList(s.IgnoredIps) is null)
            yield return $"--ignored-ips: '{s.IgnoredIps}' is not {Formats.AddressListFormat}";
        if (!Formats.IsEnvoyLogLevel(s.EnvoyLogLevel))
            yield return $"--envoy-log-level: '{s.EnvoyLogLevel}' is not one of {string.Join(", ", Formats.EnvoyLogLevels)}";
        if (!decimal.TryParse(s.XraySamplingRate, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var rate) || rate > 1)
            yield return $"--xray-sampling-rate: '{s.XraySamplingRate}' is not a number from 0 to 1";
        if (s.TlsCertFile is null != s.TlsKeyFile is null)
            yield return "--tls-cert-file and --tls-key-file must be given together";
    }

    private static IEnumerable<string> ValidateResources(string prefix, string cpuRequest, string? cpuLimit, string memoryRequest, string? memoryLimit)
    {
        foreach (var (kind, request, limit) in new[] { ("cpu", cpuRequest, cpuLimit), ("memory", memoryRequest, memoryLimit) })
        {
            var requestFlag = $"--{prefix}-{kind}-requests";
            var limitFlag = $"--{prefix}-{kind}-limits";
            var requestOk = Quantity.TryParse(request, out var req);
            if (!requestOk) yield return $"{requestFlag}: '{request}' is not {Quantity.ExpectedFormat}";
            if (limit is null) continue;
            if (!Quantity.TryParse(limit, out var lim)) yield return $"{limitFlag}: '{limit}' is not {Quantity.ExpectedFormat}";
            else if (requestOk && req.Value > lim.Value) yield return $"{requestFlag} {request} is above {limitFlag} {limit}";
        }
    }
}
