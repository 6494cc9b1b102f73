using System.Text;
using System.Text.Json.Nodes;
using Injector.Manifests;

namespace Injector.Cli.Tests;

public sealed class InjectCommandTests
{
    public static TheoryData<string, string> Kinds() => new()
    {
        { "Deployment", "/spec/template" },
        { "ReplicaSet", "/spec/template" },
        { "StatefulSet", "/spec/template" },
        { "DaemonSet", "/spec/template" },
        { "Job", "/spec/template" },
        { "ReplicationController", "/spec/template" },
        { "CronJob", "/spec/jobTemplate/spec/template" },
    };

    private static string Manifest(string kind)
    {
        var pod = new JsonObject
        {
            ["spec"] = new JsonObject
            {
                ["containers"] = new JsonArray(new JsonObject
                {
                    ["name"] = "app",
                    ["image"] = "example.com/app:1.0",
                    ["ports"] = new JsonArray(new JsonObject { ["containerPort"] = 8080 }),
                }),
            },
        };
        JsonNode spec = kind == "CronJob"
            ? new JsonObject { ["schedule"] = "@daily", ["jobTemplate"] = new JsonObject { ["spec"] = new JsonObject { ["template"] = pod } } }
            : new JsonObject { ["template"] = pod };
        return YamlJson.Write(new JsonObject
        {
            ["apiVersion"] = kind is "CronJob" or "Job" ? "batch/v1" : kind == "ReplicationController" ? "v1" : "apps/v1",
            ["kind"] = kind,
            ["metadata"] = new JsonObject { ["name"] = "web", ["namespace"] = "prod" },
            ["spec"] = spec,
        });
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_workload_kind_gets_its_pod_template_injected_and_named_after_the_workload(string kind, string templatePointer)
    {
        var input = Manifest(kind);
        var result = Cli.Inject(input, "-f", "-");

        Assert.Equal(0, result.ExitCode);
        string[] jobWarning = kind is "Job" or "CronJob"
            ? [$"<stdin>:1: {kind} prod/web: warning: {kind} pods never complete while a classic Envoy sidecar keeps running; use native sidecars on Kubernetes >= 1.29 (--sidecar-mode native, or --sidecar-mode auto against such a cluster, or the annotation appmesh.k8s.aws/nativeSidecar: enabled)"]
            : [];
        Assert.Equal([$"<stdin>:1: {kind} prod/web: injected (mesh demo, virtual node web-prod)", .. jobWarning, "1 injected, 0 skipped, 0 passed through, 0 failed, 0 unreadable"], result.ReportLines);
        var output = Assert.Single(Cli.Documents(result.Stdout))!;
        var template = Pointer(output, templatePointer);
        Assert.Equal("web-prod", template["metadata"]!["annotations"]!["appmesh.k8s.aws/virtualNode"]!.GetValue<string>());
        Assert.Equal(["app", "envoy"], template["spec"]!["containers"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()));
        Assert.Equal(["proxyinit"], template["spec"]!["initContainers"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()));
        // Only the template changed: everything outside it is as it was.
        var input0 = YamlJson.Read(input)!;
        Pointer(input0, templatePointer).ReplaceWith(template.DeepClone());
        Cli.AssertJsonEqual(input0, output);
    }

    [Fact]
    public void A_cronjob_is_injected_inside_its_job_template_and_nowhere_else()
    {
        var result = Cli.Inject(Manifest("CronJob"), "-f", "-", "-o", "json");

        var output = JsonNode.Parse(result.Stdout)!;
        Assert.Null(output["spec"]!["template"]);
        var template = output["spec"]!["jobTemplate"]!["spec"]!["template"]!;
        Assert.Equal(["metadata", "spec"], template.AsObject().Select(p => p.Key));
        Assert.Equal("web-prod", template["metadata"]!["annotations"]!["appmesh.k8s.aws/virtualNode"]!.GetValue<string>());
        Assert.Equal("mesh/demo/virtualNode/web-prod", template["spec"]!["containers"]![1]!["env"]![0]!["value"]!.GetValue<string>());
    }

    private static JsonNode Pointer(JsonNode root, string pointer) =>
        pointer.Split('/', StringSplitOptions.RemoveEmptyEntries).Aggregate(root, (node, key) => node[key]!);

    private const string MultiDocument = """
        # the app's config
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: settings   # kept verbatim
        data:
          level: "debug"
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: api
        spec:
          template:
            spec:
              containers:
              - name: api
                image: example.com/api:2
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: api
        spec:
          ports:
          - port: 80

        """;

    [Fact]
    public void Non_workload_documents_pass_through_verbatim_and_in_order()
    {
        var result = Cli.Inject(MultiDocument, "-f", "-", "-n", "staging");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(
        [
            "<stdin>:2: ConfigMap settings: passed through",
            "<stdin>:9: Deployment staging/api: injected (mesh demo, virtual node api-staging)",
            "<stdin>:20: Service api: passed through",
            "1 injected, 0 skipped, 2 passed through, 0 failed, 0 unreadable",
        ], result.ReportLines);
        Assert.StartsWith("# the app's config\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings   # kept verbatim\ndata:\n  level: \"debug\"\n---\napiVersion: apps/v1\nkind: Deployment\n", result.Stdout);
        Assert.EndsWith("---\napiVersion: v1\nkind: Service\nmetadata:\n  name: api\nspec:\n  ports:\n  - port: 80\n", result.Stdout);
        var documents = Cli.Documents(result.Stdout);
        Assert.Equal(["ConfigMap", "Deployment", "Service"], documents.Select(d => d!["kind"]!.GetValue<string>()));
        // The template had no metadata: it is created in front of spec.
        Assert.Equal(["metadata", "spec"], documents[1]!["spec"]!["template"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public void The_documents_namespace_wins_over_the_flag()
    {
        var input = Manifest("Deployment");
        var result = Cli.Inject(input, "-f", "-", "--namespace", "other");

        Assert.Equal("<stdin>:1: Deployment prod/web: injected (mesh demo, virtual node web-prod)", result.ReportLines[0]);
    }

    [Fact]
    public void A_list_has_each_item_handled_and_stays_a_list()
    {
        var list = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "List",
            ["items"] = new JsonArray(YamlJson.Read(Manifest("StatefulSet")), new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Service", ["metadata"] = new JsonObject { ["name"] = "db" } }),
        };
        var result = Cli.Inject(list.ToJsonString(), "-f", "-", "-o", "json");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["<stdin>:1: StatefulSet prod/web: injected (mesh demo, virtual node web-prod)", "<stdin>:1: Service db: passed through", "1 injected, 0 skipped, 1 passed through, 0 failed, 0 unreadable"], result.ReportLines);
        var output = JsonNode.Parse(result.Stdout)!;
        Assert.Equal("List", output["kind"]!.GetValue<string>());
        Assert.Equal("envoy", output["items"]![0]!["spec"]!["template"]!["spec"]!["containers"]![1]!["name"]!.GetValue<string>());
        Cli.AssertJsonEqual(list["items"]![1], output["items"]![1]);
    }

    [Fact]
    public void A_folder_is_read_recursively_in_name_order_and_other_files_are_ignored()
    {
        using var dir = new TempDir("cli");
        dir.Write("b.yaml", Manifest("DaemonSet"));
        dir.Write("a/deploy.yml", Manifest("Deployment"));
        dir.Write("a/pod.json", """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"solo"},"spec":{"containers":[{"name":"c","image":"x"}]}}""");
        dir.Write("notes.txt", "not a manifest: [");

        var result = Cli.Inject(null, "-f", dir.Path);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(
        [
            $"{dir.Path}/a/deploy.yml:1: Deployment prod/web: injected (mesh demo, virtual node web-prod)",
            $"{dir.Path}/a/pod.json:1: Pod default/solo: injected (mesh demo, virtual node solo-default)",
            $"{dir.Path}/b.yaml:1: DaemonSet prod/web: injected (mesh demo, virtual node web-prod)",
            "3 injected, 0 skipped, 0 passed through, 0 failed, 0 unreadable",
        ], result.ReportLines);
        Assert.Equal(["Deployment", "Pod", "DaemonSet"], Cli.Documents(result.Stdout).Select(d => d!["kind"]!.GetValue<string>()));
    }

    /// <summary>kubectl refuses a folder without manifests ("recognized file extensions are [.json .yaml .yml]"):
    /// a wrong path, most likely, which would otherwise pipe nothing on with exit code 0.</summary>
    [Fact]
    public void A_folder_without_manifests_is_a_usage_error()
    {
        using var dir = new TempDir("cli");
        dir.Write("notes.txt", "not a manifest");

        var result = Cli.Inject(null, "-f", dir.Path);

        Assert.Equal((2, ""), (result.ExitCode, result.Stdout));
        Assert.Equal($"appmesh-inject: the folder '{dir.Path}' holds no manifests (files named *.yaml, *.yml or *.json), as kubectl reads a folder", result.ReportLines[0]);
    }

    /// <summary><c>-f a.yaml,b.yaml</c> as kubectl takes it; a file whose name has a comma is still that file.</summary>
    [Fact]
    public void A_comma_separated_filename_list_is_read_as_kubectl_reads_it()
    {
        const string pod = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"NAME"},"spec":{"containers":[{"name":"c","image":"x"}]}}""";
        using var dir = new TempDir("cli");
        var a = dir.Write("a.json", pod.Replace("NAME", "a", StringComparison.Ordinal));
        var b = dir.Write("b.json", pod.Replace("NAME", "b", StringComparison.Ordinal));
        var comma = dir.Write("c,d.json", pod.Replace("NAME", "cd", StringComparison.Ordinal));

        var listed = Cli.Inject(null, "-f", $"{a},{b}");
        var named = Cli.Inject(null, "-f", comma);

        Assert.Equal(
        [
            $"{a}:1: Pod default/a: injected (mesh demo, virtual node a-default)",
            $"{b}:1: Pod default/b: injected (mesh demo, virtual node b-default)",
            "2 injected, 0 skipped, 0 passed through, 0 failed, 0 unreadable",
        ], listed.ReportLines);
        Assert.Equal(0, listed.ExitCode);
        Assert.Equal([$"{comma}:1: Pod default/cd: injected (mesh demo, virtual node cd-default)", "1 injected, 0 skipped, 0 passed through, 0 failed, 0 unreadable"], named.ReportLines);
    }

    /// <summary>As <c>kubectl -R</c> walks a folder: a linked folder is not gone into. A link up the tree wrote the
    /// same documents again at every level until the path was too long (with exit code 0), and a folder linked from
    /// elsewhere in the input (an overlay's base) was read twice.</summary>
    [Fact]
    public void A_folder_is_read_without_going_into_linked_folders()
    {
        const string pod = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"solo"},"spec":{"containers":[{"name":"c","image":"x"}]}}""";
        using var loop = new TempDir("cli");
        loop.Write("base/pod.json", pod);
        Directory.CreateSymbolicLink(loop.File("base/up"), "..");
        using var overlay = new TempDir("cli");
        overlay.Write("base/pod.json", pod);
        overlay.Folder("prod");
        Directory.CreateSymbolicLink(overlay.File("prod/base"), "../base");
        File.CreateSymbolicLink(overlay.File("prod/linked.yaml"), "../base/pod.json");

        var looped = Cli.Inject(null, "-f", loop.Path);
        var overlaid = Cli.Inject(null, "-f", overlay.Path);

        Assert.Equal(0, looped.ExitCode);
        Assert.Equal(
        [
            $"{loop.Path}/base/pod.json:1: Pod default/solo: injected (mesh demo, virtual node solo-default)",
            "1 injected, 0 skipped, 0 passed through, 0 failed, 0 unreadable",
        ], looped.ReportLines);
        // A linked file is read, as kubectl reads it.
        Assert.Equal(0, overlaid.ExitCode);
        Assert.Equal(
        [
            $"{overlay.Path}/base/pod.json:1: Pod default/solo: injected (mesh demo, virtual node solo-default)",
            $"{overlay.Path}/prod/linked.yaml:1: Pod default/solo: injected (mesh demo, virtual node solo-default)",
            "2 injected, 0 skipped, 0 passed through, 0 failed, 0 unreadable",
        ], overlaid.ReportLines);
        Assert.Equal(2, Cli.Documents(overlaid.Stdout).Count);
    }

    [Fact]
    public void A_broken_document_in_the_middle_is_reported_with_its_position_and_the_others_are_still_handled()
    {
        var input = Manifest("Deployment") + "---\nkind: ConfigMap\nmetadata: {name: [oops\n---\n" + Manifest("Job");
        var result = Cli.Inject(input, "-f", "-", "--continue-on-error");

        Assert.Equal(1, result.ExitCode);
        var n = LineCount(Manifest("Deployment"));
        Assert.Equal(
        [
            "<stdin>:1: Deployment prod/web: injected (mesh demo, virtual node web-prod)",
            $"<stdin>:{n + 4}:1: failed: invalid YAML: While parsing a flow sequence, did not find expected ',' or ']' (in the document starting at line {n + 2}); the document is left out of the output",
            $"<stdin>:{n + 5}: Job prod/web: injected (mesh demo, virtual node web-prod)",
        ], result.ReportLines[..3]);
        Assert.Equal(
        [
            "2 injected, 0 skipped, 0 passed through, 0 failed, 1 unreadable",
            "appmesh-inject: 1 document failed and was left unchanged or out of the output (--continue-on-error)",
        ], result.ReportLines[4..]);
        Assert.Equal(["Deployment", "Job"], Cli.Documents(result.Stdout).Select(d => d!["kind"]!.GetValue<string>()));
    }

    [Fact]
    public void An_alias_loop_is_an_unreadable_document_with_its_position_not_the_end_of_the_process()
    {
        var input = Manifest("Deployment") + "---\nkind: ConfigMap\ndata: &x {loop: [*x]}\n";
        var result = Cli.Inject(input, "-f", "-", "--continue-on-error");

        var n = LineCount(Manifest("Deployment"));
        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
        [
            "<stdin>:1: Deployment prod/web: injected (mesh demo, virtual node web-prod)",
            $"<stdin>:{n + 3}:7: failed: the node anchored &x holds an alias to itself (*x), so it never ends (in the document starting at line {n + 2}); the document is left out of the output",
            "1 injected, 0 skipped, 0 passed through, 0 failed, 1 unreadable",
        ], result.ReportLines[..3]);
    }

