namespace Injector.Core;

/// <summary>"Did you mean" suggestions for misspelt flags and annotation keys.</summary>
public static class Suggest
{
    /// <summary>The candidate closest to <paramref name="word"/> (case-insensitive edit distance at most
    /// a third of its length, or a prefix either way), or null when nothing is close.</summary>
    public static string? Closest(string word, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        var lower = word.ToLowerInvariant();
        foreach (var candidate in candidates)
        {
            var c = candidate.ToLowerInvariant();
            var distance = Distance(lower, c);
            if (distance > Math.Max(2, c.Length / 3) && !(lower.Length >= 4 && (c.StartsWith(lower) || lower.StartsWith(c)))) continue;
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
