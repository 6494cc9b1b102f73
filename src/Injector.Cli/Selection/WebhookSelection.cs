using System.Text.Json.Nodes;
using Injector.Core.Injection;
using Injector.Core.Json;
using Injector.Manifests;

namespace Injector.Cli.Selection;

/// <summary>A CEL match condition of the webhook configuration, with the same test written for pods here.</summary>
/// <param name="Name">The condition's name in the configuration.</param>
/// <param name="Expression">The CEL expression the API server evaluates (<c>object</c> is the pod).</param>
/// <param name="Sends">Whether a pod passes the condition (is sent to the webhook), as the expression says.</param>
/// <param name="Why">Why a pod that fails it is not sent, for <c>explain</c>.</param>
/// <param name="EngineSkipsToo">Whether the engine would skip such a pod anyway (so the condition only spares the call).</param>
public sealed record MatchCondition(string Name, string Expression, Func<JsonObject, bool> Sends, string Why, bool EngineSkipsToo);

/// <summary>Which pods the API server sends to the injector (SPEC §1): the one definition that the
/// MutatingWebhookConfiguration renderer writes and that <c>explain</c>, <c>inject</c> and <c>check</c>
/// evaluate, so the two cannot drift. Namespaces labelled <c>appmesh.k8s.aws/sidecarInjectorWebhook</c>
/// <c>enabled</c> or <c>disabled</c> (the App Mesh controller's selector), never kube-system, kube-public,
/// kube-node-lease or the injector's own namespace; pods that opt out or use the host network are kept away
/// by match conditions, so they can be created while the injector is down.</summary>
public static class WebhookSelection
{
    public const string Label = AnnotationKeys.SidecarInjectorWebhook;
    public const string NameLabel = "kubernetes.io/metadata.name";

    public const string NamespaceExcluded = "namespace-excluded";
    public const string NamespaceNotSelected = "namespace-not-selected";
    public const string NamespaceUnknown = "namespace-labels-unknown";

    /// <summary>The label values whose namespaces are sent (the label is the namespace's injection default).</summary>
    public static readonly IReadOnlyList<string> LabelValues = ["enabled", "disabled"];

    /// <summary>Namespaces never sent to the injector, besides the injector's own.</summary>
    public static readonly IReadOnlyList<string> ExcludedNamespaces = ["kube-system", "kube-public", "kube-node-lease"];

    /// <summary>The label of the injector's own pods (the chart's <c>app.kubernetes.io/name</c>).</summary>
    public const string InjectorNameLabel = "app.kubernetes.io/name";
    public const string InjectorName = "appmesh-inject";

    /// <summary>CEL conditions that keep pods the injector would not inject away from it, so that they are created
    /// even while it is down under <c>failurePolicy: Fail</c>. Each only ever skips a pod the engine skips too
    /// (a test evaluates them against the engine with a CEL implementation); every other pod is sent and decided
    /// by the engine. The opt-out compares the exact value: a pod annotated <c>Disabled</c> is sent, and skipped.</summary>
    public static readonly IReadOnlyList<MatchCondition> MatchConditions =
    [
        new("not-opted-out",
            $"!has(object.metadata.annotations) || !('{Label}' in object.metadata.annotations) || object.metadata.annotations['{Label}'] != 'disabled'",
            pod => JsonNodes.Str(JsonNodes.Path(pod, "metadata", "annotations", Label)) != "disabled",
            $"the pod opts out ({Label}: disabled)", EngineSkipsToo: true),
        new("not-host-network",
            "!has(object.spec.hostNetwork) || !object.spec.hostNetwork",
            pod => JsonNodes.Bool(JsonNodes.Path(pod, "spec", "hostNetwork")) != true,
            "the pod uses the host network", EngineSkipsToo: true),
        new("not-the-injector",
            $"!has(object.metadata.labels) || !('{InjectorNameLabel}' in object.metadata.labels) || object.metadata.labels['{InjectorNameLabel}'] != '{InjectorName}'",
            pod => JsonNodes.Str(JsonNodes.Path(pod, "metadata", "labels", InjectorNameLabel)) != InjectorName,
            $"the pod is the injector's own ({InjectorNameLabel}: {InjectorName})", EngineSkipsToo: false),
    ];

    /// <summary>The object selector of the webhook configuration: a pod labelled
    /// <c>appmesh.k8s.aws/sidecarInjectorWebhook=disabled</c> is never sent, on every API server version.</summary>
    public static JsonObject ObjectSelector() => new()
    {
        ["matchExpressions"] = new JsonArray(new JsonObject
        {
            ["key"] = Label,
            ["operator"] = "NotIn",
            ["values"] = new JsonArray("disabled"),
        }),
    };

    public const string PodNotSentReason = "pod-not-sent";

