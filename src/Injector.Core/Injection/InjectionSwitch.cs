namespace Injector.Core.Injection;

/// <summary>The switch's answer: inject or not; the skip reason and message; a warning about the value.</summary>
public readonly record struct SwitchDecision(bool Inject, string? SkipReason, string Message, string? Warning);

/// <summary>The injection switch <c>appmesh.k8s.aws/sidecarInjectorWebhook</c> (SPEC §1), decided as the App
/// Mesh controller decides it (pkg/inject/inject.go determineSidecarInjectMode): the pod's annotation,
/// else its namespace's label — the namespace's default, <c>enabled</c> or <c>disabled</c> —, else (without
/// a label) the namespace's annotation, else <c>--inject-default</c>. <c>enabled</c> and <c>disabled</c> are
/// read in any case. Any other value is, for the controller, "unspecified" (it then injects when a
/// VirtualNode selects the pod, and the value hides the namespace's default): here it is admitted with a
/// warning and <c>--inject-default</c> decides.</summary>
public static class InjectionSwitch
{
    /// <summary>The value that decides and where it is set (<c>annotation</c>, <c>namespace label</c> or
    /// <c>namespace annotation</c>), in the switch's order; null when none is set and <c>--inject-default</c> decides.</summary>
    public static (string Value, string Where)? Source(EffectiveAnnotations annotations, IReadOnlyDictionary<string, string>? namespaceLabels)
    {
        if (annotations.TryGetFromPod(AnnotationKeys.SidecarInjectorWebhook, out var value)) return (value, "annotation");
        if (namespaceLabels is not null && namespaceLabels.TryGetValue(AnnotationKeys.SidecarInjectorWebhook, out var label)) return (label, "namespace label");
        if (annotations.TryGet(AnnotationKeys.SidecarInjectorWebhook, out value, out _)) return (value, "namespace annotation");
        return null;
    }

    public static SwitchDecision Decide(EffectiveAnnotations annotations, IReadOnlyDictionary<string, string>? namespaceLabels, bool injectDefault)
    {
        if (Source(annotations, namespaceLabels) is not var (value, where)) return Default(injectDefault, null);

        switch (Formats.ParseEnabled(value))
        {
            case true:
                return new SwitchDecision(true, null, $"{where} {AnnotationKeys.SidecarInjectorWebhook} is enabled", null);
            case false:
                return new SwitchDecision(false, Reasons.DisabledByAnnotation, where == "annotation"
                    ? $"{AnnotationKeys.SidecarInjectorWebhook} is disabled"
                    : $"{where} {AnnotationKeys.SidecarInjectorWebhook} is disabled and the pod is not annotated enabled", null);
            default:
                var warning = $"{where} {AnnotationKeys.SidecarInjectorWebhook}: {PodOverrides.Quote(value)} is not valid; expected {Formats.EnabledDisabledFormat}; " +
                    $"treated as unset, as the App Mesh controller treats it: --inject-default={(injectDefault ? "true" : "false")} applies";
                return Default(injectDefault, warning);
        }
    }

    private static SwitchDecision Default(bool injectDefault, string? warning) => injectDefault
        ? new SwitchDecision(true, null, "injected by default (--inject-default=true)", warning)
        : new SwitchDecision(false, Reasons.InjectDefaultOff, $"injection is off by default (--inject-default=false) and {AnnotationKeys.SidecarInjectorWebhook} is not enabled", warning);
}
