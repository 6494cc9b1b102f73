using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CsCheck;
using Injector.Core;
using Injector.Core.Injection;
using Injector.Core.Json;
using Injector.Core.Settings;

namespace Injector.Tests.Fuzz;

/// <summary>Property-based tests of the engine and the annotation parsers: random pods with random and
/// mutated <c>appmesh.k8s.aws/*</c> annotations never make the engine throw, and every patch it returns
/// applies (with an independent RFC 6902 implementation) and gives a valid pod. Each property runs a
/// fixed number of cases so that the suite stays within seconds; CsCheck prints the seed of a failure.</summary>
public sealed partial class InjectionFuzzTests
{
    private const int Iterations = 400;

    private static readonly InjectorSettings Settings = new() { MeshName = "fuzz", Region = "eu-west-1" };

    /// <summary>Engine settings that change what is added: X-Ray (a daemon container), native sidecars,
    /// Envoy first with --wait-until-proxy-ready, the SDS socket volume.</summary>
    private static readonly Gen<InjectorSettings> AnySettings = Gen.Select(Gen.Bool, Gen.Int[0, 2], Gen.Bool, Gen.Bool,
        (xray, mode, wait, sds) => Settings with
        {
            EnableXrayTracing = xray,
            SidecarMode = (SidecarMode)mode,
            WaitUntilProxyReady = wait,
            EnableSds = sds,
        });

    /// <summary>Names the pod's own containers may have: ordinary ones, and the X-Ray daemon's (a pod that runs
    /// its own daemon, which the injector must not add a second time).</summary>
    private static readonly string[] ContainerNames = ["app", "web", "worker", PodInjector.XrayName, "sidecar"];

    private static readonly string[] SampleValues =
    [
        "enabled", "disabled", "ENABLED", " enabled ", "true", "false", "", " ", "mesh-a", "node_1", "8080,9090", "80, 443",
        "0", "65535", "65536", "-1", "1,,2", "10m", "0.5", "64Mi", "1Gi", "1e3", "1E-3", ".5", "5.", "+1", "1Ki", "1.5Gi",
        "100m", "9999999999999999999999999999E", "1e400", "169.254.169.254", "10.0.0.0/8", "::1", "fd00::/8", "10.0.0.0/33",
        "1.2", "fe80::1%eth0", "my-secret:/etc/secret", "data:/mnt/data,cache:/cache", "bad:relative", ":/x", "s:/a:b",
        "FOO=bar", "FOO=bar,BAR=baz", "=x", "1BAD=x", "A=b=c", "FOO=1,FOO=2", "AWS_REGION=us-east-1",
        "registry.example.com/envoy:v1.2.3", "Envoy:Latest", "envoy@sha256:" + new string('a', 64), "trace", "Debug", "loud",
        "é", "\u0000", "a/b", "~", "{\"json\":true}", new string('x', 300),
        // Values of issue 13 B.4/B.5: trailing newlines, control characters, addresses iptables reads otherwise.
        "demo\n", "8080\n", "80\u0007", "A=b\u0001c", "010.0.0.1", "0x7f.0.0.1", "[::1]", "1.2.3.4/024", "10.1", "0100",
        "{\"A\":\"1,2\"}", "{\"A\":{}}", "{\"A\":\"\"}", "xray-config:/etc/xray", "xray-config:/a,b:/c", "xds.example.com:18000", "unix:///run/xds.sock",
        "9901", "15000,15001", "ref:status.hostIP",
    ];

    private static readonly Gen<string> Chars = Gen.String[Gen.Char["abcXYZ019,:=/.-_ ~%@é\t"], 0, 24];

    /// <summary>Well-formed values, values with one character changed, and noise.</summary>
    private static readonly Gen<string> AnnotationValue = Gen.Frequency(
        (5, Gen.OneOf(SampleValues)),
        (3, Gen.Select(Gen.OneOf(SampleValues), Gen.Int[0, 64], Gen.Char["0a,:=/ .-"], Mutate)),
        (2, Chars));

