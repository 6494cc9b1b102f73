namespace Injector.Core.Settings;

/// <summary>Composes an image reference from the App Mesh controller's two flags,
/// <c>--sidecar-image-repository</c> and <c>--sidecar-image-tag</c> (its chart writes <c>repository:tag</c>).</summary>
public static class ImageReference
{
    /// <summary>The image with its repository replaced, keeping its tag and digest.</summary>
    public static string WithRepository(string image, string repository) => repository + Suffix(image);

    /// <summary>The image with its tag replaced (and any digest dropped: it names another tag's content).</summary>
    public static string WithTag(string image, string tag) => Repository(image) + ":" + tag;

    /// <summary><c>registry:5000/envoy:v1@sha256:…</c> → <c>registry:5000/envoy</c>.</summary>
    public static string Repository(string image) => image[..^Suffix(image).Length];

    // The tag and digest: from the first ':' or '@' after the last '/' (a registry's port comes before it).
    private static string Suffix(string image)
    {
        var start = image.LastIndexOf('/') + 1;
        var at = image.IndexOfAny([':', '@'], start);
        return at < 0 ? "" : image[at..];
    }
}
