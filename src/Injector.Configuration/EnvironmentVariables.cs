using System.Collections;

namespace Injector.Configuration;

/// <summary>The environment as the settings loader reads it: a host passes in what
/// <see cref="Environment.GetEnvironmentVariables()"/> returned (a test passes its own map to the loader).</summary>
public static class EnvironmentVariables
{
    /// <summary>Name to value, ordinal (names are case-sensitive on Linux); a variable without a value reads as empty.</summary>
    public static Dictionary<string, string> ToDictionary(IDictionary variables)
    {
        var result = new Dictionary<string, string>(variables.Count, StringComparer.Ordinal);
        foreach (DictionaryEntry entry in variables) result[(string)entry.Key] = (string?)entry.Value ?? "";
        return result;
    }
}
