using System.Text;
using System.Text.Json;
using Injector.Core.Admission;
using Injector.Core.Injection;
using Injector.Tests.Unit;

namespace Injector.Core.Tests.Unit;

/// <summary>The webhook's parse (<see cref="AdmissionReview.ParseBorrowed"/>) picks out the pod's members the engine
/// reads while it checks them for duplicate keys, and the handler uses those; a request made any other way (a copied
/// parse, built by hand, or given another pod) has them read from its pod. Every way decides a pod alike.</summary>
public class ParsedPodFieldsTests
{
    private const string Envelope = """
        {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-1",
         "kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},
         "operation":"CREATE","object":POD}}
        """;

    private const string Containers = """[{"name":"app","image":"web:1","ports":[{"containerPort":8080}]}]""";

    // Each member the engine reads, in a pod where it decides the outcome; the namespace comes from the pod's metadata
    // (the review names none). Expected: the result, and the decision's message or (when injected) its workload.
    public static TheoryData<string, string, string> Pods => new()
    {
        { $$$"""{"metadata":{"name":"web","namespace":"shop"},"spec":{"containers":{{{Containers}}}}}""", AdmissionDecision.ResultInjected, "web" },
        { $$$"""{"metadata":{"name":"web-7d4b9c-x1","namespace":"shop","labels":{"pod-template-hash":"7d4b9c"},"ownerReferences":[{"kind":"ReplicaSet","name":"web-7d4b9c","controller":true}]},"spec":{"containers":{{{Containers}}}}}""", AdmissionDecision.ResultInjected, "web" },
        // Written with escapes: picked by their text.
        { $$$"""{"m\u0065tadata":{"n\u0061me":"esc","namespace":"shop"},"\u0073pec":{"c\u006fntainers":{{{Containers}}}}}""", AdmissionDecision.ResultInjected, "esc" },
        { $$$"""{"metadata":{"name":"web","annotations":{"appmesh.k8s.aws/sidecarInjectorWebhook":"disabled"}},"spec":{"containers":{{{Containers}}}}}""", AdmissionDecision.ResultSkipped, "appmesh.k8s.aws/sidecarInjectorWebhook is disabled" },
        { $$$"""{"metadata":{"name":"web"},"spec":{"hostNetwork":true,"containers":{{{Containers}}}}}""", AdmissionDecision.ResultSkipped, "the pod uses the host network; redirecting its traffic would capture the node's traffic" },
        { $$$"""{"metadata":{"name":"web"},"spec":{"securityContext":[],"containers":{{{Containers}}}}}""", AdmissionDecision.ResultDenied, "spec.securityContext must be an object" },
        { $$$"""{"metadata":{"name":"web"},"spec":{"imagePullSecrets":{},"containers":{{{Containers}}}}}""", AdmissionDecision.ResultDenied, "spec.imagePullSecrets must be a list" },
        { $$$"""{"metadata":{"name":"web"},"spec":{"volumes":7,"containers":{{{Containers}}}}}""", AdmissionDecision.ResultDenied, "spec.volumes must be a list" },
        { $$$"""{"metadata":{"name":"web"},"spec":{"initContainers":[1],"containers":{{{Containers}}}}}""", AdmissionDecision.ResultDenied, "spec.initContainers[0] must be an object" },
        { $$$"""{"metadata":{"name":"web","annotations":"x"},"spec":{"containers":{{{Containers}}}}}""", AdmissionDecision.ResultDenied, "metadata.annotations must be an object" },
        // Not objects, or null: their members read as absent.
        { $$$"""{"metadata":"web","spec":{"containers":{{{Containers}}}}}""", AdmissionDecision.ResultDenied, "metadata must be an object" },
        { """{"metadata":{"name":"web"},"spec":null}""", AdmissionDecision.ResultDenied, "the pod has no spec.containers" },
        { """{"metadata":null,"spec":[]}""", AdmissionDecision.ResultDenied, "the pod has no spec.containers" },
    };

