using System.Text;
using Injector.Core.Admission;

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
}
