using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Injector.Core.Injection;
using Injector.Core.Json;
using Injector.Core.Settings;

namespace Injector.Tests.Unit;

/// <summary>The webhook writes the status annotation straight in the form its patch carries (escaped twice by the
/// default encoder), and reuses the last one per thread: its patch must be, byte for byte, the command-line tool's
/// patch, whose status is a plain string written by the default encoder.</summary>
public class StatusEncodingTests
{
    private const string StatusPath = "/metadata/annotations/appmesh.k8s.aws~1sidecarInjectorStatus";

    // The webhook's patch (values written only when the patch is) and the command-line tool's (values as nodes).
    private static (string Webhook, string Tool, InjectionResult ToolResult) Patches(JsonObject pod, InjectorSettings? settings = null)
    {
        var injector = new PodInjector(settings ?? TestPods.Settings);
        var context = new PodContext(TestPods.Namespace);
        var written = injector.Inject(TestPods.Parsed(pod), context, writeOnly: true);
        var tool = injector.Inject(pod, context);
        Assert.Equal(InjectionOutcome.Injected, written.Outcome);
        Assert.Equal(InjectionOutcome.Injected, tool.Outcome);
        return (Written(written.Patch), Written(tool.Patch), tool);
    }

    private static string Written(IReadOnlyList<PatchOperation> patch)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer)) JsonPatch.Write(writer, patch);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    // The status's value as the patch has it (a JSON string, quotes included), in its own operation or in the
    // operation that adds the annotations.
    private static string StatusValue(string patch)
    {
        var start = patch.IndexOf($$"""{"op":"add","path":"{{StatusPath}}","value":""", StringComparison.Ordinal);
        start = start >= 0
            ? patch.IndexOf("\"value\":", start, StringComparison.Ordinal) + "\"value\":".Length
            : patch.IndexOf("\"appmesh.k8s.aws/sidecarInjectorStatus\":", StringComparison.Ordinal) + "\"appmesh.k8s.aws/sidecarInjectorStatus\":".Length;
        Assert.True(start > 0 && patch[start] == '"', patch);
        var end = start + 1;
        while (patch[end] != '"') end += patch[end] == '\\' ? 2 : 1;
        return patch[start..(end + 1)];
    }

    // The status's text with the injector's version, as a JSON string value.
    private static string Quoted(string escaped) => $"\"{escaped.Replace("VERSION", PodInjector.Version, StringComparison.Ordinal)}\"";

    private static JsonObject SecretMounts(string mounts) => TestPods.Web(("appmesh.k8s.aws/secretMounts", mounts));

    public static TheoryData<string> Pods() => ["plain", "secret mounts", "ecr secret", "native", "sds", "replaced with escapes"];

    private static (JsonObject Pod, InjectorSettings? Settings) Case(string name) => name switch
    {
        "plain" => (TestPods.Web(), null),
        "secret mounts" => (SecretMounts("db-cert:/certs/db, api-key:/keys"), null),
        "ecr secret" => (TestPods.Web(), TestPods.Settings with { EnableEcrSecret = true }),
        "native" => (TestPods.Web(("appmesh.k8s.aws/nativeSidecar", "enabled")), null),
        "sds" => (TestPods.Web(), TestPods.Settings with { EnableSds = true }),
        // The pod names another mesh: the old value, recorded under "replaced", has characters the default encoder
        // escapes ('<', '+', '&', a quote, a backslash, non-ASCII).
        "replaced with escapes" => (TestPods.Web(("appmesh.k8s.aws/mesh", "<a+b> & \"é\\ü\"")), null),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Pods))]
    public void The_webhooks_patch_is_the_command_line_tools_byte_for_byte(string name)
    {
        var (pod, settings) = Case(name);

        var (webhook, tool, toolResult) = Patches(pod, settings);

        Assert.Equal(tool, webhook);
        // The tool's status is a plain string, and the patch carries it as the default encoder writes it.
        var status = toolResult.Pod!["metadata"]!["annotations"]!["appmesh.k8s.aws/sidecarInjectorStatus"]!.GetValue<string>();
        Assert.Equal(JsonSerializer.Serialize(status), StatusValue(webhook));
    }

    [Fact]
    public void A_replaced_value_with_characters_to_escape_is_escaped_twice_as_the_default_encoder_escapes_it()
    {
        var (pod, settings) = Case("replaced with escapes");

        var (webhook, _, toolResult) = Patches(pod, settings);

        var status = toolResult.Pod!["metadata"]!["annotations"]!["appmesh.k8s.aws/sidecarInjectorStatus"]!.GetValue<string>();
        Assert.Equal(
            """{"containers":["envoy"],"initContainers":["proxyinit"],"volumes":[],"added":["/metadata/annotations/appmesh.k8s.aws~1virtualNode","/spec/initContainers","/spec/securityContext","/spec/securityContext/fsGroup"],"replaced":{"/metadata/annotations/appmesh.k8s.aws~1mesh":"\u003Ca\u002Bb\u003E \u0026 \u0022\u00E9\\\u00FC\u0022"},"version":"VERSION"}""".Replace("VERSION", PodInjector.Version, StringComparison.Ordinal),
            status);
        Assert.Equal(
            Quoted("""{\u0022containers\u0022:[\u0022envoy\u0022],\u0022initContainers\u0022:[\u0022proxyinit\u0022],\u0022volumes\u0022:[],\u0022added\u0022:[\u0022/metadata/annotations/appmesh.k8s.aws~1virtualNode\u0022,\u0022/spec/initContainers\u0022,\u0022/spec/securityContext\u0022,\u0022/spec/securityContext/fsGroup\u0022],\u0022replaced\u0022:{\u0022/metadata/annotations/appmesh.k8s.aws~1mesh\u0022:\u0022\\u003Ca\\u002Bb\\u003E \\u0026 \\u0022\\u00E9\\\\\\u00FC\\u0022\u0022},\u0022version\u0022:\u0022VERSION\u0022}"""),
            StatusValue(webhook));
    }

    [Fact]
    public void The_usual_status_in_the_webhooks_patch_is_pinned_byte_for_byte()
    {
        var (webhook, _, _) = Patches(SecretMounts("db-cert:/certs/db"), TestPods.Settings with { EnableEcrSecret = true });

        Assert.Equal(
            Quoted("""{\u0022containers\u0022:[\u0022envoy\u0022],\u0022initContainers\u0022:[\u0022proxyinit\u0022],\u0022volumes\u0022:[\u0022db-cert\u0022],\u0022imagePullSecrets\u0022:[\u0022appmesh-ecr-secret\u0022],\u0022added\u0022:[\u0022/metadata/annotations/appmesh.k8s.aws~1mesh\u0022,\u0022/metadata/annotations/appmesh.k8s.aws~1virtualNode\u0022,\u0022/spec/initContainers\u0022,\u0022/spec/volumes\u0022,\u0022/spec/securityContext\u0022,\u0022/spec/securityContext/fsGroup\u0022,\u0022/spec/imagePullSecrets\u0022],\u0022version\u0022:\u0022VERSION\u0022}"""),
            StatusValue(webhook));
    }

    [Fact]
    public void Statuses_of_different_pods_in_turn_on_one_thread_are_each_the_pods_own()
    {
        // The last status is reused when the next is made of the same names: alternate pods whose statuses differ
        // in one name, one list or one flag, and each patch is still the tool's.
        string[] cases = ["plain", "secret mounts", "plain", "native", "native", "ecr secret", "sds", "plain"];
        JsonObject other = SecretMounts("db-key:/certs/db, api-key:/keys");
        foreach (var name in cases.Concat(["secret mounts"]))
        {
            var (pod, settings) = Case(name);
            var (webhook, tool, _) = Patches(pod, settings);
            Assert.Equal(tool, webhook);
            var (otherWebhook, otherTool, _) = Patches(other);
            Assert.Equal(otherTool, otherWebhook);
        }
    }
}