    private static readonly Gen<string> AnnotationKey = Gen.Frequency(
        (8, Gen.OneOf(AnnotationKeys.UserKeys.ToArray())),
        (1, Gen.OneOf(AnnotationKeys.Prefix + "cpuRequests", AnnotationKeys.Prefix + "Mesh", AnnotationKeys.Prefix + "virtualnode", "example.com/other")),
        (1, Chars.Select(s => AnnotationKeys.Prefix + s)));

    private static readonly Gen<Dictionary<string, string>> Annotations =
        Gen.Select(AnnotationKey, AnnotationValue).Array[0, 8]
            .Select(pairs => pairs.GroupBy(p => p.Item1).ToDictionary(g => g.Key, g => g.First().Item2, StringComparer.Ordinal));

    private static string Mutate(string value, int position, char c) =>
        value.Length == 0 ? c.ToString() : value.Remove(position % value.Length, 1).Insert(position % value.Length, c.ToString());

    private static readonly Gen<JsonObject> Container = Gen.Select(
        Gen.Int[0, 3], Gen.Int[1, 65535].Array[0, 3], Gen.Int[0, 6], Gen.Bool, Gen.Bool,
        (image, ports, envCount, withResources, withUnknownField) =>
        {
            var container = new JsonObject
            {
                ["name"] = "placeholder",
                ["image"] = $"registry.example.com/app-{image}:1.0",
            };
            if (ports.Length > 0)
                container["ports"] = new JsonArray([.. ports.Select(p => (JsonNode?)new JsonObject { ["containerPort"] = p, ["protocol"] = "TCP" })]);
            if (envCount > 0)
                container["env"] = new JsonArray([.. Enumerable.Range(0, envCount).Select(i => (JsonNode?)new JsonObject { ["name"] = $"APP_SETTING_{i}", ["value"] = $"v{i}" })]);
            if (withResources)
                container["resources"] = new JsonObject { ["requests"] = new JsonObject { ["cpu"] = "50m", ["memory"] = "64Mi" } };
            if (withUnknownField)
                container["futureField"] = new JsonObject { ["nested"] = new JsonArray(1, "two", null, true) };
            return container;
        });

