using System.Text.Json.Nodes;
using Injector.Core.Injection;
using Injector.Core.Json;
using Injector.Core.Naming;

namespace Injector.Tests.Golden;

public class GoldenTests
{
    public static TheoryData<string> Cases => GoldenCases.Names();

    internal static async Task<InjectionResult> InjectAsync(string name, JsonObject pod, bool inPlace = false)
    {
        var (injector, context) = await EngineFor(name, pod);
        return injector.Inject(pod, context, inPlace);
    }

    /// <summary>The webhook's way: the pod read as parsed, only the patch made, the added containers kept as text.</summary>
    internal static async Task<InjectionResult> InjectAsWebhookAsync(string name, JsonObject pod)
    {
        var (injector, context) = await EngineFor(name, pod);
        using var parsed = JsonElements.Parse(pod);
        return injector.Inject(parsed.RootElement, context, writeOnly: true);
    }

    private static async Task<(PodInjector, PodContext)> EngineFor(string name, JsonObject pod)
    {
        var @namespace = JsonNodes.Str(pod["metadata"]?["namespace"]) ?? "default";
        using var parsed = JsonElements.Parse(pod);
        var workload = await WorkloadResolver.ResolveAsync(parsed.RootElement, @namespace, lookup: null, CancellationToken.None);
        return (new PodInjector(GoldenCases.Settings(name)), new PodContext(@namespace, workload.Name));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Engine_output_matches_the_golden_file(string name)
    {
        var input = GoldenCases.ReadPod(name);
        var result = await InjectAsync(name, input);

        Assert.NotEqual(InjectionOutcome.Denied, result.Outcome);
        GoldenCases.AssertMatchesGolden(name, result.Pod ?? input);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Patch_applied_to_the_input_gives_the_golden_pod(string name)
    {
        var input = GoldenCases.ReadPod(name);
        var result = await InjectAsync(name, input);

        var patched = TestPatch.Apply(input, result.Patch);

        Assert.Equal(GoldenCases.ReadGolden(name).ToJsonString(), patched.ToJsonString());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Recorded_patch_is_the_diff_of_the_pods_and_the_same_in_place(string name)
    {
        var input = GoldenCases.ReadPod(name);
        var result = await InjectAsync(name, input);
        if (result.Outcome != InjectionOutcome.Injected) return;

        Assert.Equal(JsonPatch.ToJson(JsonPatch.Diff(input, result.Pod)), JsonPatch.ToJson(result.Patch));
        var pod = input.DeepClone().AsObject();
        var inPlace = await InjectAsync(name, pod, inPlace: true);
        Assert.Equal(JsonPatch.ToJson(result.Patch), JsonPatch.ToJson(inPlace.Patch));
        Assert.Same(pod, inPlace.Pod);
        Assert.Equal(GoldenCases.ReadGolden(name).ToJsonString(), pod.ToJsonString());

        // The webhook's way: the pod read as parsed, the added containers kept as their JSON text, give the same
        // patch, byte for byte, which applied to the input gives a pod that writes out as the golden one.
        var webhook = await InjectAsWebhookAsync(name, input);
        Assert.Null(webhook.Pod);
        Assert.Equal(JsonPatch.ToJson(result.Patch), JsonPatch.ToJson(webhook.Patch));
        var patched = input.DeepClone().AsObject();
        JsonPatch.Apply(patched, webhook.Patch);
        Assert.Equal(GoldenCases.ReadGolden(name).ToJsonString(), patched.ToJsonString());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Injecting_an_injected_pod_changes_nothing(string name)
    {
        var injected = GoldenCases.ReadGolden(name).AsObject();
        var result = await InjectAsync(name, injected);

        Assert.Equal(InjectionOutcome.Skipped, result.Outcome);
        Assert.Empty(result.Patch);
    }

    [Fact]
    public void Every_golden_file_has_an_input()
    {
        var stale = Directory.GetFiles(GoldenCases.Directory, "*.yaml.injected")
            .Where(golden => !File.Exists(golden[..^".injected".Length]))
            .Select(Path.GetFileName)
            .ToList();
        Assert.Empty(stale);
    }

    [Fact]
    public void Skipped_cases_are_left_exactly_as_they_came()
    {
        foreach (var name in new[] { "host-network", "annotation-disabled", "already-injected" })
        {
            Assert.Equal(
                GoldenCases.ReadPod(name).ToJsonString(),
                GoldenCases.ReadGolden(name).ToJsonString());
        }
    }
}
