using System.Text;
using System.Text.Json;
using Injector.Core.Admission;
using Injector.Core.Json;

namespace Injector.Core.Tests.Unit;

public class ReviewEnvelopeTests
{
    [Theory]
    [InlineData("""{"a":"\ud800"}""", 6)]
    [InlineData("""{"a":"\udc00\ud800"}""", 6)]
    [InlineData("""{"a":"\ud83d\ude00\ud83d"}""", 18)]
    [InlineData("""{"\\\ud800":1}""", 4)]
    [InlineData("""{"a":"\ud800\u0041"}""", 6)]
    [InlineData("""{"a":"\ud800""", 6)]
    public void Half_a_surrogate_pair_is_found_where_it_is(string json, int at) =>
        Assert.Equal(at, AdmissionReview.FindLoneSurrogate(Encoding.UTF8.GetBytes(json)));

    [Theory]
    [InlineData("""{"a":"\ud83d\ude00"}""")]
    [InlineData("""{"a":"\\ud800"}""")]
    [InlineData("""{"a":"\\\\ud800"}""")]
    [InlineData("""{"a":"\u00e9\uFFFD\u0000"}""")]
    [InlineData("""{"a":"\uzzzz"}""")]
    [InlineData("")]
    public void Text_and_escaped_backslashes_are_not_surrogates(string json) =>
        Assert.Null(AdmissionReview.FindLoneSurrogate(Encoding.UTF8.GetBytes(json)));