    [Fact]
    public void By_default_a_failed_document_means_nothing_on_standard_output_so_a_pipeline_applies_nothing()
    {
        var input = Manifest("Deployment") + "---\nkind: ConfigMap\nmetadata: {name: [oops\n";
        var result = Cli.Inject(input, "-f", "-");

        Assert.Equal((1, ""), (result.ExitCode, result.Stdout));
        Assert.Equal(
        [
            "<stdin>:1: Deployment prod/web: injected (mesh demo, virtual node web-prod)",
            $"<stdin>:{LineCount(Manifest("Deployment")) + 4}:1: failed: invalid YAML: While parsing a flow sequence, did not find expected ',' or ']' (in the document starting at line {LineCount(Manifest("Deployment")) + 2}); the document is left out of the output",
            "1 injected, 0 skipped, 0 passed through, 0 failed, 1 unreadable",
            "appmesh-inject: 1 document failed, so nothing was written to standard output; fix it, or pass --continue-on-error to write the others",
        ], result.ReportLines);
    }

    /// <summary>A manifest saved as Windows-1252 (an é as the one byte 0xE9): kubectl refuses it; read with U+FFFD in
    /// place of the letter, it would be written back changed without a word.</summary>
    [Fact]
    public void Bytes_that_are_not_UTF8_fail_their_document_at_their_line_and_column_instead_of_being_replaced()
    {
        var head = Encoding.UTF8.GetBytes(Manifest("Deployment") + "---\nkind: ConfigMap\nmetadata: {name: caf");
        var input = (byte[])[.. head, 0xE9, .. "}\ndata: {a: \"\uFFFD stays\"}\n"u8];
        var result = Cli.RunBytes(new Dictionary<string, string>(), input, ["inject", .. Cli.BaseArgs, "-f", "-"]);

        var n = LineCount(Manifest("Deployment"));
        Assert.Equal((1, ""), (result.ExitCode, result.Stdout));
        Assert.Equal(
        [
            "<stdin>:1: Deployment prod/web: injected (mesh demo, virtual node web-prod)",
            $"<stdin>:{n + 3}:21: failed: the input is not UTF-8 text here (saved as Latin-1 or Windows-1252?); YAML and JSON manifests are UTF-8: convert the file, e.g. with 'iconv -f WINDOWS-1252 -t UTF-8' (in the document starting at line {n + 2}); the document is left out of the output",
            "1 injected, 0 skipped, 0 passed through, 0 failed, 1 unreadable",
            "appmesh-inject: 1 document failed, so nothing was written to standard output; fix it, or pass --continue-on-error to write the others",
        ], result.ReportLines);
    }

