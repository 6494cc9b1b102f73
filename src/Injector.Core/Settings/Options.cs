using System.Globalization;

namespace Injector.Core.Settings;

/// <summary>What a host says about one of its options: the flag, where else it may be set, and help.</summary>
public interface IOption
{
    /// <summary>The flag without dashes, also the key in a <c>--config</c> file: <c>mesh-name</c>.</summary>
    string Name { get; }

    /// <summary>The environment variables read for it, most specific first.</summary>
    IReadOnlyList<string> EnvNames { get; }

    /// <summary>A boolean flag: <c>--x</c> alone means true.</summary>
    bool IsBool { get; }

    string Help { get; }

    /// <summary>Other flag names (and config keys) for the same option: the App Mesh controller's names
    /// where ours differ, so that its chart's arguments carry over.</summary>
    IReadOnlyList<string> FlagAliases { get; }
}

/// <summary>One option of settings type <typeparamref name="T"/>. <c>Set</c> returns the settings with the
/// (trimmed) value applied, or throws <see cref="FormatException"/> with a message that starts with
/// <c>--name:</c> when the value is malformed.</summary>
public sealed record Option<T>(string Name, IReadOnlyList<string> EnvNames, bool IsBool, Func<T, string, T> Set, string Help) : IOption
{
    public IReadOnlyList<string> FlagAliases { get; init; } = [];

    /// <summary>This option, also accepted as <c>--alias</c> for each of <paramref name="aliases"/>.</summary>
    public Option<T> AlsoAs(params string[] aliases) => this with { FlagAliases = aliases };
}

/// <summary>Every option of one settings type, and the checks that need all of them at once.</summary>
public interface IOptionTable
{
    IReadOnlyList<IOption> Options { get; }

    /// <summary>Settings with every given value applied (by option name); malformed values go to
    /// <paramref name="errors"/>, each beginning with <c>--name:</c>.</summary>
    object Parse(IReadOnlyDictionary<string, string> values, ICollection<string> errors);

    /// <summary>Problems with values that parse but make no sense, alone or together.</summary>
    IEnumerable<string> Validate(object settings);
}

/// <summary>The options of one settings record. Declarations only: reading flags, environment variables
/// and files is the host's business (Injector.Configuration).</summary>
public sealed class OptionTable<T>(IReadOnlyList<Option<T>> options, Func<T, IEnumerable<string>> validate) : IOptionTable
    where T : new()
{
    public IReadOnlyList<Option<T>> Options { get; } = options;

    IReadOnlyList<IOption> IOptionTable.Options => Options;

    public T Parse(IReadOnlyDictionary<string, string> values, ICollection<string> errors)
    {
        var settings = new T();
        foreach (var option in Options)
        {
            if (!values.TryGetValue(option.Name, out var value)) continue;
            // No control character ever reaches a pod or a log line from configuration either.
            if (Formats.HasControlCharacter(value))
            {
                errors.Add($"--{option.Name}: '{Escape(value)}' contains a control character");
                continue;
            }
            try
            {
                settings = option.Set(settings, value.Trim());
            }
            catch (FormatException ex)
            {
                errors.Add(ex.Message);
            }
        }
        return settings;
    }

    public IEnumerable<string> Validate(T settings) => validate(settings);

    private static string Escape(string value) =>
        string.Concat(value.Select(c => char.IsControl(c) ? string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}") : c.ToString()));

    object IOptionTable.Parse(IReadOnlyDictionary<string, string> values, ICollection<string> errors) => Parse(values, errors)!;

    IEnumerable<string> IOptionTable.Validate(object settings) => Validate((T)settings);
}

/// <summary>Builds option declarations, and the value formats options share.</summary>
public static class Option
{
    /// <summary>Every option's own environment variable starts with this, so that only a variable set
    /// on purpose for this tool is read (never a generic <c>PORT</c> or <c>CONFIG</c> from the shell).</summary>
    public const string EnvPrefix = "APPMESH_INJECT_";

    /// <summary><c>sidecar-image</c> → <c>APPMESH_INJECT_SIDECAR_IMAGE</c>.</summary>
    public static string EnvName(string name) => EnvPrefix + name.Replace('-', '_').ToUpperInvariant();

    /// <summary>A text option; an empty value means "not set" (null). <c>aliases</c> are further
    /// environment variables, read after the prefixed one.</summary>
    public static Option<T> String<T>(string name, Func<T, string?, T> set, string help, params string[] aliases) =>
        new(name, [EnvName(name), .. aliases], false, (s, v) => set(s, v.Length == 0 ? null : v), help);

    /// <summary>A whole-number option (no sign: ports, seconds).</summary>
    public static Option<T> Int<T>(string name, Func<T, int, T> set, string help) =>
        new(name, [EnvName(name)], false, (s, v) => set(s, ParseInt(name, v)), help);

    /// <summary>A <c>true</c>/<c>false</c> option; <c>--name</c> alone means true.</summary>
    public static Option<T> Bool<T>(string name, Func<T, bool, T> set, string help) =>
        new(name, [EnvName(name)], true, (s, v) => set(s, ParseBool(name, v)), help);

    public static int ParseInt(string name, string value)
    {
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var result)) return result;
        // Digits only, yet no int: the option's range check never sees it, so this message names the problem.
        var tooLarge = value.Length > 0 && value.All(char.IsAsciiDigit);
        throw new FormatException(tooLarge ? $"--{name}: {value} is far too large" : $"--{name}: '{value}' is not a whole number");
    }

    public static bool ParseBool(string name, string value) =>
        bool.TryParse(value, out var result)
            ? result
            : throw new FormatException($"--{name}: '{value}' is not 'true' or 'false'");

    /// <summary>The port problems among <paramref name="ports"/> (flag, value), one message each.</summary>
    public static IEnumerable<string> ValidatePorts(params (string Flag, int Port)[] ports) =>
        ports.Where(p => p.Port is < 1 or > 65535).Select(p => $"{p.Flag}: {p.Port} is not a port from 1 to 65535");
}
