using System.Text;

namespace Injector.Cli.Rendering;

/// <summary>Line diffs in the unified format (<c>---</c>/<c>+++</c> headers, <c>@@</c> hunks), computed with
/// Myers' O(ND) algorithm, which is fast when the texts differ in few lines, as injected manifests do.</summary>
public static class UnifiedDiff
{
    internal enum Edit { Equal, Delete, Insert }

    /// <summary>A file name as the <c>---</c> and <c>+++</c> lines give it: followed by a tab when it holds a space,
    /// as git writes it, because <c>patch</c> otherwise ends the name at the first space.</summary>
    internal static string HeaderName(string name) => name.Contains(' ', StringComparison.Ordinal) ? name + "\t" : name;

    /// <summary>The unified diff of two texts, or an empty string when they are equal.</summary>
    public static string Create(string oldName, string newName, string oldText, string newText, int context = 3)
    {
        var a = Lines(oldText);
        var b = Lines(newText);
        var script = Script(a, b);
        if (script.All(e => e.Edit == Edit.Equal)) return "";

        var output = new StringBuilder();
        output.Append("--- ").Append(HeaderName(oldName)).Append('\n');
        output.Append("+++ ").Append(HeaderName(newName)).Append('\n');
        var i = 0;
        while (i < script.Count)
        {
            // A hunk starts `context` lines before the next change and ends when two changes are further apart than 2 × context.
            var firstChange = script.FindIndex(i, e => e.Edit != Edit.Equal);
            if (firstChange < 0) break;
            var start = Math.Max(i, firstChange - context);
            var end = firstChange;
            var lastChange = firstChange;
            while (end < script.Count)
            {
                if (script[end].Edit != Edit.Equal) lastChange = end;
                else if (end - lastChange > 2 * context) break;
                end++;
            }
            end = Math.Min(script.Count, lastChange + context + 1);

            var oldStart = script[start].OldIndex;
            var newStart = script[start].NewIndex;
            var oldCount = 0;
            var newCount = 0;
            var body = new StringBuilder();
            for (var j = start; j < end; j++)
            {
                var (edit, oldIndex, newIndex) = script[j];
                switch (edit)
                {
                    case Edit.Equal: body.Append(Written(" " + a[oldIndex])); oldCount++; newCount++; break;
                    case Edit.Delete: body.Append(Written("-" + a[oldIndex])); oldCount++; break;
                    default: body.Append(Written("+" + b[newIndex])); newCount++; break;
                }
            }
            output.Append("@@ -").Append(Range(oldStart, oldCount)).Append(" +").Append(Range(newStart, newCount)).Append(" @@\n");
            output.Append(body);
            i = end;
        }
        return output.ToString();
    }

    // An empty range is written as the line before it, as diff and patch expect.
    internal static string Range(int start, int count) => count switch
    {
        0 => $"{start},0",
        1 => $"{start + 1}",
        _ => $"{start + 1},{count}",
    };

    /// <summary>Ends a line of the text that has no newline after it: it then differs from the same line with one,
    /// and is written with diff's "\ No newline at end of file" after it.</summary>
    internal const char NoNewline = '\0';

    internal static string[] Lines(string text)
    {
        if (text.Length == 0) return [];
        var lines = text.Split('\n');
        if (text.EndsWith('\n')) return lines[..^1];
        lines[^1] += NoNewline;
        return lines;
    }

    /// <summary>A line of a hunk (its tag included) as written: with its newline, and the marker after a last line
    /// that had none.</summary>
    internal static string Written(string taggedLine) =>
        taggedLine.EndsWith(NoNewline) ? taggedLine[..^1] + "\n\\ No newline at end of file\n" : taggedLine + "\n";

    /// <summary>The edit script: each entry with the index of its line in the old text and in the new one
    /// (for inserts, the old index is where the insert happens, and the reverse for deletes).</summary>
    internal static List<(Edit Edit, int OldIndex, int NewIndex)> Script(string[] a, string[] b)
    {
        int n = a.Length, m = b.Length, max = n + m, offset = max + 1;
        var v = new int[2 * max + 3];
        var trace = new List<int[]>();
        var found = false;
        for (var d = 0; d <= max && !found; d++)
        {
            // Only diagonals -d..d are live at step d: keep just that slice for the backtrack.
            var snapshot = new int[2 * d + 3];
            Array.Copy(v, offset - d - 1, snapshot, 0, 2 * d + 3);
            trace.Add(snapshot);
            for (var k = -d; k <= d; k += 2)
            {
                var x = k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
                var y = x - k;
                while (x < n && y < m && a[x] == b[y]) { x++; y++; }
                v[offset + k] = x;
                if (x >= n && y >= m) { found = true; break; }
            }
        }

        var script = new List<(Edit, int, int)>();
        int cx = n, cy = m;
        for (var d = trace.Count - 1; d >= 0; d--)
        {
            var snap = trace[d];
            int At(int k) => snap[k + d + 1];
            var k0 = cx - cy;
            var prevK = k0 == -d || (k0 != d && At(k0 - 1) < At(k0 + 1)) ? k0 + 1 : k0 - 1;
            var prevX = d == 0 ? 0 : At(prevK);
            var prevY = d == 0 ? 0 : prevX - prevK;
            while (cx > prevX && cy > prevY)
            {
                cx--; cy--;
                script.Add((Edit.Equal, cx, cy));
            }
            if (d == 0) break;
            if (cx == prevX) { cy--; script.Add((Edit.Insert, cx, cy)); }
            else { cx--; script.Add((Edit.Delete, cx, cy)); }
        }
        script.Reverse();
        return script;
    }
}
