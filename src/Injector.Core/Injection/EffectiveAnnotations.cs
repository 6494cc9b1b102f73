namespace Injector.Core.Injection;

public enum AnnotationSource { Pod, Namespace }

/// <summary>The <c>appmesh.k8s.aws/*</c> annotations that apply to a pod: its own, over those of its
/// namespace (namespace-wide defaults).</summary>
public sealed class EffectiveAnnotations
{
    private readonly IReadOnlyDictionary<string, string> _pod;
    private readonly IReadOnlyDictionary<string, string> _namespace;

    public EffectiveAnnotations(IReadOnlyDictionary<string, string>? pod, IReadOnlyDictionary<string, string>? @namespace = null)
    {
        _pod = pod ?? EmptyMap;
        _namespace = @namespace ?? EmptyMap;
        _noneOfOurs = !AnyOfOurs(_pod) && !AnyOfOurs(_namespace);
    }

    /// <summary>Whether neither the pod nor its namespace has an <c>appmesh.k8s.aws/*</c> annotation.</summary>
    public bool NoneOfOurs => _noneOfOurs;

    // Most pods carry no appmesh.k8s.aws/* annotation, nor do their namespaces: then the two dozen keys the
    // engine asks for are answered without a lookup each.
    private readonly bool _noneOfOurs;

    private static bool AnyOfOurs(IReadOnlyDictionary<string, string> map)
    {
        if (map.Count == 0) return false;
        if (map is Dictionary<string, string> dictionary)
        {
            // Without boxing its enumerator.
            foreach (var key in dictionary.Keys)
            {
                if (key.StartsWith(AnnotationKeys.Prefix, StringComparison.Ordinal)) return true;
            }
            return false;
        }
        foreach (var (key, _) in map)
        {
            if (key.StartsWith(AnnotationKeys.Prefix, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    // A namespace-wide virtual node would give every workload the same identity; it is read from pods only.
    private static readonly HashSet<string> PodOnly = [AnnotationKeys.VirtualNode, AnnotationKeys.Status];

    private static readonly IReadOnlyDictionary<string, string> EmptyMap = new Dictionary<string, string>();

    /// <summary>No annotations, of the pod or of its namespace (one shared instance: it is never changed). After
    /// <see cref="EmptyMap"/>, which it is made with.</summary>
    public static readonly EffectiveAnnotations None = new(null);

    /// <summary>The pod's own annotation keys (unknown-key warnings are about these only).</summary>
    public IEnumerable<string> PodKeys => _pod.Keys;

    public bool TryGet(string key, out string value, out AnnotationSource source)
    {
        if (_noneOfOurs && key.StartsWith(AnnotationKeys.Prefix, StringComparison.Ordinal))
        {
            value = "";
            source = default;
            return false;
        }
        if (_pod.TryGetValue(key, out value!))
        {
            source = AnnotationSource.Pod;
            return true;
        }
        if (key.StartsWith(AnnotationKeys.Prefix, StringComparison.Ordinal) && !PodOnly.Contains(key) && _namespace.TryGetValue(key, out value!))
        {
            source = AnnotationSource.Namespace;
            return true;
        }
        value = "";
        source = default;
        return false;
    }

    /// <summary>The pod's own value of <paramref name="key"/>, ignoring its namespace's.</summary>
    public bool TryGetFromPod(string key, out string value) => _pod.TryGetValue(key, out value!);

    /// <summary>Whether the pod itself (not its namespace) carries the key.</summary>
    public bool PodHas(string key) => _pod.ContainsKey(key);
}