    [Theory]
    [MemberData(nameof(Pods))]
    public async Task A_pod_is_decided_alike_whether_its_fields_come_from_the_parse_or_are_read_later(string pod, string result, string messageOrWorkload)
    {
        var handler = new AdmissionHandler(new PodInjector(TestPods.Settings));
        var body = Encoding.UTF8.GetBytes(Envelope.Replace("POD", pod, StringComparison.Ordinal));

        var borrowed = AdmissionReview.ParseBorrowed(body, out var document);
        string fromParse;
        AdmissionDecision decision;
        using (document)
        {
            decision = await handler.HandleAsync(borrowed);
            fromParse = Answer(decision);
        }
        Assert.Equal(result, decision.Result);
        if (result == AdmissionDecision.ResultInjected) Assert.Equal(messageOrWorkload, decision.Workload);
        else Assert.Equal(messageOrWorkload, decision.Message);

        // Parsed into a copy: the fields are read from the copy.
        Assert.Equal(fromParse, Answer(await handler.HandleAsync(AdmissionReview.ParseRequest(body))));
        // Built by hand, as the command-line tool and tests do.
        using var podDocument = JsonDocument.Parse(pod);
        var byHand = new AdmissionRequest { Uid = "u-1", Kind = "Pod", Resource = "pods", Operation = "CREATE", Pod = podDocument.RootElement };
        Assert.Equal(fromParse, Answer(await handler.HandleAsync(byHand)));
    }

    [Fact]
    public async Task A_request_given_another_pod_after_the_parse_decides_that_pod()
    {
        var handler = new AdmissionHandler(new PodInjector(TestPods.Settings));
        var body = Encoding.UTF8.GetBytes(Envelope.Replace("POD", $$$"""{"metadata":{"name":"web","namespace":"shop"},"spec":{"containers":{{{Containers}}}}}""", StringComparison.Ordinal));
        using var other = JsonDocument.Parse($$$"""{"metadata":{"name":"other","namespace":"shop"},"spec":{"hostNetwork":true,"containers":{{{Containers}}}}}""");
        var request = AdmissionReview.ParseBorrowed(body, out var document);
        using (document)
        {
            Assert.Equal(AdmissionDecision.ResultInjected, (await handler.HandleAsync(request)).Result);
            var moved = await handler.HandleAsync(request with { Pod = other.RootElement });
            Assert.Equal(AdmissionDecision.ResultSkipped, moved.Result);
            Assert.Equal(Reasons.HostNetwork, moved.Reason);
            // Anything else changed keeps the parse's fields, which are still its pod's.
            var renamed = await handler.HandleAsync(request with { Uid = "u-2" });
            Assert.Equal(AdmissionDecision.ResultInjected, renamed.Result);
            Assert.Equal("web", renamed.Workload);
        }
    }

    // The webhook's parse refuses a key written twice with the same message as the copying one.
    [Theory]
    [InlineData("""{"metadata":{"name":"a","name":"b"}}""", "request.object.metadata has the key \"name\" twice")]
    [InlineData("""{"metadata":{"labels":{"app":"a","\u0061pp":"b"}}}""", "request.object.metadata.labels has the key \"app\" twice")]
    [InlineData("""{"spec":{"hostNetwork":true,"hostNetwork":false}}""", "request.object.spec has the key \"hostNetwork\" twice")]
    [InlineData("""{"spec":{"containers":[{"name":"a","ports":[{"containerPort":80},{"containerPort":1,"containerPort":2}]}]}}""", "request.object.spec.containers[0].ports[1] has the key \"containerPort\" twice")]
    [InlineData("""{"spec":{"containers":[{"name":"a","ports":[],"ports":[]}]}}""", "request.object.spec.containers[0] has the key \"ports\" twice")]
    [InlineData("""{"spec":{"initContainers":[{"name":"a","p\u006frts":[{"name":"x","name":"y"}]}]}}""", "request.object.spec.initContainers[0].ports[0] has the key \"name\" twice")]
    [InlineData("""{"spec":{"volumes":[{"name":"v"},{"name":"w","hostPath":{"path":"/a","path":"/b"}}]}}""", "request.object.spec.volumes[1].hostPath has the key \"path\" twice")]
    [InlineData("""{"spec":{"imagePullSecrets":[{"name":"a","name":"b"}]}}""", "request.object.spec.imagePullSecrets[0] has the key \"name\" twice")]
    public void A_key_twice_is_refused_alike_by_the_webhooks_parse(string pod, string where)
    {
        var body = Encoding.UTF8.GetBytes(Envelope.Replace("POD", pod, StringComparison.Ordinal));
        var copied = Assert.Throws<AdmissionReviewException>(() => AdmissionReview.ParseRequest(body));
        var borrowed = Assert.Throws<AdmissionReviewException>(() => AdmissionReview.ParseBorrowed(body, out _));
        Assert.Equal("the body is not valid JSON: " + where, borrowed.Message);
        Assert.Equal(copied.Message, borrowed.Message);
    }

    private static string Answer(AdmissionDecision decision) => AdmissionReview.ToJson(AdmissionReview.V1, "u-1", decision.Response);
}
