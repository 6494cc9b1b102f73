using Injector.Core;
using Injector.Core.Settings;
using YamlDotNet.RepresentationModel;

namespace Injector.Configuration;

/// <summary>The outcome of reading a host's configuration: its settings, or every problem found at once.</summary>
public sealed class SettingsResult
{
    private readonly IReadOnlyDictionary<Type, object> _settings;

    internal SettingsResult(IReadOnlyList<string> errors, IReadOnlyList<string> remainingArgs, IReadOnlyDictionary<string, string> sources, IReadOnlyDictionary<Type, object> settings)
    {
        Errors = errors;
        RemainingArgs = remainingArgs;
        Sources = sources;
        _settings = settings;
    }

    /// <summary>Every problem found, each naming what to fix.</summary>
    public IReadOnlyList<string> Errors { get; }

    /// <summary>Arguments that are not option flags (when the caller allows them).</summary>
    public IReadOnlyList<string> RemainingArgs { get; }

    /// <summary>Where each option that is not a default came from, by option name: <c>flag --x</c>,
    /// <c>environment variable X</c> or <c>config file 'path'</c>.</summary>
    public IReadOnlyDictionary<string, string> Sources { get; }

    public bool Ok => Errors.Count == 0;

    /// <summary>The settings read by the option table of type <typeparamref name="T"/>.</summary>
    /// <exception cref="InvalidOperationException">The configuration has errors, or no table of that type was read.</exception>
    public T Get<T>() where T : class
    {
        if (!Ok) throw new InvalidOperationException("invalid configuration:\n  " + string.Join("\n  ", Errors));
        return _settings.TryGetValue(typeof(T), out var settings)
            ? (T)settings
            : throw new InvalidOperationException($"no option table of {typeof(T).Name} was read");
    }
}

/// <summary>Reads the options a host declares (its <see cref="IOptionTable"/>s, and nothing else) from flags,
/// environment variables and an optional YAML file (<c>--config</c>), in that precedence, then validates them.</summary>
public static class SettingsLoader
{
    public const string ConfigOption = "config";

    /// <summary>The environment variable that names the config file when <c>--config</c> is not given.</summary>
    public static readonly string ConfigEnvName = Option.EnvName(ConfigOption);

    /// <summary>Reads the configuration.</summary>
    /// <param name="tables">The host's options; only these are read, from flags, the environment and the file.</param>
    /// <param name="args">The arguments holding option flags.</param>
    /// <param name="environment">The environment variables (only the declared names are looked at).</param>
    /// <param name="readFile">Reads the config file; <see cref="File.ReadAllText(string)"/> when null.</param>
    /// <param name="allowUnknownArgs">Return arguments that are not option flags in
    /// <see cref="SettingsResult.RemainingArgs"/> instead of reporting them.</param>
    /// <param name="otherHostOptions">Keys a config file shared with another host may hold (that host's own
    /// options): skipped there, neither read nor reported.</param>
    public static SettingsResult Load(
        IReadOnlyList<IOptionTable> tables,
        IReadOnlyList<string> args,
        IReadOnlyDictionary<string, string> environment,
        Func<string, string>? readFile = null,
        bool allowUnknownArgs = false,
        IReadOnlyCollection<string>? otherHostOptions = null)
    {
        var options = Index(tables);
        var aliases = Aliases(options);
        readFile ??= File.ReadAllText;
        var errors = new List<string>();
        var remaining = new List<string>();
        var givenAs = new Dictionary<string, string>();
        var flags = ParseArgs(options, aliases, args, errors, remaining, allowUnknownArgs, givenAs);

        // Lowest precedence first: file, then environment, then flags.
        var values = new Dictionary<string, string>();
        // Where each value came from, so that an error about it says where to fix it (and explain can tell).
        var sources = new Dictionary<string, string>();
        var configPath = flags.GetValueOrDefault(ConfigOption) ?? environment.GetValueOrDefault(ConfigEnvName);
        if (!string.IsNullOrEmpty(configPath))
        {
            ReadConfigFile(options, aliases, otherHostOptions ?? [], configPath, readFile, values, errors);
            foreach (var name in values.Keys) sources[name] = $"config file '{configPath}'";
        }
        foreach (var option in options.Values)
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
            if (name == ConfigOption) continue;
            values[name] = value;
            sources[name] = $"flag --{givenAs.GetValueOrDefault(name, name)}";
        }