    /// <summary>Why the API server never sends <paramref name="pod"/> although the engine would inject it — the
    /// object selector's opt-out label, a match condition the engine does not apply itself —; null when it does
    /// (pods the engine skips anyway keep the engine's reason).</summary>
    public static NamespaceSelection? PodNotSent(JsonObject pod)
    {
        if (JsonNodes.Str(JsonNodes.Path(pod, "metadata", "labels", Label)) == "disabled")
            return new(SelectionOutcome.NotSelected, PodNotSentReason, $"the pod is labelled {Label}=disabled (object selector), so the webhook never sees it");
        return MatchConditions.FirstOrDefault(c => !c.EngineSkipsToo && !c.Sends(pod)) is { } condition
            ? new(SelectionOutcome.NotSelected, PodNotSentReason, $"{condition.Why} (match condition {condition.Name}), so the webhook never sees it")
            : null;
    }

    /// <summary>The namespace selector of the webhook configuration.</summary>
    public static JsonObject NamespaceSelector(string injectorNamespace) => new()
    {
        ["matchExpressions"] = new JsonArray(
            new JsonObject
            {
                ["key"] = Label,
                ["operator"] = "In",
                ["values"] = new JsonArray(LabelValues.Select(v => (JsonNode?)v).ToArray()),
            },
            new JsonObject
            {
                ["key"] = NameLabel,
                ["operator"] = "NotIn",
                ["values"] = new JsonArray(Excluded(injectorNamespace).Select(n => (JsonNode?)n).ToArray()),
            }),
    };

    /// <summary>The match conditions of the webhook configuration.</summary>
    public static JsonArray MatchConditionsJson() =>
        new(MatchConditions.Select(c => (JsonNode?)new JsonObject { ["name"] = c.Name, ["expression"] = c.Expression }).ToArray());

    public static IEnumerable<string> Excluded(string injectorNamespace) => ExcludedNamespaces.Append(injectorNamespace).Distinct();

    /// <summary>Whether the webhook sees pods of <paramref name="namespace"/>, from its labels (null: not known).
    /// <paramref name="selector"/> is the configuration's namespace selector when read from the cluster.</summary>
    public static NamespaceSelection Evaluate(string @namespace, IReadOnlyDictionary<string, string>? labels, string injectorNamespace, JsonObject? selector = null)
    {
        if (Excluded(injectorNamespace).Contains(@namespace))
            return new(SelectionOutcome.NotSelected, NamespaceExcluded,
                $"namespace {@namespace} is never sent to the injector (the webhook configuration leaves out {string.Join(", ", Excluded(injectorNamespace))})");
        if (labels is null)
            return new(SelectionOutcome.Unknown, NamespaceUnknown,
                $"the labels of namespace {@namespace} are not known (no Namespace document in the input, no --namespace-labels, no cluster); the webhook sees its pods only when it is labelled {Label}=enabled or disabled");
        var withName = new Dictionary<string, string>(labels, StringComparer.Ordinal) { [NameLabel] = @namespace };
        if (LabelSelector.Matches(selector ?? NamespaceSelector(injectorNamespace), withName)) return NamespaceSelection.Selected;
        return new(SelectionOutcome.NotSelected, NamespaceNotSelected,
            labels.TryGetValue(Label, out var value)
                ? $"namespace {@namespace} is labelled {Label}={value}, which the webhook configuration does not select (enabled or disabled), so the webhook never sees its pods"
                : $"namespace {@namespace} has no {Label} label, so the webhook never sees its pods; label it {Label}=enabled to inject them");
    }
}

/// <summary>Kubernetes label selectors (<c>matchLabels</c>, <c>matchExpressions</c> with In, NotIn, Exists,
/// DoesNotExist). See <see href="https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors">label selectors</see>.</summary>
public static class LabelSelector
{
    public static bool Matches(JsonObject selector, IReadOnlyDictionary<string, string> labels)
    {
        if (selector["matchLabels"] is JsonObject matchLabels)
        {
            foreach (var (key, value) in matchLabels)
            {
                if (!labels.TryGetValue(key, out var actual) || actual != JsonNodes.Str(value)) return false;
            }
        }
        if (selector["matchExpressions"] is not JsonArray expressions) return true;
        foreach (var expression in expressions)
        {
            var key = JsonNodes.Str(expression?["key"]) ?? "";
            var values = expression?["values"] is JsonArray list ? list.Select(JsonNodes.Str).ToList() : [];
            var has = labels.TryGetValue(key, out var actual);
            var ok = JsonNodes.Str(expression?["operator"]) switch
            {
                "In" => has && values.Contains(actual),
                "NotIn" => !has || !values.Contains(actual),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!ok) return false;
        }
        return true;
    }
}
