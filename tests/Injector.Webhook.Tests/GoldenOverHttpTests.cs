
namespace Injector.Webhook.Tests;

/// <summary>The engine's golden files through the real HTTP endpoint: the returned patch, applied with an
/// independent RFC 6902 implementation, must give exactly the golden pod.</summary>
public class GoldenOverHttpTests
{
    public static TheoryData<string> Cases => GoldenCases.Names();

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Patch_returned_over_HTTP_gives_the_golden_pod(string name)
    {
        await using var webhook = await InMemoryWebhook.StartAsync(GoldenCases.Args(name));
        var pod = GoldenCases.ReadPod(name);

        var response = await webhook.ReviewAsync(Reviews.For(pod));

        Assert.Equal(true, (bool?)response["response"]!["allowed"]);
        var patch = Reviews.PatchJson(response);
        var result = patch is null ? pod : TestPatch.Apply(pod, patch);
        Assert.Equal(GoldenCases.ReadGolden(name).ToJsonString(), result.ToJsonString());
        Assert.Equal(patch is null ? null : "JSONPatch", (string?)response["response"]!["patchType"]);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task An_injected_pod_sent_again_gets_no_patch(string name)
    {
        await using var webhook = await InMemoryWebhook.StartAsync(GoldenCases.Args(name));
        var injected = GoldenCases.ReadGolden(name).AsObject();

        var response = await webhook.ReviewAsync(Reviews.For(injected));

        Assert.Equal(true, (bool?)response["response"]!["allowed"]);
        Assert.Null(response["response"]!["patch"]);
        Assert.Null(response["response"]!["patchType"]);
    }
}

public class UnknownFieldTests
{
    [Fact]
    public async Task Fields_unknown_to_the_models_survive_and_nothing_is_removed()
    {
        await using var webhook = await InMemoryWebhook.StartAsync(GoldenCases.BaseArgs);
        var pod = GoldenCases.ReadPod("unknown-fields");

        var response = await webhook.ReviewAsync(Reviews.For(pod));

        var patch = System.Text.Json.Nodes.JsonNode.Parse(Reviews.PatchJson(response)!)!.AsArray();
        Assert.All(patch, op => Assert.Equal("add", (string?)op!["op"]));
        var patched = TestPatch.Apply(pod, patch.ToJsonString());
        Assert.Equal("kept", (string?)patched["futureTopLevelField"]);
        Assert.Equal("[1,2,3]", patched["metadata"]!["futureMetadataField"]!["nested"]!.ToJsonString());
        Assert.Equal(true, (bool?)patched["spec"]!["futureSpecField"]);
        Assert.Equal(false, (bool?)patched["spec"]!["hostUsers"]);
        Assert.Equal("""{"mode":"strict"}""", patched["spec"]!["containers"]![0]!["futureContainerField"]!.ToJsonString());
        Assert.Equal("escaped pointer tokens", (string?)patched["metadata"]!["annotations"]!["example.com/a~b/c"]);
    }
}