        // Every table's malformed values first, then what does not make sense: one stable order.
        var problems = new List<string>();
        var parsed = tables.Select(table => (Table: table, Settings: table.Parse(values, problems))).ToList();
        foreach (var (table, settings) in parsed) problems.AddRange(table.Validate(settings));
        errors.AddRange(problems.Select(error => WithSource(error, sources, values)));
        return new SettingsResult(errors, remaining, sources, parsed.ToDictionary(p => p.Settings.GetType(), p => p.Settings));
    }

    /// <summary>One line per option the host accepts, <c>--config</c> first: flag, environment variables, help.</summary>
    public static IEnumerable<(string Flag, string Env, string Help)> Describe(IReadOnlyList<IOptionTable> tables) =>
        Index(tables).Values.Select(o => ("--" + o.Name, string.Join(", ", o.EnvNames),
                o.FlagAliases.Count == 0 ? o.Help : $"{o.Help} (also {string.Join(", ", o.FlagAliases.Select(a => "--" + a))}, the App Mesh controller's name)"))
            .Prepend(("--" + ConfigOption, ConfigEnvName, "YAML file whose keys are the flag names, e.g. 'mesh-name: demo'"));

    // Declaration order, checked once: two tables may not declare the same option.
    private static Dictionary<string, IOption> Index(IReadOnlyList<IOptionTable> tables)
    {
        var options = new Dictionary<string, IOption>(StringComparer.Ordinal);
        foreach (var option in tables.SelectMany(t => t.Options))
        {
            if (option.Name == ConfigOption || !options.TryAdd(option.Name, option))
                throw new ArgumentException($"option '{option.Name}' is declared twice", nameof(tables));
        }
        return options;
    }

    /// <summary>Each flag alias → its option's name; an alias may not be another option's name.</summary>
    private static Dictionary<string, string> Aliases(Dictionary<string, IOption> options)
    {
        var aliases = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var option in options.Values)
        {
            foreach (var alias in option.FlagAliases)
            {
                if (alias == ConfigOption || options.ContainsKey(alias) || !aliases.TryAdd(alias, option.Name))
                    throw new ArgumentException($"flag alias '{alias}' of '{option.Name}' is declared twice", nameof(options));
            }
        }
        return aliases;
    }

    /// <summary>Adds "(from …)" to an error about <c>--name</c> when that value came from the environment or the config file.</summary>
    private static string WithSource(string error, Dictionary<string, string> sources, Dictionary<string, string> values)
    {
        if (!error.StartsWith("--", StringComparison.Ordinal)) return error;
        var end = error.IndexOfAny([':', ' '], 2);
        var name = end < 0 ? error[2..] : error[2..end];
        if (!sources.TryGetValue(name, out var source)) return error;
        // Given under the controller's name: say so, the message names ours.
        if (source.StartsWith("flag ", StringComparison.Ordinal))
            return source == $"flag --{name}" ? error : $"{error} (given as {source["flag ".Length..]})";
        return ServiceLink(source, values[name]) is { } service
            ? $"{error} (from {source}, which Kubernetes sets for a Service named {service}: set enableServiceLinks: false in the pod spec)"
            : $"{error} (from {source})";
    }

    // Kubernetes gives a pod <SERVICE>_PORT=tcp://ip:port for every Service in its namespace unless
    // enableServiceLinks is false; a Service named appmesh-inject thus sets APPMESH_INJECT_PORT.
    private static string? ServiceLink(string source, string value)
    {
        const string prefix = "environment variable ";
        if (!source.StartsWith(prefix, StringComparison.Ordinal) || !source.EndsWith("_PORT", StringComparison.Ordinal)) return null;
        if (!(value.StartsWith("tcp://", StringComparison.Ordinal) || value.StartsWith("udp://", StringComparison.Ordinal) || value.StartsWith("sctp://", StringComparison.Ordinal))) return null;
        return source[prefix.Length..^"_PORT".Length].Replace('_', '-').ToLowerInvariant();
    }

    private static Dictionary<string, string> ParseArgs(Dictionary<string, IOption> options, Dictionary<string, string> aliases, IReadOnlyList<string> args,
        List<string> errors, List<string> remaining, bool allowUnknown, Dictionary<string, string> givenAs)
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
            if (aliases.TryGetValue(name, out var canonical))
            {
                givenAs[canonical] = name;
                name = canonical;
            }
            else if (options.ContainsKey(name))
            {
                givenAs.Remove(name);
            }
            options.TryGetValue(name, out var option);
            if (name != ConfigOption && option is null)
            {
                if (allowUnknown) { remaining.Add(arg); continue; }
                var suggestion = Suggest.Closest(name, options.Keys.Concat(aliases.Keys).Append(ConfigOption));
                errors.Add($"unknown flag '--{name}'" + (suggestion is null ? "" : $"; did you mean '--{suggestion}'?"));
                // Its value, if it has one, belongs to it: one mistake, one message.
                if (inline is null && i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) i++;
                continue;
            }
            if (inline is not null)
            {
                flags[name] = inline;
            }
            else if (option is { IsBool: true })
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

    private static void ReadConfigFile(Dictionary<string, IOption> options, Dictionary<string, string> aliases, IReadOnlyCollection<string> otherHostOptions,
        string path, Func<string, string> readFile, Dictionary<string, string> values, List<string> errors)
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
        // A config file maps flag names to single values: nesting far beyond that is refused as it is read.
        var parser = new ShallowYamlParser(new YamlDotNet.Core.Parser(new StringReader(text)), 64, "where each flag name takes one value");
        try
        {
            var stream = new YamlStream();
            stream.Load(parser);
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
                if (aliases.TryGetValue(key, out var canonical)) key = canonical;
                if (!options.ContainsKey(key))
                {
                    if (otherHostOptions.Contains(key)) continue;
                    var suggestion = Suggest.Closest(key, options.Keys);
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
        catch (ArgumentException ex) when (ex.Source == "YamlDotNet" && parser.Previous is { } key)
        {
            // An entry with nothing before its ':' that starts a nested block mapping comes from YamlDotNet's parser as a
            // key without a value, on which its loader fails without a position; elsewhere the parser says this.
            errors.Add($"config file '{path}' is not valid YAML (line {key.Start.Line}, column {key.Start.Column}): While parsing a block mapping, did not find expected key.");
        }
        catch (InvalidOperationException ex) when (ex.Source == "YamlDotNet")
        {
            // YamlDotNet's scanner fails this way when the text ends inside a flow collection.
            errors.Add($"config file '{path}' is not valid YAML: it ends before a flow mapping or sequence ({{ … }} or [ … ]) is closed");
        }
    }
}