    private static readonly Gen<JsonObject> Pods = Gen.Select(
        Container.Array[1, 4], Container.Array[0, 2], Gen.Int[0, 3], Annotations, Gen.Frequency((9, false), (1, true)),
        Gen.Int[0, 4], Gen.Bool, Gen.Int[0, ContainerNames.Length - 1].Array[6],
        (containers, inits, volumeCount, annotations, hostNetwork, owner, restartAlways, names) =>
        {
            // Names unique within the pod (the API server's rule for its input), some of them xray-daemon.
            var taken = new HashSet<string>();
            string Name(int i, string prefix) => taken.Add(ContainerNames[names[i]]) ? ContainerNames[names[i]] : $"{prefix}-{i}";
            for (var i = 0; i < containers.Length; i++) containers[i]["name"] = Name(i, "app");
            for (var i = 0; i < inits.Length; i++)
            {
                inits[i]["name"] = Name(4 + i, "init");
                if (restartAlways) inits[i]["restartPolicy"] = "Always";
            }
            var metadata = new JsonObject
            {
                ["name"] = owner == 0 ? null : "web-7d4b9c-x2x9z",
                ["namespace"] = "shop",
                ["labels"] = new JsonObject { ["app"] = "web" },
            };
            if (owner == 0) metadata.Remove("name");
            if (owner == 3) metadata["labels"]!["eks.amazonaws.com/fargate-profile"] = "fp";
            if (annotations.Count > 0)
                metadata["annotations"] = new JsonObject([.. annotations.Select(a => KeyValuePair.Create(a.Key, (JsonNode?)a.Value))]);
            var spec = new JsonObject { ["containers"] = new JsonArray([.. containers]) };
            if (inits.Length > 0) spec["initContainers"] = new JsonArray([.. inits]);
            if (volumeCount > 0)
                spec["volumes"] = new JsonArray([.. Enumerable.Range(0, volumeCount).Select(i => (JsonNode?)new JsonObject { ["name"] = i switch { 0 => "data", 1 => "xray-config", _ => $"vol-{i}" }, ["emptyDir"] = new JsonObject() })]);
            if (hostNetwork) spec["hostNetwork"] = true;
            return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["metadata"] = metadata, ["spec"] = spec };
        });

    [Fact]
    public void Random_pods_and_annotations_never_throw_and_every_patch_applies_to_a_valid_pod()
    {
        var outcomes = new int[3];
        Gen.Select(Pods, AnySettings).Sample((pod, settings) =>
        {
            var injector = new PodInjector(settings);
            var before = pod.ToJsonString();
            var result = injector.Inject(pod, new PodContext("shop", WorkloadName: "web"));
            Interlocked.Increment(ref outcomes[(int)result.Outcome]);
            Assert.Equal(before, pod.ToJsonString()); // the input is never modified
            switch (result.Outcome)
            {
                case InjectionOutcome.Injected:
                    var patched = TestPatch.Apply(pod, result.Patch);
                    Assert.True(JsonNode.DeepEquals(result.Pod, patched), "the patch does not give the injected pod");
                    AssertValidPod(patched);
                    AssertRecordedPatchIsTheDiff(injector, pod, result);
                    var again = injector.Inject(patched.AsObject(), new PodContext("shop", WorkloadName: "web"));
                    Assert.Equal(InjectionOutcome.Skipped, again.Outcome);
                    Assert.Equal(Reasons.AlreadyInjected, again.Reason);
                    break;
                case InjectionOutcome.Denied:
                    Assert.Empty(result.Patch);
                    Assert.False(string.IsNullOrWhiteSpace(result.Message));
                    break;
                default:
                    Assert.Empty(result.Patch);
                    Assert.Null(result.Pod);
                    break;
            }
            // Messages go to admission warnings and Events: never a control character in them.
            Assert.All(result.Warnings.Append(result.Message), m => Assert.False(Formats.HasControlCharacter(m), m));
        }, iter: Iterations, threads: 1);
        // The generator must reach every outcome, or the property says little.
        Assert.All(outcomes, count => Assert.True(count > 0, $"outcomes injected/skipped/denied: {string.Join('/', outcomes)}"));
    }

    /// <summary>Issue 11 item 1: an injected pod never has two containers (containers and init containers
    /// together) of one name — whatever the pod already runs (its own xray-daemon) and whatever the settings
    /// add (X-Ray, native sidecars); a name that is taken is not added again, and a warning says so.</summary>
    [Fact]
    public void No_injected_pod_has_two_containers_of_one_name()
    {
        var withOwnDaemon = 0;
        Gen.Select(Pods, AnySettings).Sample((pod, settings) =>
        {
            var result = new PodInjector(settings).Inject(pod, new PodContext("shop", WorkloadName: "web"));
            if (result.Outcome != InjectionOutcome.Injected) return;
            var spec = result.Pod!["spec"]!;
            var names = (spec["containers"]?.AsArray() ?? []).Concat(spec["initContainers"]?.AsArray() ?? []).Select(c => (string)c!["name"]!).ToList();
            Assert.Equal(names.Count, names.Distinct().Count());
            if (settings.EnableXrayTracing && SelectionGateHas(pod, PodInjector.XrayName))
            {
                withOwnDaemon++;
                Assert.Contains(result.Warnings, w => w.StartsWith("the pod already has a container named xray-daemon", StringComparison.Ordinal));
            }
        }, iter: Iterations, threads: 1);
        Assert.True(withOwnDaemon > 0, "the generator never gave a pod its own xray-daemon with X-Ray on");
    }

    private static bool SelectionGateHas(JsonObject pod, string name) =>
        (pod["spec"]?["containers"] as JsonArray ?? []).Concat(pod["spec"]?["initContainers"] as JsonArray ?? []).Any(c => JsonNodes.Str(c?["name"]) == name);

    [Fact]
    public void Arbitrary_json_in_place_of_a_pod_is_denied_or_skipped_or_injected_never_thrown()
    {
        var injector = new PodInjector(Settings);
        var junk = AnyJson(3);
        Gen.Select(Pods, Gen.OneOf("metadata", "spec", "containers", "annotations", "labels", "ports", "env", "volumes", "initContainers", "name"), junk)
            .Sample((pod, where, value) =>
            {
                Replace(pod, where, value);
                var result = injector.Inject(pod, new PodContext("shop"));
                if (result.Outcome == InjectionOutcome.Injected)
                {
                    Assert.True(JsonNode.DeepEquals(result.Pod, TestPatch.Apply(pod, result.Patch)));
                    AssertRecordedPatchIsTheDiff(injector, pod, result, new PodContext("shop"));
                }
            }, iter: Iterations, threads: 1);
    }

    /// <summary>The engine records its patch while editing; it must be exactly the diff of the two pods
    /// (operations, order and values), and injecting in place (with nodes, or with the added containers as
    /// their JSON text, the webhook's way) must give the same patch.</summary>
    private static void AssertRecordedPatchIsTheDiff(PodInjector injector, JsonObject pod, InjectionResult result, PodContext? context = null)
    {
        Assert.Equal(JsonPatch.ToJson(JsonPatch.Diff(pod, result.Pod)), JsonPatch.ToJson(result.Patch));
        var inPlace = injector.Inject(pod.DeepClone().AsObject(), context ?? new PodContext("shop", WorkloadName: "web"), inPlace: true);
        Assert.Equal(JsonPatch.ToJson(result.Patch), JsonPatch.ToJson(inPlace.Patch));
        using var parsed = JsonElements.Parse(pod);
        var patchOnly = injector.Inject(parsed.RootElement, context ?? new PodContext("shop", WorkloadName: "web"), writeOnly: true);
        Assert.Equal(JsonPatch.ToJson(result.Patch), JsonPatch.ToJson(patchOnly.Patch));
    }

    [Fact]
    public void Annotation_parsers_keep_control_characters_out_and_report_every_value_they_do_not_take_as_given()
    {
        Annotations.Sample(map =>
        {
            var o = PodOverrides.Parse(new EffectiveAnnotations(map));
            // Lists are written the way iptables reads them: reading the written list again changes nothing.
            foreach (var list in new[] { o.Ports, o.EgressIgnoredPorts })
            {
                if (list is null) continue;
                Assert.DoesNotContain(IptablesLists.ReadPorts(list).Entries, e => e.Kind is EntryKind.Rewritten or EntryKind.Dropped);
            }
            if (o.EgressIgnoredIps is { } ips)
                Assert.DoesNotContain(IptablesLists.ReadAddresses(ips).Entries, e => e.Kind is EntryKind.Rewritten or EntryKind.Dropped);
            foreach (var q in new[] { o.CpuRequest, o.MemoryRequest, o.CpuLimit, o.MemoryLimit })
                if (q is { } quantity) Assert.True(Quantity.TryParse(quantity.Text, out _));
            Assert.All(o.SidecarEnv, e => Assert.Matches(EnvName(), e.Key));
            Assert.All(o.SecretMounts.Concat(o.VolumeMounts), m => Assert.True(Formats.IsDnsLabel(m.Name), m.Name));
            if (o.Mesh is not null) Assert.True(Formats.IsMeshName(o.Mesh));
            if (o.VirtualNode is not null) Assert.True(Formats.IsMeshName(o.VirtualNode));
            if (o.SidecarImage is not null) Assert.True(Formats.IsImage(o.SidecarImage));
            if (o.XdsEndpoint is not null) Assert.True(Formats.IsXdsEndpoint(o.XdsEndpoint));
            // Issue 13 B.4: nothing read from an annotation carries a control character into the pod.
            var values = new[] { o.Mesh, o.VirtualNode, o.Ports, o.EgressIgnoredPorts, o.EgressIgnoredIps, o.SidecarImage, o.SidecarLogLevel, o.XdsEndpoint, o.SigningName, o.ResourceCluster }
                .Concat(o.SidecarEnv.Select(e => e.Value.Value)).Concat(o.SecretMounts.Concat(o.VolumeMounts).Select(m => m.MountPath));
            Assert.All(values, v => Assert.False(Formats.HasControlCharacter(v), v));
            // Every value that is not taken as given is reported (denied or warned), never dropped in silence.
            var reports = o.Errors.Concat(o.Warnings).ToList();
            foreach (var (key, value) in map)
            {
                if (key == AnnotationKeys.Mesh && o.Mesh is null) Assert.Contains(reports, e => e.Contains(key + ":", StringComparison.Ordinal));
                if (key == AnnotationKeys.Preview && Formats.ParseEnabled(value) is null) Assert.Contains(reports, e => e.Contains(key + ":", StringComparison.Ordinal));
                if (key == AnnotationKeys.SidecarImage && o.SidecarImage is null) Assert.Contains(reports, e => e.Contains(key + ":", StringComparison.Ordinal));
                if (key == AnnotationKeys.CpuRequest && o.CpuRequest is null) Assert.Contains(reports, e => e.Contains(key, StringComparison.Ordinal));
                if (key == AnnotationKeys.Ports && IptablesLists.ReadPorts(value) is { IsCanonical: false, Entries.Count: > 0 })
                    Assert.Contains(reports, e => e.Contains(key + ":", StringComparison.Ordinal));
                if (key == AnnotationKeys.EgressIgnoredIPs && IptablesLists.ReadAddresses(value) is { IsCanonical: false, Entries.Count: > 0 })
                    Assert.Contains(reports, e => e.Contains(key + ":", StringComparison.Ordinal));
            }
        }, iter: Iterations * 2, threads: 1);
    }

    [Fact]
    public void Value_parsers_never_throw_on_any_text()
    {
        Gen.Frequency((1, Chars), (1, Gen.String)).Sample(text =>
        {
            _ = CanonicalPorts(text);
            _ = CanonicalAddresses(text);
            _ = Formats.ParseEnabled(text);
            _ = Formats.IsImage(text);
            _ = Formats.IsMeshName(text);
            if (Quantity.TryParse(text, out var q)) Assert.Equal(text, q.Text);
        }, iter: Iterations * 5, threads: 1);
    }

    // Found by the property above: reading a container's name threw InvalidOperationException.
    [Theory]
    [InlineData("containers", "[{\"name\":\"app\"},1]", "spec.containers[1] must be an object")]
    [InlineData("initContainers", "[[\"envoy\"]]", "spec.initContainers[0] must be an object")]
    public void A_container_that_is_not_an_object_denies_the_pod(string list, string json, string message)
    {
        var injector = new PodInjector(Settings);
        var pod = JsonNode.Parse("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":\"app\"}]}}")!.AsObject();
        pod["spec"]![list] = JsonNode.Parse(json);
        var result = injector.Inject(pod, new PodContext("shop"));
        Assert.Equal(InjectionOutcome.Denied, result.Outcome);
        Assert.Equal(Reasons.InvalidPod, result.Reason);
        Assert.Equal(message, result.Message);
    }

    // Found by the HTTP fuzzing of issue 13: a field the engine adds to, of another kind, was replaced by
    // the injector's own value (the user's value lost) instead of the pod being denied.
    [Theory]
    [InlineData("/metadata", "\"p\"", "metadata must be an object")]
    [InlineData("/metadata/annotations", "[]", "metadata.annotations must be an object")]
    [InlineData("/spec/initContainers", "7", "spec.initContainers must be a list")]
    [InlineData("/spec/volumes", "{\"name\":\"v\"}", "spec.volumes must be a list")]
    [InlineData("/spec/imagePullSecrets", "\"regcred\"", "spec.imagePullSecrets must be a list")]
    [InlineData("/spec/securityContext", "[]", "spec.securityContext must be an object")]
    public void A_field_the_engine_adds_to_that_is_of_another_kind_denies_the_pod(string pointer, string json, string message)
    {
        var injector = new PodInjector(Settings);
        var pod = JsonNode.Parse("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":\"app\"}]}}")!.AsObject();
        var parts = pointer.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var parent = parts.Length == 1 ? pod : pod[parts[0]]!.AsObject();
        parent[parts[^1]] = JsonNode.Parse(json);

        var result = injector.Inject(pod, new PodContext("shop"));

        Assert.Equal((InjectionOutcome.Denied, Reasons.InvalidPod, message), (result.Outcome, result.Reason, result.Message));
    }

    private static Gen<JsonNode?> AnyJson(int depth)
    {
        var leaf = Gen.Frequency<JsonNode?>(
            (1, Gen.Const((JsonNode?)null)),
            (1, Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b))),
            (1, Gen.Int.Select(i => (JsonNode?)JsonValue.Create(i))),
            (1, Gen.Double.Select(d => (JsonNode?)(double.IsFinite(d) ? JsonValue.Create(d) : JsonValue.Create(0.5)))),
            (2, Chars.Select(s => (JsonNode?)JsonValue.Create(s))));
        if (depth == 0) return leaf;
        var inner = AnyJson(depth - 1);
        return Gen.Frequency(
            (3, leaf),
            (1, inner.Array[0, 3].Select(items => (JsonNode?)new JsonArray(items))),
            (1, Gen.Select(Gen.OneOf("name", "containerPort", "a", "value", "env"), inner).Array[0, 3]
                .Select(pairs => (JsonNode?)new JsonObject(pairs.DistinctBy(p => p.Item1).Select(p => KeyValuePair.Create(p.Item1, p.Item2))))));
    }

    /// <summary>Puts <paramref name="value"/> where the first property called <paramref name="name"/> is (or adds it to spec).</summary>
    private static void Replace(JsonObject pod, string name, JsonNode? value)
    {
        foreach (var node in Walk(pod))
        {
            if (node is JsonObject obj && obj.ContainsKey(name))
            {
                obj[name] = value;
                return;
            }
        }
        pod["spec"]![name] = value;
    }

    private static IEnumerable<JsonNode> Walk(JsonNode node)
    {
        yield return node;
        var children = node switch
        {
            JsonObject o => o.Select(p => p.Value),
            JsonArray a => a.AsEnumerable(),
            _ => [],
        };
        foreach (var child in children.ToList())
            if (child is not null)
                foreach (var n in Walk(child)) yield return n;
    }

    /// <summary>What the API server would check of the containers the injector adds, and of the whole pod.</summary>
    private static void AssertValidPod(JsonNode pod)
    {
        var spec = pod["spec"]!.AsObject();
        var all = (spec["containers"]?.AsArray() ?? []).Concat(spec["initContainers"]?.AsArray() ?? []).Select(c => c!.AsObject()).ToList();
        var names = all.Select(c => (string)c["name"]!).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.All(names, n => Assert.Matches(DnsLabel(), n));
        foreach (var container in all)
        {
            foreach (var port in container["ports"]?.AsArray() ?? [])
            {
                Assert.InRange(port!["containerPort"]!.GetValue<int>(), 1, 65535);
                if (port["protocol"] is { } protocol) Assert.Contains((string)protocol!, new[] { "TCP", "UDP", "SCTP" });
            }
            foreach (var env in container["env"]?.AsArray() ?? [])
            {
                Assert.Matches(EnvName(), (string)env!["name"]!);
                if (env["valueFrom"] is { } from)
                {
                    Assert.Null(env["value"]);
                    Assert.Contains((string)from["fieldRef"]!["fieldPath"]!, new[] { "metadata.uid", "status.hostIP" });
                }
                else
                {
                    Assert.Equal(JsonValueKind.String, env["value"]!.GetValueKind());
                    // Issue 13 B.4: no control character in any env value the injector writes.
                    if (IsInjected(container)) Assert.False(Formats.HasControlCharacter((string)env["value"]!), (string)env["value"]!);
                }
            }
            if (container["resources"] is JsonObject resources)
            {
                var requests = resources["requests"]?.AsObject();
                var limits = resources["limits"]?.AsObject();
                foreach (var (kind, amount) in (requests ?? []).Concat(limits ?? []))
                    Assert.True(Quantity.TryParse((string?)amount, out _), $"{container["name"]} {kind}: {amount}");
                foreach (var (kind, request) in requests ?? [])
                {
                    if (limits?[kind] is not { } limit) continue;
                    Assert.True(Quantity.TryParse((string?)request, out var r));
                    Assert.True(Quantity.TryParse((string?)limit, out var l));
                    Assert.True(r.Value <= l.Value, $"{container["name"]} {kind}: request {r.Text} above limit {l.Text}");
                }
            }
        }
        // Every volume mounted exists, once; every volume name is unique.
        var volumes = (spec["volumes"]?.AsArray() ?? []).Select(v => (string)v!["name"]!).ToList();
        Assert.Equal(volumes.Count, volumes.Distinct().Count());
        foreach (var container in all.Where(IsInjected))
        {
            var mounts = (container["volumeMounts"]?.AsArray() ?? []).Select(m => ((string)m!["name"]!, (string)m["mountPath"]!)).ToList();
            Assert.All(mounts, m => Assert.Contains(m.Item1, volumes));
            Assert.Equal(mounts.Count, mounts.Select(m => m.Item2).Distinct().Count());
        }
        // Issue 13 B.5: what proxyinit hands to iptables is written the way iptables reads it.
        if (all.FirstOrDefault(c => (string?)c["name"] == PodInjector.ProxyInitName) is { } proxyInit)
        {
            string Env(string name) => (string)proxyInit["env"]!.AsArray().Single(e => (string?)e!["name"] == name)!["value"]!;
            Assert.DoesNotContain(IptablesLists.ReadAddresses(Env("APPMESH_EGRESS_IGNORED_IP")).Entries, e => e.Kind is EntryKind.Rewritten or EntryKind.Dropped);
            Assert.DoesNotContain(IptablesLists.ReadPorts(Env("APPMESH_APP_PORTS")).Entries, e => e.Kind is EntryKind.Rewritten or EntryKind.Dropped);
        }
        var annotations = pod["metadata"]!["annotations"]!.AsObject();
        Assert.All(annotations, a => Assert.Equal(JsonValueKind.String, a.Value!.GetValueKind()));
        var status = JsonNode.Parse((string)annotations[AnnotationKeys.Status]!)!;
        Assert.Equal(PodInjector.Version, (string?)status["version"]);
    }

    private static bool IsInjected(JsonObject container) =>
        (string?)container["name"] is PodInjector.EnvoyName or PodInjector.ProxyInitName or PodInjector.XrayName;

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex("^[-._a-zA-Z][-._a-zA-Z0-9]*$")]
    private static partial Regex EnvName();

    // A list as iptables reads it, or null when an entry is not one or is written otherwise (IptablesLists).
    private static string? CanonicalPorts(string? text) => IptablesLists.ReadPorts(text) is { IsCanonical: true } reading ? reading.Value : null;

    private static string? CanonicalAddresses(string? text) => IptablesLists.ReadAddresses(text) is { IsCanonical: true } reading ? reading.Value : null;
}
