using System.Text.Json.Nodes;
using Injector.Webhook;

namespace Injector.Shipping.Tests;

/// <summary>values.schema.json checks what the webhook checks, so that a value the webhook would refuse is
/// refused at <c>helm install</c> (a clear message, nothing installed) and not in a crash-looping pod, and a
/// value the webhook takes is never refused by the chart. Each row goes through helm (the schema) and
/// through the webhook's own option loader (the engine's rules); the verdicts must agree.</summary>
public sealed class ValuesSchemaTests
{
    private static readonly string[] EngineRequired = ["--mesh-name=demo", "--region=us-west-2"];

    public static TheoryData<string, string, string[], bool> Rows()
    {
        var rows = new TheoryData<string, string, string[], bool>();
        // Quantities: sidecar and init requests and limits.
        foreach (var value in new[] { "10m", "0.5", "1", "64Mi", "1Gi", "1.5Gi", "+1", ".5", "5.", "1e3", "1E-3", "2e18", "100k", "3M", "1Ki" })
            rows.Add("sidecar.resources.requests.cpu", value, [$"--sidecar-cpu-requests={value}"], true);
        foreach (var value in new[] { "10x", "1.5.5", "-1", "", "Mi", "1mi", "1 Gi", "0x10", "1e", "1KiB", "1e19", "1e-19", "m10" })
            rows.Add("sidecar.resources.requests.cpu", value, [$"--sidecar-cpu-requests={value}"], false);
        foreach (var (value, ok) in new[] { ("128Mi", true), ("1G", true), ("lots", false), ("12 Mi", false) })
        {
            rows.Add("sidecar.resources.limits.memory", value, [$"--sidecar-memory-limits={value}"], ok);
            rows.Add("init.resources.requests.memory", value, [$"--init-memory-requests={value}"], ok);
        }
        // An empty limit is no limit (the App Mesh controller chart's default: limits: cpu: "" memory: "").
        foreach (var key in new[] { "sidecar.resources.limits.cpu", "sidecar.resources.limits.memory", "init.resources.limits.cpu", "init.resources.limits.memory" })
            rows.Add(key, "", [$"--{key.Split('.')[0]}-{key.Split('.')[3]}-limits="], true);
        rows.Add("init.resources.limits.cpu", "10x", ["--init-cpu-limits=10x"], false);
        // The X-Ray sampling rate: a number from 0 to 1.
        foreach (var (value, ok) in new[] { ("0", true), ("0.05", true), ("1", true), ("1.0", true), (".5", true), ("00.25", true), ("1.5", false), ("2", false), ("-0.1", false), ("abc", false), ("5%", false) })
            rows.Add("tracing.xray.samplingRate", value, ["--enable-xray-tracing", $"--xray-sampling-rate={value}"], ok);
        // Image repositories and tags, which the chart joins as repository:tag: a tag or digest in the repository made
        // repository:tag:tag, which the webhook refuses at start-up (exit 2, a crash-looping pod).
        foreach (var (value, ok) in new[] { ("public.ecr.aws/appmesh/aws-appmesh-envoy", true), ("localhost:5000/envoy", true), ("envoy", true), ("registry.example.com/team/envoy_x", true), ("public.ecr.aws/appmesh/aws-appmesh-envoy:v1.2", false), ("envoy@sha256:0123456789abcdef0123456789abcdef", false), ("Envoy", false), ("registry.example.com/", false), ("envoy image", false) })
        {
            rows.Add("sidecar.image.repository", value, [$"--sidecar-image={value}:v1.34.13.3-prod"], ok);
            rows.Add("init.image.repository", value, [$"--init-image={value}:v7-prod"], ok);
        }
        foreach (var (value, ok) in new[] { ("v1.2.3", true), ("latest", true), ("_x", true), ("v1:2", false), ("v1 2", false), ("-v1", false), ("a/b", false), ("", false) })
            rows.Add("sidecar.image.tag", value, [$"--sidecar-image=public.ecr.aws/appmesh/aws-appmesh-envoy:{value}"], ok);
        foreach (var (value, ok) in new[] { ("public.ecr.aws/xray/aws-xray-daemon", true), ("public.ecr.aws/xray/aws-xray-daemon:3.3.7", true), ("localhost:5000/xray@sha256:0123456789abcdef0123456789abcdef", true), ("Foo Bar", false), ("xray:", false), ("public.ecr.aws/xray/aws-xray-daemon:3.3.7:latest", false) })
            rows.Add("tracing.xray.image", value, ["--enable-xray-tracing", $"--xray-image={value}"], ok);
        // App Mesh names.
        foreach (var (value, ok) in new[] { ("bookinfo", true), ("my_mesh-2", true), (new string('m', 255), true), ("book.info", false), ("book info", false), (new string('m', 256), false) })
            rows.Add("mesh.name", value, [$"--mesh-name={value}"], ok);
        // After the App Mesh service: the xDS server, signing name and cluster name (an empty value sets none).
        foreach (var (value, ok) in new[] { ("", true), ("xds.mesh-system.svc.cluster.local:18000", true), ("XDS.Example.com:443", true), ("10.0.0.7:18000", true), ("[fd00::1]:18000", true), ("[::ffff:10.0.0.7]:443", true), ("[fe80::1%eth0]:18000", true), ("[1:2:3:4:5:6:7:8]:1", true), ("xds:65535", true), ("xds:00443", true), ("unix:///var/run/xds/xds.sock", true),
            ("xds:0", false), ("xds:00000", false), ("xds:65536", false), ("xds:99999", false), ("xds:443443", false), ("xds", false), ("fd00::1:18000", false), ("[fd00::1]", false), ("[10.0.0.7]:443", false), ("[:::]:443", false), ("[1::2::3]:443", false), ("[fd00::g]:443", false), ("https://xds:443", false), ("a_b:443", false), ("-xds:443", false), ("xds.:443", false), ("unix://xds.sock", false), ("unix:///", false), ("xds :443", false), (new string('a', 254) + ":443", false), (new string('a', 253) + ":443", true) })
            rows.Add("xds.endpoint", value, value.Length == 0 ? [] : [$"--xds-endpoint={value}"], ok);
        foreach (var (value, ok) in new[] { ("", true), ("appmesh", true), ("my-xds_v1.2", true), (new string('s', 63), true), ("app mesh", false), ("app/mesh", false), (new string('s', 64), false) })
            rows.Add("xds.signingName", value, value.Length == 0 ? [] : [$"--signing-name={value}"], ok);
        foreach (var (value, ok) in new[] { ("", true), ("mesh/demo/virtualNode/web", true), ("web#1", true), (new string('c', 255), true), ("a b", false), ("caf\u00e9", false), (new string('c', 256), false) })
            rows.Add("xds.resourceCluster", value, value.Length == 0 ? [] : [$"--resource-cluster={value}"], ok);
        return rows;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void The_schema_and_the_webhook_agree(string key, string value, string[] flags, bool valid)
    {
        var values = key.StartsWith("tracing.xray", StringComparison.Ordinal) ? new[] { "--set", "tracing.provider=xray" } : [];
        var helm = Helm.Run(["template", Helm.Release, Repo.ChartDir, .. Helm.Required, .. values, "--set-string", $"{key}={value}"]);
        var engine = WebhookHost.LoadOptions([.. EngineRequired, .. flags], new Dictionary<string, string>());

        Assert.True(valid == engine.Ok, $"the webhook {(engine.Ok ? "takes" : "refuses")} {key}={value}: {string.Join("; ", engine.Errors)}");
        Assert.True(valid == (helm.ExitCode == 0), $"helm {(helm.ExitCode == 0 ? "takes" : "refuses")} {key}={value}: {helm.StdErr}");
        if (valid)
        {
            // What the chart hands the webhook for it is what the webhook starts with.
            var args = new Rendered(Helm.LoadStrict(helm.StdOut)).Container.Args;
            var loaded = WebhookHost.LoadOptions(args.ToList(), new Dictionary<string, string>());
            Assert.True(loaded.Ok, string.Join("; ", loaded.Errors));
        }
        else
        {
            Assert.StartsWith("Error: values don't meet the specifications of the schema(s) in the following chart(s):", helm.StdErr);
        }
    }

    [Fact]
    public void The_limits_pattern_is_the_quantity_pattern_or_empty()
    {
        var definitions = JsonNode.Parse(File.ReadAllText(Path.Combine(Repo.ChartDir, "values.schema.json")))!["definitions"]!;
        var quantity = (string)definitions["quantity"]!["anyOf"]![0]!["pattern"]!;
        foreach (var resource in new[] { "cpu", "memory" })
            Assert.Equal("^(" + quantity[1..^1] + ")?$", (string)definitions["limits"]!["properties"]![resource]!["anyOf"]![0]!["pattern"]!);
    }

    [Fact]
    public void A_quantity_such_as_10x_is_refused_at_helm_install_with_the_path_and_the_pattern()
    {
        var pattern = (string)JsonNode.Parse(File.ReadAllText(Path.Combine(Repo.ChartDir, "values.schema.json")))!["definitions"]!["quantity"]!["anyOf"]![0]!["pattern"]!;
        var result = Helm.Run(["template", Helm.Release, Repo.ChartDir, .. Helm.Required, "--set", "sidecar.resources.requests.cpu=10x"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"    - at '/sidecar/resources/requests/cpu': '10x' does not match pattern '{pattern.Replace("\\", "\\\\")}'", result.StdErr.Split('\n'));
    }
}
