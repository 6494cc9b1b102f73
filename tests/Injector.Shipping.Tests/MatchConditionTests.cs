using System.Text.Json.Nodes;
using Cel;
using Injector.Cli.Selection;
using Injector.Core.Injection;
using Injector.Core.Settings;

namespace Injector.Shipping.Tests;

/// <summary>The webhook's matchConditions, compiled and evaluated by a CEL implementation against pods: the ones
/// they keep away are exactly the ones meant (opted out, host network, the injector's own), and every pod
/// they keep away for being opted out or on the host network is one the engine would not inject either, so
/// that no pod loses its sidecar because the API server skipped the call. Kubernetes type-checks the
/// expressions against the Pod schema besides; here they run on the pods as JSON, which is what they read.</summary>
public sealed class MatchConditionTests
{
    private static readonly CelEnvironment Cel = new([], null);

    /// <summary>The conditions as the chart renders them (the same as <c>webhook-config</c>'s, see ChartTests).</summary>
    private static readonly List<(string Name, string Expression)> Conditions = Helm.Render().Webhook.MatchConditions
        .Select(c => (c.Name, c.Expression)).ToList();

    private static JsonObject Pod(string? annotation = null, bool? hostNetwork = null, string? nameLabel = null)
    {
        var metadata = new JsonObject { ["name"] = "web-0" };
        if (annotation is not null) metadata["annotations"] = new JsonObject { ["appmesh.k8s.aws/sidecarInjectorWebhook"] = annotation, ["appmesh.k8s.aws/mesh"] = "demo" };
        if (nameLabel is not null) metadata["labels"] = new JsonObject { ["app.kubernetes.io/name"] = nameLabel, ["app"] = "web" };
        var spec = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "nginx" }) };
        if (hostNetwork is not null) spec["hostNetwork"] = hostNetwork;
        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["metadata"] = metadata, ["spec"] = spec };
    }

    public static TheoryData<string, string?, bool?, string?, string?> Pods => new()
    {
        // description, annotation, hostNetwork, app.kubernetes.io/name, the condition that keeps it away (null: sent)
        { "a pod with neither annotations nor labels", null, null, null, null },
        { "a pod annotated enabled", "enabled", null, null, null },
        { "a pod annotated disabled", "disabled", null, null, "not-opted-out" },
        { "a pod annotated Disabled (the engine reads any case; the condition only the exact value)", "Disabled", null, null, null },
        { "a pod with hostNetwork false", null, false, null, null },
        { "a pod on the host network", null, true, null, "not-host-network" },
        { "a pod on the host network annotated disabled", "disabled", true, null, "not-opted-out" },
        { "a pod of another app", null, null, "web", null },
        { "the injector's own pod", null, null, "appmesh-inject", "not-the-injector" },
    };

    [Theory]
    [MemberData(nameof(Pods))]
    public void Each_condition_keeps_away_exactly_the_pods_it_is_meant_for(string description, string? annotation, bool? hostNetwork, string? nameLabel, string? keptAwayBy)
    {
        var pod = Pod(annotation, hostNetwork, nameLabel);

        var failing = Conditions.Where(c => !Evaluate(c.Expression, pod)).Select(c => c.Name).FirstOrDefault();

        Assert.True(keptAwayBy == failing, $"{description}: kept away by {failing ?? "nothing"}, expected {keptAwayBy ?? "nothing"}");
    }

    [Theory]
    [MemberData(nameof(Pods))]
    public void A_pod_kept_away_as_opted_out_or_on_the_host_network_is_one_the_engine_would_not_inject(string description, string? annotation, bool? hostNetwork, string? nameLabel, string? keptAwayBy)
    {
        var pod = Pod(annotation, hostNetwork, nameLabel);
        var engine = new PodInjector(new InjectorSettings { MeshName = "demo", Region = "us-west-2" }).Inject(pod, new PodContext("shop", "web"));

        // The injector's own pods are kept away on purpose: they must start while the injector is down.
        if (keptAwayBy is "not-opted-out" or "not-host-network")
            Assert.True(engine.Outcome == InjectionOutcome.Skipped, $"{description}: the engine says {engine.Outcome} ({engine.Reason})");
        else if (keptAwayBy is null)
            Assert.True(Conditions.All(c => Evaluate(c.Expression, pod)), description);
    }

    [Fact]
    public void The_conditions_are_the_commands_and_have_valid_unique_names()
    {
        Assert.Equal(WebhookSelection.MatchConditions.Select(c => (c.Name, c.Expression)), Conditions);
        Assert.Equal(Conditions.Count, Conditions.Select(c => c.Name).Distinct().Count());
        Assert.All(Conditions, c => Assert.Matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", c.Name));
    }

    private static bool Evaluate(string expression, JsonObject pod) =>
        Cel.Compile(expression)(new Dictionary<string, object?> { ["object"] = ToCel(pod) }) is true;

    /// <summary>JSON as CEL values: objects become maps with string keys, arrays lists.</summary>
    private static object? ToCel(JsonNode? node) => node switch
    {
        JsonObject o => o.ToDictionary(p => p.Key, p => ToCel(p.Value)),
        JsonArray a => a.Select(ToCel).ToList(),
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => null,
    };
}
