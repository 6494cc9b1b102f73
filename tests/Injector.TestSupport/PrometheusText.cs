using System.Globalization;
using System.Text.Json.Nodes;

namespace Injector.TestSupport;

/// <summary>One sample of a scrape: its name (with a histogram's <c>_bucket</c>/<c>_sum</c>/<c>_count</c>), labels and value.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string? Label(string name) => Labels.TryGetValue(name, out var value) ? value : null;
}

/// <summary>One metric family as Prometheus reads it: name without <c>_total</c> for counters, type, help, samples.</summary>
public sealed record PrometheusFamily(string Name, string Type, string Help, IReadOnlyList<PrometheusSample> Samples);

/// <summary>Reads a <c>/metrics</c> answer with the real Prometheus text parser — the Python client's
/// <c>prometheus_client.parser</c>, the reference implementation outside Go — so that a scrape that a Prometheus
/// server would refuse or misread fails the test, not only one that differs from an expected string.
/// Needs <c>/usr/bin/python3</c> with <c>python3-prometheus-client</c> (.ci/run installs it); without them the
/// test fails and says how to install them.</summary>
public static class PrometheusText
{
    private const string Script = """
        import json, math, sys
        from prometheus_client.parser import text_string_to_metric_families
        def number(v):
            return v if math.isfinite(v) else repr(v)
        families = [{"name": f.name, "type": f.type, "help": f.documentation,
                     "samples": [{"name": s.name, "labels": s.labels, "value": number(s.value)} for s in f.samples]}
                    for f in text_string_to_metric_families(open(sys.argv[1], encoding="utf-8").read())]
        print(json.dumps(families))
        """;

    public const string Python = "/usr/bin/python3";

    public static IReadOnlyList<PrometheusFamily> Parse(string text)
    {
        if (!File.Exists(Python))
            throw new InvalidOperationException($"{Python} is missing: the scrape is checked with the Prometheus text parser of python3-prometheus-client (apt-get install python3-prometheus-client; .ci/run does it)");
        using var dir = new TempDir("scrape");
        var input = Path.Combine(dir.Path, "metrics.txt");
        File.WriteAllText(input, text);
        var result = ProcessRunner.Run(Python, ["-c", Script, input], timeout: TimeSpan.FromSeconds(60));
        if (result.StdErr.Contains("No module named 'prometheus_client'", StringComparison.Ordinal))
            throw new InvalidOperationException("python3 has no prometheus_client module: apt-get install python3-prometheus-client (.ci/run does it)");
        if (result.ExitCode != 0) throw new InvalidOperationException($"the Prometheus text parser refused the scrape:\n{result.StdErr}\n--- scrape ---\n{text}");
        return JsonNode.Parse(result.StdOut)!.AsArray().Select(f => new PrometheusFamily(
            (string)f!["name"]!, (string)f["type"]!, (string)f["help"]!,
            f["samples"]!.AsArray().Select(s => new PrometheusSample(
                (string)s!["name"]!,
                s["labels"]!.AsObject().ToDictionary(l => l.Key, l => (string)l.Value!),
                s["value"] is JsonValue v && v.TryGetValue<double>(out var d) ? d : double.Parse(((string)s["value"]!).Replace("inf", "Infinity", StringComparison.Ordinal), CultureInfo.InvariantCulture))).ToList())).ToList();
    }

    /// <summary>The family named <paramref name="name"/> (counters without <c>_total</c>, as the parser names them).</summary>
    public static PrometheusFamily Family(this IReadOnlyList<PrometheusFamily> families, string name) =>
        families.SingleOrDefault(f => f.Name == name) ?? throw new Xunit.Sdk.XunitException($"no metric family {name} in the scrape; there are: {string.Join(", ", families.Select(f => f.Name))}");

    /// <summary>The value of the one sample of <paramref name="sample"/> whose labels include <paramref name="labels"/> ("k=v").</summary>
    public static double Value(this IReadOnlyList<PrometheusFamily> families, string sample, params string[] labels) =>
        families.SelectMany(f => f.Samples)
            .Where(s => s.Name == sample && labels.All(l => s.Label(l[..l.IndexOf('=')]) == l[(l.IndexOf('=') + 1)..]))
            .Select(s => (double?)s.Value)
            .SingleOrDefault() ?? throw new Xunit.Sdk.XunitException($"no sample {sample}{{{string.Join(",", labels)}}} in the scrape");
}
