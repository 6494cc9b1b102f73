using Injector.Core.Admission;
using Injector.Core.Injection;

namespace Injector.Tests.Unit;

/// <summary>An admission takes its namespace's labels and annotations from one read of one record, so an update
/// or a deletion racing it cannot give it the labels of one version with the annotations of another.</summary>
public class AdmissionNamespaceTests
{
    private static readonly NamespaceInfo EnabledOldMesh = new(
        new Dictionary<string, string> { ["appmesh.k8s.aws/sidecarInjectorWebhook"] = "enabled" },
        new Dictionary<string, string> { ["appmesh.k8s.aws/mesh"] = "old-mesh" });

    private static readonly NamespaceInfo DisabledNewMesh = new(
        new Dictionary<string, string> { ["appmesh.k8s.aws/sidecarInjectorWebhook"] = "disabled" },
        new Dictionary<string, string> { ["appmesh.k8s.aws/mesh"] = "new-mesh" });

    /// <summary>Answers each read with the namespace's current version, then moves it on to the next one, as if
    /// an update (or, for null, a deletion) landed just after every read.</summary>
    private sealed class NamespaceChangedAfterEachRead(params NamespaceInfo?[] versions) : IClusterState
    {
        public List<string> Reads { get; } = [];
        public bool NativeSidecarsSupported => false;

        public ValueTask<NamespaceInfo?> NamespaceAsync(string @namespace, CancellationToken cancellationToken)
        {
            var current = versions[Math.Min(Reads.Count, versions.Length - 1)];
            Reads.Add(@namespace);
            return ValueTask.FromResult(current);
        }
    }

    [Fact]
    public async Task An_admission_sees_the_labels_and_annotations_of_the_same_version_of_its_namespace()
    {
        var cluster = new NamespaceChangedAfterEachRead(EnabledOldMesh, DisabledNewMesh, null);
        var handler = new AdmissionHandler(new PodInjector(TestPods.Settings), cluster: cluster);

        var first = await handler.HandleAsync(Reviews.Request(TestPods.Web(), uid: "first"));
        var second = await handler.HandleAsync(Reviews.Request(TestPods.Web(), uid: "second"));
        var afterDeletion = await handler.HandleAsync(Reviews.Request(TestPods.Web(), uid: "third"));

        // Mixed versions would have given the first pod new-mesh, or skipped it under the next version's label.
        Assert.Equal(("injected", "old-mesh"), (first.Result, first.Mesh));
        Assert.Equal(("skipped", "disabled-by-annotation", "namespace label appmesh.k8s.aws/sidecarInjectorWebhook is disabled and the pod is not annotated enabled"),
            (second.Result, second.Reason, second.Message));
        Assert.Equal(("injected", "demo"), (afterDeletion.Result, afterDeletion.Mesh));
        // One read per admission, of the pod's namespace.
        Assert.Equal(["shop", "shop", "shop"], cluster.Reads);
    }

    [Fact]
    public async Task A_namespace_known_by_its_labels_only_gives_its_injection_default_and_no_annotation_defaults()
    {
        var cluster = new NamespaceChangedAfterEachRead(new NamespaceInfo(DisabledNewMesh.Labels, null));
        var handler = new AdmissionHandler(new PodInjector(TestPods.Settings), cluster: cluster);

        var skipped = await handler.HandleAsync(Reviews.Request(TestPods.Web()));
        var optedIn = await handler.HandleAsync(Reviews.Request(TestPods.Web(("appmesh.k8s.aws/sidecarInjectorWebhook", "enabled"))));

        Assert.Equal(("skipped", "disabled-by-annotation"), (skipped.Result, skipped.Reason));
        Assert.Equal(("injected", "demo"), (optedIn.Result, optedIn.Mesh));
    }
}