    [Theory]
    [InlineData("""{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"705ab4f5","kind":{"gro""", "admission.k8s.io/v1", "705ab4f5")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"kind":{"group":""},"uid":"u-2","object":{"x":[[[""", "admission.k8s.io/v1beta1", "u-2")]
    public void The_envelope_is_read_from_the_start_of_a_review(string start, string apiVersion, string uid)
    {
        Assert.True(AdmissionReview.TryReadEnvelope(Encoding.UTF8.GetBytes(start), out var readVersion, out var readUid));
        Assert.Equal(apiVersion, readVersion);
        Assert.Equal(uid, readUid);
    }

    [Theory]
    [InlineData("""{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"ui""")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v2","request":{"uid":"u"}}""")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","request":{"object":{"uid":"nested"}}}""")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","uid":"top","request":{}}""")]
    [InlineData("not json")]
    public void Without_both_a_known_apiVersion_and_the_request_uid_there_is_no_envelope(string start) =>
        Assert.False(AdmissionReview.TryReadEnvelope(Encoding.UTF8.GetBytes(start), out _, out _));

    private const string Envelope = """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"operation":"CREATE","namespace":"ns","object":POD}}""";

    // Each object the engine reads, and a key written twice in it; the review is refused with where it is.
    [Theory]
    [InlineData("""{"metadata":{},"metadata":{}}""", "request.object has the key \"metadata\" twice")]
    [InlineData("""{"metadata":{"name":"a","name":"b"}}""", "request.object.metadata has the key \"name\" twice")]
    [InlineData("""{"metadata":{"annotations":{"appmesh.k8s.aws/mesh":"a","appmesh.k8s.aws/mesh":"b"}}}""", "request.object.metadata.annotations has the key \"appmesh.k8s.aws/mesh\" twice")]
    [InlineData("""{"metadata":{"labels":{"app":"a","\u0061pp":"b"}}}""", "request.object.metadata.labels has the key \"app\" twice")]
    [InlineData("""{"metadata":{"ownerReferences":[{"kind":"ReplicaSet"},{"kind":"a","name":"b","kind":"c"}]}}""", "request.object.metadata.ownerReferences[1] has the key \"kind\" twice")]
    [InlineData("""{"spec":{"containers":[],"containers":[]}}""", "request.object.spec has the key \"containers\" twice")]
    [InlineData("""{"spec":{"securityContext":{"fsGroup":1,"fsGroup":2}}}""", "request.object.spec.securityContext has the key \"fsGroup\" twice")]
    [InlineData("""{"spec":{"containers":[{"name":"a","image":"i","name":"envoy"}]}}""", "request.object.spec.containers[0] has the key \"name\" twice")]
    [InlineData("""{"spec":{"containers":[{"name":"a","ports":[{"containerPort":80},{"containerPort":1,"containerPort":2}]}]}}""", "request.object.spec.containers[0].ports[1] has the key \"containerPort\" twice")]
    [InlineData("""{"spec":{"initContainers":[{"name":"a"},{"name":"b","name":"c"}]}}""", "request.object.spec.initContainers[1] has the key \"name\" twice")]
    [InlineData("""{"spec":{"volumes":[{"name":"v","hostPath":{"path":"/a","path":"/b"}}]}}""", "request.object.spec.volumes[0].hostPath has the key \"path\" twice")]
    [InlineData("""{"spec":{"imagePullSecrets":[{"name":"a","name":"b"}]}}""", "request.object.spec.imagePullSecrets[0] has the key \"name\" twice")]
    // Written with an escape, a key is the same key: the body's backslash is what tells the check to look for one.
    [InlineData("""{"spec":{"containers":[{"n\u0061me":"a","image":"i","name":"envoy"}]}}""", "request.object.spec.containers[0] has the key \"name\" twice")]
    [InlineData("""{"metadata":{"annotations":{"a":"x"},"n\u0061mespace":"a","namespace":"b"}}""", "request.object.metadata has the key \"namespace\" twice")]
    public void A_key_twice_where_the_engine_reads_is_refused_with_where_it_is(string pod, string where)
    {
        var error = Assert.Throws<AdmissionReviewException>(() => AdmissionReview.ParseRequest(Encoding.UTF8.GetBytes(Envelope.Replace("POD", pod, StringComparison.Ordinal))));
        Assert.Equal("the body is not valid JSON: " + where, error.Message);
    }

    [Theory]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u"}}""", "the review has the key \"apiVersion\" twice")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"a","uid":"b"}}""", "request has the key \"uid\" twice")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"a","resource":{"resource":"pods","resource":"x"}}}""", "request.resource has the key \"resource\" twice")]
    public void A_key_twice_in_the_envelope_is_refused(string review, string where)
    {
        var error = Assert.Throws<AdmissionReviewException>(() => AdmissionReview.ParseRequest(Encoding.UTF8.GetBytes(review)));
        Assert.Equal("the body is not valid JSON: " + where, error.Message);
    }

    // Where the engine neither reads nor writes, a key written twice changes nothing it does: the pod is read
    // (the API server never sends one; its own decoder keeps the last).
    [Theory]
    [InlineData("""{"metadata":{"name":"p","managedFields":[{"manager":"a","manager":"b"}]},"spec":{"containers":[{"name":"app","image":"i"}]}}""")]
    [InlineData("""{"metadata":{"name":"p"},"spec":{"containers":[{"name":"app","image":"i","env":[{"name":"A","value":"1","value":"2"}]}]}}""")]
    [InlineData("""{"metadata":{"name":"p"},"spec":{"containers":[{"name":"app","image":"i"}]},"status":{"phase":"a","phase":"b"}}""")]
    // Elements of the lists that are not objects: nothing to check in them (the engine refuses such a pod later).
    [InlineData("""{"metadata":{"name":"p"},"spec":{"containers":[[1,"x"],7,{"name":"app","image":"i"}],"volumes":["v"],"initContainers":[null]}}""")]
    public void A_key_twice_where_the_engine_does_not_read_is_left_alone(string pod)
    {
        var request = AdmissionReview.ParseRequest(Encoding.UTF8.GetBytes(Envelope.Replace("POD", pod, StringComparison.Ordinal)));
        Assert.Equal("p", request.Pod!.Value.GetProperty("metadata").GetProperty("name").GetString());
    }

    [Fact]
    public void Keys_are_compared_as_text_whatever_their_number_or_escapes()
    {
        static string? Find(string json)
        {
            using var document = JsonDocument.Parse(json);
            return DuplicateKeys.In(document.RootElement);
        }
        var many = string.Join(",", Enumerable.Range(0, 100).Select(i => $"\"k{i}\":{i}"));
        Assert.Null(Find("{" + many + "}"));
        Assert.Equal("k7", Find("{" + many + ",\"k7\":0}"));
        Assert.Equal("k7", Find("{\"k7\":1,\"\\u006b7\":2}"));
        Assert.Equal("ab/cdefghijklmnop", Find("{\"ab/cdefghijklmnop\":1,\"ab\\/cdefghijklmnop\":2}"));
        Assert.Null(Find("{\"abcdefgh-x-ijklmnop\":1,\"abcdefgh-y-ijklmnop\":2,\"a\":1,\"b\":2}"));
        Assert.Null(Find("[1,1]"));
    }

    [Fact]
    public void The_members_picked_in_the_duplicate_check_are_those_a_lookup_finds()
    {
        byte[][] names = ["spec"u8.ToArray(), "metadata"u8.ToArray(), "kind"u8.ToArray()];
        var found = new JsonElement[3];
        // Escaped names are picked by their text; a name not wanted, or only similar, is not picked.
        using var document = JsonDocument.Parse("""{"\u0073pec":{"a":1},"metadata2":0,"spe":1,"metadata":null,"x":{"y":1,"y":2}}""");
        Assert.Null(DuplicateKeys.In(document.RootElement, names, found));
        Assert.Equal("""{"a":1}""", found[0].GetRawText());
        Assert.Equal(JsonValueKind.Null, found[1].ValueKind);
        Assert.Equal(JsonValueKind.Undefined, found[2].ValueKind);
        // Past the pairwise check's size, the same.
        var many = string.Join(",", Enumerable.Range(0, 100).Select(i => $"\"k{i}\":{i}"));
        using var large = JsonDocument.Parse("{" + many + ",\"kind\":\"Pod\",\"sp\\u0065c\":7}");
        found = new JsonElement[3];
        Assert.Null(DuplicateKeys.In(large.RootElement, names, found));
        Assert.Equal(7, found[0].GetInt32());
        Assert.Equal("Pod", found[2].GetString());
        Assert.Equal(JsonValueKind.Undefined, found[1].ValueKind);
    }

    // The envelope's usual values are read without a new string each; written with escapes, or other values, they
    // read as their text all the same.
    [Theory]
    [InlineData("""{"group":"","version":"v1","resource":"pods"}""", "CREATE", "", "v1", "pods", "CREATE")]
    [InlineData("""{"group":"","version":"v\u0031","resource":"p\u006fds"}""", "\u0043REATE", "", "v1", "pods", "CREATE")]
    [InlineData("""{"group":"apps","version":"v1beta2","resource":"Pods"}""", "CREATED", "apps", "v1beta2", "Pods", "CREATED")]
    [InlineData("""{"version":"V1","resource":"pod"}""", "create", "", "V1", "pod", "create")]
    public void The_envelope_reads_its_values_as_written(string resource, string operation, string group, string version, string resourceName, string operationText)
    {
        var review = $$$"""{"apiVersion":"admission.k8s.io/v1\u0062eta1","kind":"Admission\u0052eview","request":{"uid":"u","kind":{"group":"","version":"v1","kind":"P\u006fd"},"resource":{{{resource}}},"object":{},"operation":"{{{operation}}}"}}""";
        var request = AdmissionReview.ParseRequest(Encoding.UTF8.GetBytes(review));
        Assert.Equal(AdmissionReview.V1Beta1, request.ReviewApiVersion);
        Assert.Equal("Pod", request.Kind);
        Assert.Equal(group, request.Group);
        Assert.Equal(version, request.Version);
        Assert.Equal(resourceName, request.Resource);
        Assert.Equal(operationText, request.Operation);
        Assert.Equal(group.Length == 0 && resourceName == "pods", request.IsPod);
    }
}
