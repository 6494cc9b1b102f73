using Injector.Core.Injection;
using Injector.Core.Settings;
using Injector.Manifests;
using Injector.Webhook;
using YamlDotNet.RepresentationModel;

namespace Injector.Shipping.Tests;

/// <summary>docs/migrating-from-controller.md, "After the App Mesh service": the flags, chart values and annotations its
/// table names exist, and its worked example does what the guide says, taken as written: the helm command's values
/// reach the webhook as the flags of the preview command, and that command injects the guide's Deployment with
/// the variables and the socket mount the guide lists.</summary>
public sealed class XdsGuideTests
{
    private static readonly string Section = GuideSection();

    private static string GuideSection()
    {
        var guide = File.ReadAllText(Path.Combine(Repo.Root, "docs", "migrating-from-controller.md"));
        var start = guide.IndexOf("## After the App Mesh service\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "no section After the App Mesh service");
        return guide[start..guide.IndexOf("\n## ", start + 1, StringComparison.Ordinal)];
    }

    /// <summary>The fenced blocks of one language, in order.</summary>
    private static List<string> Blocks(string language) =>
        Section.Split("```" + language + "\n").Skip(1).Select(b => b[..b.IndexOf("```", StringComparison.Ordinal)]).ToList();

    /// <summary>A shell command of the guide as its words (continuation lines joined; no quoting is used).</summary>
    private static string[] Command(string startsWith)
    {
        var command = Blocks("sh").Select(b => b.Replace("\\\n", " ", StringComparison.Ordinal).Trim()).Single(b => b.StartsWith(startsWith, StringComparison.Ordinal));
        return command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public void Every_flag_chart_value_and_annotation_of_the_table_exists()
    {
        var table = Section.Split('\n').SkipWhile(l => !l.StartsWith('|')).TakeWhile(l => l.StartsWith('|')).Skip(2)
            .Select(l => l.Split('|')[1..^1].Select(c => c.Trim()).ToArray()).ToList();
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(Repo.ChartDir, "values.yaml"))));
        var xds = (YamlMappingNode)((YamlMappingNode)stream.Documents[0].RootNode).Children[new YamlScalarNode("xds")];

        Assert.Equal(["APPMESH_XDS_ENDPOINT", "APPMESH_SIGNING_NAME", "APPMESH_RESOURCE_CLUSTER"], table.Select(r => r[0].Trim('`')));
        foreach (var row in table)
        {
            var names = row[1].Split(" / ").Select(n => n.Trim('`')).ToArray();
            Assert.Equal(3, names.Length);
            Assert.Contains(EngineOptions.Table.Options, o => "--" + o.Name == names[0]);
            Assert.StartsWith("xds.", names[1], StringComparison.Ordinal);
            Assert.True(xds.Children.ContainsKey(new YamlScalarNode(names[1]["xds.".Length..])), $"no chart value {names[1]}");
            Assert.Contains(names[2], AnnotationKeys.UserKeys);
        }
    }

    [Fact]
    public void The_worked_example_gives_envoy_the_endpoint_the_signing_name_and_the_socket_mount_the_guide_lists()
    {
        // The helm command: its values reach the webhook as flags it starts with.
        var helm = Command("helm upgrade ");
        var sets = helm.Select((word, i) => (word, i)).Where(w => w.word == "--set-string").SelectMany(w => new[] { "--set-string", helm[w.i + 1] }).ToArray();
        Assert.Equal(["--set-string", "xds.endpoint=xds.example.com:443", "--set-string", "xds.signingName=xds"], sets);
        var args = Helm.Render([.. sets]).Container.Args;
        var chartFlags = args.Where(a => a.StartsWith("--xds-endpoint=", StringComparison.Ordinal) || a.StartsWith("--signing-name=", StringComparison.Ordinal) || a.StartsWith("--resource-cluster=", StringComparison.Ordinal)).ToList();
        Assert.Equal(["--xds-endpoint=xds.example.com:443", "--signing-name=xds"], chartFlags);
        Assert.True(WebhookHost.LoadOptions([.. args], new Dictionary<string, string>()).Ok);

        // The preview command: the chart's flags, and the guide's Deployment read from standard input.
        var preview = Command("appmesh-inject inject ");
        var flags = preview.Select((word, i) => (word, i)).Where(w => w.word is "--xds-endpoint" or "--signing-name" or "--resource-cluster").Select(w => $"{w.word}={preview[w.i + 1]}");
        Assert.Equal(chartFlags, flags);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        using var stdin = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(Blocks("yaml").Single()));
        var code = Injector.Cli.CliApp.Run([.. preview.Skip(1).Select(w => w == "web.yaml" ? "-" : w)], stdin, stdout, stderr, new Dictionary<string, string>());

        Assert.True(code == 0, stderr.ToString());
        Assert.Equal("<stdin>:1: Deployment shop/web: injected (mesh demo, virtual node web-shop)\n1 injected, 0 skipped, 0 passed through, 0 failed, 0 unreadable\n", stderr.ToString());
        var pod = YamlJson.ReadAll(stdout.ToString()).Single().Node!["spec"]!["template"]!["spec"]!;
        var envoy = pod["containers"]!.AsArray().Single(c => (string?)c!["name"] == "envoy")!;
        var env = envoy["env"]!.AsArray().Select(e => $"{e!["name"]}={e["value"]}").ToList();
        Assert.Equal(["APPMESH_XDS_ENDPOINT=unix:///var/run/xds/xds.sock", "APPMESH_SIGNING_NAME=xds"], env.Where(e => e.StartsWith("APPMESH_XDS_ENDPOINT=", StringComparison.Ordinal) || e.StartsWith("APPMESH_SIGNING_NAME=", StringComparison.Ordinal) || e.StartsWith("APPMESH_RESOURCE_CLUSTER=", StringComparison.Ordinal)));
        Assert.Equal(["APPMESH_XDS_ENDPOINT=unix:///var/run/xds/xds.sock", "APPMESH_SIGNING_NAME=xds"], env.TakeLast(2));
        Assert.Equal("""[{"name":"xds-socket","mountPath":"/var/run/xds","readOnly":true}]""", envoy["volumeMounts"]!.ToJsonString());
        // And the guide says so.
        Assert.Contains("`APPMESH_XDS_ENDPOINT=unix:///var/run/xds/xds.sock` and\n`APPMESH_SIGNING_NAME=xds`", Section, StringComparison.Ordinal);
        Assert.Contains("Envoy mounts\n`xds-socket` at `/var/run/xds`", Section, StringComparison.Ordinal);
    }
}