    [Fact]
    public void A_UTF8_replacement_character_written_as_UTF8_is_text_and_passes_through_unchanged()
    {
        var input = "kind: ConfigMap\nmetadata: {name: c}\ndata: {a: \"\uFFFD stays\"}\n";
        var result = Cli.Run(input, ["inject", .. Cli.BaseArgs, "-f", "-"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("\uFFFD stays", Cli.Documents(result.Stdout).Single()!["data"]!["a"]!.GetValue<string>());
    }

    [Fact]
    public void A_file_PowerShell_wrote_as_UTF16_with_its_byte_order_mark_is_read()
    {
        using var dir = new TempDir();
        var path = dir.File("deploy.yaml");
        File.WriteAllText(path, Manifest("Deployment"), new UnicodeEncoding(bigEndian: false, byteOrderMark: true));

        var result = Cli.Inject(null, "-f", path);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal([$"{path}:1: Deployment prod/web: injected (mesh demo, virtual node web-prod)", "1 injected, 0 skipped, 0 passed through, 0 failed, 0 unreadable"], result.ReportLines);
    }

    [Fact]
    public void Quiet_still_reports_a_failure_and_the_empty_output()
    {
        var input = "kind: Pod\nmetadata:\n  name: p\n  annotations: {appmesh.k8s.aws/cpuLimit: lots}\nspec:\n  containers: [{name: a, image: b}]\n---\n" + Manifest("Deployment");
        var result = Cli.Inject(input, "-q", "-f", "-");

        Assert.Equal((1, ""), (result.ExitCode, result.Stdout));
        Assert.Equal(
        [
            "<stdin>:1: Pod default/p: failed (invalid-annotation): annotation appmesh.k8s.aws/cpuLimit: \"lots\" is not valid; expected a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi",
            "appmesh-inject: 1 document failed, so nothing was written to standard output; fix it, or pass --continue-on-error to write the others",
        ], result.ReportLines);
    }

    /// <summary><c>kubectl get deploy -o json | jq '.items[]' | appmesh-inject inject -</c>: JSON objects one after
    /// another, without separators, as jq writes them (one a line with -c, or indented) and as kubectl reads them.</summary>
    [Fact]
    public void A_stream_of_JSON_objects_is_read_a_document_at_a_time_as_kubectl_reads_it()
    {
        const string pod = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"},"spec":{"containers":[{"name":"c","image":"x"}]}}""";
        const string config = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"},"data":{"x":"}\"{"}}""";
        const string pretty = "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",\n  \"metadata\": {\"name\": \"c\"},\n  \"spec\": {\"containers\": [{\"name\": \"c\", \"image\": \"x\"}]}\n}\n";
        var input = pod + "\n" + config + "\n\n" + pretty;

        var result = Cli.Inject(input, "-f", "-");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(
        [
            "<stdin>:1: Pod default/a: injected (mesh demo, virtual node a-default)",
            "<stdin>:2: ConfigMap b: passed through",
            "<stdin>:4: Pod default/c: injected (mesh demo, virtual node c-default)",
            "2 injected, 0 skipped, 1 passed through, 0 failed, 0 unreadable",
        ], result.ReportLines);
        // Each object is written as it is when given alone, in its place; the stream stays one kubectl reads.
        Assert.Equal(Cli.Inject(pod + "\n", "-f", "-").Stdout + config + "\n\n" + Cli.Inject(pretty, "-f", "-").Stdout, result.Stdout);
        Assert.Equal(input, Cli.Run(result.Stdout, "uninject", "-f", "-").Stdout);
    }

    /// <summary>A key deleted by mistake: the command ended with YamlDotNet's ArgumentException and a stack trace
    /// (exit code 134) instead of reporting the document and handling the others.</summary>
    [Fact]
    public void An_entry_without_a_key_is_an_unreadable_document_with_its_position_not_a_crash()
    {
        var input = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  : settings\n---\n" + Manifest("Deployment");
        var result = Cli.Inject(input, "-f", "-", "--continue-on-error");
        var uninjected = Cli.Run(input, "uninject", "-f", "-");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
        [
            "<stdin>:4:4: failed: invalid YAML: While parsing a block mapping, did not find expected key (in the document starting at line 1); the document is left out of the output",
            "<stdin>:6: Deployment prod/web: injected (mesh demo, virtual node web-prod)",
            "1 injected, 0 skipped, 0 passed through, 0 failed, 1 unreadable",
            "appmesh-inject: 1 document failed and was left unchanged or out of the output (--continue-on-error)",
        ], result.ReportLines);
        Assert.Equal(["Deployment"], Cli.Documents(result.Stdout).Select(d => d!["kind"]!.GetValue<string>()));
        Assert.Equal((1, ""), (uninjected.ExitCode, uninjected.Stdout));
        Assert.Equal("<stdin>:4:4: failed: invalid YAML: While parsing a block mapping, did not find expected key (in the document starting at line 1); the document is left out of the output", uninjected.ReportLines[0]);
    }

    private static int LineCount(string text) => text.Count(c => c == '\n');

    [Fact]
    public void A_malformed_annotation_fails_the_resource_keeps_it_unchanged_and_exits_1()
    {
        const string input = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: p
              annotations:
                appmesh.k8s.aws/cpuRequest: lots
            spec:
              containers:
              - name: a
                image: b
            """;
        var result = Cli.Inject(input + "\n", "-f", "-", "--continue-on-error");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("<stdin>:1: Pod default/p: failed (invalid-annotation): annotation appmesh.k8s.aws/cpuRequest: \"lots\" is not valid; expected a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi", result.ReportLines[0]);
        Assert.Equal(input + "\n", result.Stdout);
    }

    [Fact]
    public void Skipped_pods_are_reported_with_their_reason_and_written_unchanged()
    {
        const string input = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    appmesh.k8s.aws/sidecarInjectorWebhook: disabled\nspec:\n  containers:\n  - {name: a, image: b}\n";
        var result = Cli.Inject(input, "-f", "-");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("<stdin>:1: Pod default/p: skipped (disabled-by-annotation): appmesh.k8s.aws/sidecarInjectorWebhook is disabled", result.ReportLines[0]);
        Assert.Equal(input, result.Stdout);
    }

    [Fact]
    public void A_YAML_1_1_boolean_reads_as_kubectl_reads_it()
    {
        // kubectl reads `hostNetwork: yes` as true: injecting this pod would capture the node's traffic.
        const string input = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostNetwork: yes\n  containers:\n  - {name: a, image: b}\n";
        var result = Cli.Inject(input, "-f", "-");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("<stdin>:1: Pod default/p: skipped (host-network): the pod uses the host network; redirecting its traffic would capture the node's traffic", result.ReportLines[0]);
        Assert.Equal(input, result.Stdout);
    }

    [Fact]
    public void Quiet_silences_the_report()
    {
        var result = Cli.Inject(Manifest("Deployment"), "-f", "-", "--quiet");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Stderr);
        Assert.NotEqual("", result.Stdout);
    }

    [Fact]
    public void Json_output_of_one_document_is_the_document_itself()
    {
        var yaml = Cli.Inject(Manifest("Deployment"), "-q", "-f", "-");
        var json = Cli.Inject(Manifest("Deployment"), "-q", "-f", "-", "-o", "json");

        Cli.AssertJsonEqual(YamlJson.Read(yaml.Stdout), JsonNode.Parse(json.Stdout));
    }

    [Fact]
    public void Patch_output_gives_per_resource_operations_that_turn_the_input_into_the_output()
    {
        var input = Manifest("Deployment") + "---\n" + Manifest("CronJob");
        var yaml = Cli.Inject(input, "-q", "-f", "-");
        var patch = Cli.Inject(input, "-q", "-f", "-", "-o", "patch");

        var entries = JsonNode.Parse(patch.Stdout)!.AsArray();
        Assert.Equal(2, entries.Count);
        Assert.Equal(["<stdin>", "1", "Deployment", "prod", "web", "/spec/template"],
            new[] { "source", "line", "kind", "namespace", "name", "template" }.Select(k => entries[0]![k]!.ToString()));
        Assert.Equal("/spec/jobTemplate/spec/template", entries[1]!["template"]!.GetValue<string>());
        Assert.Equal("/spec/jobTemplate/spec/template/metadata", entries[1]!["patch"]![0]!["path"]!.GetValue<string>());
        var inputs = Cli.Documents(input);
        var outputs = Cli.Documents(yaml.Stdout);
        for (var i = 0; i < 2; i++)
            // Same content; a patch "add" appends the created metadata after spec, so key order is not compared.
            Assert.True(JsonNode.DeepEquals(outputs[i], TestPatch.Apply(inputs[i]!, entries[i]!["patch"]!.ToJsonString())));
    }

    [Fact]
    public void Diff_output_is_a_unified_diff_whose_hunks_rebuild_the_output_from_the_input()
    {
        using var dir = new TempDir("cli");
        var file = dir.Write("app.yaml", MultiDocument);
        var diff = Cli.Inject(null, "-q", "-f", file, "-o", "diff");
        var yaml = Cli.Inject(null, "-q", "-f", file);

        var lines = diff.Stdout.Split('\n');
        Assert.Equal("--- a/" + file.TrimStart('/'), lines[0]);
        Assert.Equal("+++ b/" + file.TrimStart('/'), lines[1]);
        Assert.Matches(@"^@@ -\d+(,\d+)? \+\d+(,\d+)? @@$", lines[2]);
        // Only additions: injection never removes a line of the input.
        Assert.DoesNotContain(lines.Skip(2), l => l.StartsWith('-'));
        // The input is written as the serializer writes it, so the left side of the diff is the file itself.
        Assert.Equal(yaml.Stdout, ApplyUnifiedDiff(MultiDocument, diff.Stdout));
    }

    [Fact]
    public void Nothing_to_inject_gives_an_empty_diff()
    {
        var result = Cli.Inject("apiVersion: v1\nkind: Service\nmetadata: {name: s}\n", "-f", "-", "-o", "diff");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Stdout);
    }

    // An independent reader of the format: checks every context and removed line against the original.
    private static string ApplyUnifiedDiff(string original, string diff)
    {
        var source = original.Split('\n')[..^1];
        var result = new List<string>();
        var next = 0;
        var lines = diff.Split('\n')[..^1];
        for (var i = 2; i < lines.Length; i++)
        {
            var header = System.Text.RegularExpressions.Regex.Match(lines[i], @"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@$");
            Assert.True(header.Success, $"not a hunk header: {lines[i]}");
            var start = int.Parse(header.Groups[1].Value);
            var count = header.Groups[2].Success ? int.Parse(header.Groups[2].Value) : 1;
            var first = count == 0 ? start : start - 1;
            while (next < first) result.Add(source[next++]);
            for (; i + 1 < lines.Length && !lines[i + 1].StartsWith("@@", StringComparison.Ordinal); i++)
            {
                var line = lines[i + 1];
                switch (line[0])
                {
                    case ' ': Assert.Equal(source[next], line[1..]); result.Add(source[next++]); break;
                    case '-': Assert.Equal(source[next], line[1..]); next++; break;
                    case '+': result.Add(line[1..]); break;
                    default: Assert.Fail($"bad diff line: {line}"); break;
                }
            }
        }
        while (next < source.Length) result.Add(source[next++]);
        return string.Join('\n', result) + "\n";
    }

    [Theory]
    [InlineData(new[] { "inject", "--mesh-name", "demo", "--region", "us-west-2" }, "appmesh-inject: no input: give -f FILE, -f DIRECTORY or -f - (standard input)")]
    [InlineData(new[] { "inject", "--mesh-name", "demo", "--region", "us-west-2", "-f", "-", "-o", "xml" }, "appmesh-inject: --output: 'xml' is not one of yaml, json, patch, diff")]
    [InlineData(new[] { "inject", "--mesh-nam", "demo", "--region", "us-west-2", "-f", "-" }, "appmesh-inject: invalid configuration:")]
    [InlineData(new[] { "inject", "--region", "us-west-2", "-f", "-" }, "appmesh-inject: invalid configuration:")]
    [InlineData(new[] { "inject", "--mesh-name", "demo", "--region", "us-west-2", "-f", "/nonexistent/x.yaml" }, "appmesh-inject: cannot read '/nonexistent/x.yaml': ")]
    [InlineData(new[] { "inject", "--mesh-name", "demo", "--region", "us-west-2", "-f", "-", "-" }, "appmesh-inject: standard input ('-') can be given only once")]
    [InlineData(new[] { "uninject", "-", "-f", "-" }, "appmesh-inject: standard input ('-') can be given only once")]
    [InlineData(new[] { "injekt" }, "appmesh-inject: unknown command 'injekt'; did you mean 'inject'?")]
    [InlineData(new[] { "webhook-config", "file.yaml" }, "appmesh-inject: unexpected argument 'file.yaml'")]
    [InlineData(new[] { "inject", "--mesh-name", "demo", "--region", "us-west-2", "--continue-on-eror", "-f", "-" }, "appmesh-inject: unknown flag '--continue-on-eror' for appmesh-inject inject; did you mean '--continue-on-error'?")]
    [InlineData(new[] { "inject", "--mesh-name", "demo", "--region", "us-west-2", "-x", "-f", "-" }, "appmesh-inject: unknown flag '-x' for appmesh-inject inject")]
    [InlineData(new[] { "inject", "--mesh-name", "demo", "--region", "us-west-2", "-f" }, "appmesh-inject: flag '-f' needs a value")]
    [InlineData(new[] { "inject", "--mesh-name", "demo", "--region", "us-west-2", "-q=yes", "-f", "-" }, "appmesh-inject: flag '-q' takes no value (in '-q=yes')")]
    public void Usage_errors_exit_2_with_a_message(string[] args, string messageStart)
    {
        var result = Cli.Run("", args);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.StartsWith(messageStart, result.Stderr);
    }

    [Fact]
    public void A_misspelt_settings_flag_gets_a_suggestion()
    {
        var result = Cli.Run("", "inject", "--mesh-nam", "demo", "--region", "us-west-2", "-f", "-");

        Assert.Equal("appmesh-inject: invalid configuration:\n  unknown flag '--mesh-nam'; did you mean '--mesh-name'?\n  mesh name is required: pass --mesh-name or set APPMESH_NAME (or MESH_NAME)\nRun 'appmesh-inject inject --help' for usage.\n", result.Stderr);
    }

    [Fact]
    public void Settings_flags_and_the_config_file_reach_the_engine()
    {
        using var dir = new TempDir("cli");
        var config = dir.Write("config.yaml", "sidecar-image: registry.example.com/envoy:v9\nenvoy-log-level: debug\n");
        var result = Cli.Run(Manifest("Deployment"), "inject", "-q", "-f", "-", "--config", config, "--mesh-name", "prod-mesh", "--region", "eu-west-1", "-o", "json");

        Assert.Equal(0, result.ExitCode);
        var envoy = JsonNode.Parse(result.Stdout)!["spec"]!["template"]!["spec"]!["containers"]![1]!;
        Assert.Equal("registry.example.com/envoy:v9", envoy["image"]!.GetValue<string>());
        Assert.Equal(
            ["mesh/prod-mesh/virtualNode/web-prod", "mesh/prod-mesh/virtualNode/web-prod", "eu-west-1", "debug"],
            envoy["env"]!.AsArray().Take(4).Select(e => e!["value"]!.GetValue<string>()));
    }
}
