namespace Injector.Cli.Tests;

/// <summary><c>inject | uninject</c> gives back the input byte for byte (issue 12, item 4): for every golden
/// pod and for manifests as teams keep them (tests/testdata/roundtrip: comments, quoting of their own, CRLF
/// line ends, flow collections, a JSON list, CNI annotations the injector rewrites, the ECR secret).</summary>
public sealed class RoundTripTests
{
    private static readonly string RoundTripDirectory = Path.Combine(RepoPaths.Root, "tests", "testdata", "roundtrip");

    // The namespaces of the round-trip manifests, labelled as a meshed cluster labels them.
    private static readonly string[] Labels =
    [
        "--namespace-labels", "data:appmesh.k8s.aws/sidecarInjectorWebhook=enabled",
        "--namespace-labels", "web:appmesh.k8s.aws/sidecarInjectorWebhook=enabled",
        "--namespace-labels", "pay:appmesh.k8s.aws/sidecarInjectorWebhook=enabled",
    ];

    public static TheoryData<string> Goldens => GoldenCases.Names();

    public static TheoryData<string> Manifests()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(RoundTripDirectory).Order(StringComparer.Ordinal)) data.Add(Path.GetFileName(file));
        return data;
    }

    private static string[] ArgsLine(string text) =>
        text.Split('\n').TakeWhile(l => l.StartsWith('#')).Where(l => l.StartsWith("# args:", StringComparison.Ordinal))
            .SelectMany(l => l["# args:".Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();

    [Theory]
    [MemberData(nameof(Goldens))]
    public void Uninjecting_an_injected_golden_pod_gives_back_its_file_byte_for_byte(string name)
    {
        var input = File.ReadAllText(GoldenCases.InputPath(name));

        var injected = Cli.Run(input, ["inject", .. GoldenCases.Args(name), "-f", "-"]);
        var uninjected = Cli.Run(injected.Stdout, "uninject", "-q", "-f", "-");

        Assert.DoesNotContain(injected.ReportLines, l => l.Contains(": note: ", StringComparison.Ordinal));
        Assert.Equal((0, ""), (uninjected.ExitCode, uninjected.Stderr));
        Assert.Equal(input, uninjected.Stdout);
    }

    [Theory]
    [MemberData(nameof(Manifests))]
    public void Uninjecting_an_injected_manifest_gives_back_its_file_byte_for_byte(string file)
    {
        var input = File.ReadAllText(Path.Combine(RoundTripDirectory, file));

        var injected = Cli.Run(input, ["inject", .. Cli.BaseArgs, .. Labels, .. ArgsLine(input), "-f", "-"]);
        var uninjected = Cli.Run(injected.Stdout, "uninject", "-f", "-");

        Assert.Equal(0, injected.ExitCode);
        Assert.Contains(injected.ReportLines, l => l.Contains(": injected (", StringComparison.Ordinal));
        // Every injected document was edited in place: its comments and formatting are kept.
        Assert.DoesNotContain(injected.ReportLines, l => l.Contains(": note: ", StringComparison.Ordinal));
        Assert.Equal(0, uninjected.ExitCode);
        Assert.Equal(input, uninjected.Stdout);
    }

    [Fact]
    public void Comments_inside_an_injected_document_are_kept()
    {
        var input = File.ReadAllText(Path.Combine(RoundTripDirectory, "shop.yaml"));

        var injected = Cli.Run(input, ["inject", .. Cli.BaseArgs, "-f", "-"]);

        Assert.Contains("        prometheus.io/scrape: \"true\"   # scraped\n", injected.Stdout);
        Assert.Contains("      # the app itself\n      containers:\n        - name: cart\n", injected.Stdout);
        Assert.Contains("          - name: report\n            image: registry.example.com/report:2\n          - name: envoy\n", injected.Stdout);
        Assert.EndsWith("...\n", injected.Stdout);
    }

    [Fact]
    public void An_empty_annotations_key_as_helm_renders_it_is_edited_in_place_and_comes_back_byte_for_byte()
    {
        const string input = """
            # Source: shop/templates/deployment.yaml
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: shop-api   # the API
            spec:
              selector: {matchLabels: {app: api}}
              template:
                metadata:
                  annotations:
                  labels: {app: api}
                spec:
                  containers:
                    - name: api
                      image: "shop/api:1.2"   # pinned

            """;

        var injected = Cli.Run(input, ["inject", .. Cli.BaseArgs, "-f", "-"]);
        var uninjected = Cli.Run(injected.Stdout, ["uninject", "-f", "-"]);

        Assert.Equal(0, injected.ExitCode);
        Assert.Contains("      annotations:\n        appmesh.k8s.aws/mesh: demo\n", injected.Stdout);
        Assert.Contains("  name: shop-api   # the API\n", injected.Stdout);
        Assert.DoesNotContain(injected.ReportLines.Concat(uninjected.ReportLines), l => l.Contains(": note: ", StringComparison.Ordinal));
        Assert.Equal(input, uninjected.Stdout);
    }

    /// <summary>An empty <c>metadata:</c> in a pod template (a Job's, as Helm renders it when no labels or
    /// annotations are set) was taken as absent: the injection recorded it as created, and <c>uninject</c> took the
    /// line away instead of writing it back.</summary>
    [Fact]
    public void An_empty_template_metadata_key_as_helm_renders_it_comes_back_byte_for_byte()
    {
        const string input = """
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: migrate
            spec:
              template:
                metadata:
                spec:
                  restartPolicy: Never
                  containers:
                    - name: migrate
                      image: "shop/migrate:1.2"

            """;

        var injected = Cli.Run(input, ["inject", .. Cli.BaseArgs, "-f", "-"]);
        var uninjected = Cli.Run(injected.Stdout, ["uninject", "-f", "-"]);

        Assert.Equal(0, injected.ExitCode);
        Assert.Contains("    metadata:\n      annotations:\n        appmesh.k8s.aws/mesh: demo\n", injected.Stdout);
        Assert.Contains("\"replaced\":{\"/metadata\":null}", injected.Stdout);
        Assert.DoesNotContain(injected.ReportLines.Concat(uninjected.ReportLines), l => l.Contains(": note: ", StringComparison.Ordinal));
        Assert.Equal((0, input), (uninjected.ExitCode, uninjected.Stdout));
    }

    public static TheoryData<string, string> DiffInputs() => new()
    {
        { "shop.yaml", File.ReadAllText(Path.Combine(RoundTripDirectory, "shop.yaml")) },
        // No newline after the last line: the diff must say so ("\ No newline at end of file") for patch to apply it.
        { "shop-no-final-newline.yaml", File.ReadAllText(Path.Combine(RoundTripDirectory, "shop.yaml")).TrimEnd('\n') },
        { "pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: a\n    image: b" },
        { "pod.json", """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{"containers":[{"name":"a","image":"b"}]}}""" },
    };

    [Theory]
    [MemberData(nameof(DiffInputs))]
    public void The_diff_of_any_input_applies_with_patch(string name, string content)
    {
        using var dir = new TempDir("roundtrip");
        var file = dir.Write(name, content);
        var diff = Cli.Run(null, ["inject", .. Cli.BaseArgs, "-q", "-o", "diff", file]);
        var yaml = Cli.Run(null, ["inject", .. Cli.BaseArgs, "-q", file]);
        var changes = dir.Write("changes.diff", diff.Stdout);

        // The diff names the file by its path without the leading slash: from the root, -p1 finds it.
        var patched = ProcessRunner.Run("patch", ["-p1", "-i", changes, "--no-backup-if-mismatch"], workingDirectory: "/");

        Assert.True(patched.ExitCode == 0, patched.StdOut + patched.StdErr);
        Assert.Equal(yaml.Stdout, File.ReadAllText(file));
    }
}

/// <summary>The check behind in-place edits: an edit that would change what the document says is not written;
/// the serializer writes the document instead, and the report says so.</summary>
public sealed class InPlaceCheckTests
{
    [Fact]
    public void An_insertion_that_would_cut_a_kept_block_scalar_short_falls_back_to_the_serializer()
    {
        // "|+" keeps the blank line after "hello"; a key inserted after "hello" would take it away.
        const string input = "kind: Pod\nmetadata:\n  name: p\n  annotations:\n    note: |+\n      hello\n\nspec:\n  containers:\n  - name: a\n    image: b\n";

        var result = Cli.Run(input, ["inject", .. Cli.BaseArgs, "-f", "-"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("<stdin>:1: note: this document could not be edited in place, so it was written anew: comments inside it are lost and its formatting is normalised", result.ReportLines);
        Assert.Equal("hello\n\n", Cli.Documents(result.Stdout)[0]!["metadata"]!["annotations"]!["note"]!.GetValue<string>());
    }
}
