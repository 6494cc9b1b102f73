using System.Net;
using System.Text.Json.Nodes;

namespace Injector.Webhook.Tests;

/// <summary>SPEC §6: the AdmissionReview contract and the answers to bad input.</summary>
public class AdmissionContractTests : IAsyncLifetime
{
    private InMemoryWebhook _webhook = null!;

    public async Task InitializeAsync() => _webhook = await InMemoryWebhook.StartAsync("--mesh-name", "demo", "--region", "us-west-2");

    public async Task DisposeAsync() => await _webhook.DisposeAsync();

    private async Task<(HttpStatusCode Status, string Body)> PostRaw(string body, string contentType = "application/json", string path = "/mutate")
    {
        using var response = await _webhook.PostAsync(path, body, contentType);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("admission.k8s.io/v1")]
    [InlineData("admission.k8s.io/v1beta1")]
    public async Task A_skipped_review_is_answered_in_its_own_version_with_its_uid_and_no_patch(string apiVersion)
    {
        var pod = Reviews.SimplePod(new JsonObject { ["appmesh.k8s.aws/sidecarInjectorWebhook"] = "disabled" });

        var response = await _webhook.ReviewAsync(Reviews.For(pod, uid: "uid-1", apiVersion: apiVersion));

        Assert.Equal(
            "{\"apiVersion\":\"" + apiVersion + "\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":\"uid-1\",\"allowed\":true}}",
            response.ToJsonString());
    }

    [Theory]
    [InlineData("/mutate")]
    [InlineData("/")]
    public async Task Both_paths_inject_and_return_the_same_patch(string path)
    {
        var response = await _webhook.ReviewAsync(Reviews.For(Reviews.SimplePod(), uid: "uid-2", apiVersion: "admission.k8s.io/v1beta1"), path);

        Assert.Equal("admission.k8s.io/v1beta1", (string?)response["apiVersion"]);
        Assert.Equal("uid-2", (string?)response["response"]!["uid"]);
        Assert.Equal("JSONPatch", (string?)response["response"]!["patchType"]);
        var operations = JsonNode.Parse(Reviews.PatchJson(response)!)!.AsArray()
            .Select(op => $"{op!["op"]} {op["path"]}").ToList();
        Assert.Equal(
            [
                "add /metadata/annotations",
                "add /spec/containers/1",
                "add /spec/initContainers",
                "add /spec/securityContext",
            ],
            operations);
    }

    [Fact]
    public async Task The_patch_adds_annotations_with_exact_values()
    {
        var response = await _webhook.ReviewAsync(Reviews.For(Reviews.SimplePod()));

        var first = JsonNode.Parse(Reviews.PatchJson(response)!)!.AsArray()[0]!;
        Assert.Equal(
            """{"op":"add","path":"/metadata/annotations","value":{"appmesh.k8s.aws/mesh":"demo","appmesh.k8s.aws/virtualNode":"web-shop","appmesh.k8s.aws/sidecarInjectorStatus":"{\u0022containers\u0022:[\u0022envoy\u0022],\u0022initContainers\u0022:[\u0022proxyinit\u0022],\u0022volumes\u0022:[],\u0022added\u0022:[\u0022/metadata/annotations\u0022,\u0022/metadata/annotations/appmesh.k8s.aws~1mesh\u0022,\u0022/metadata/annotations/appmesh.k8s.aws~1virtualNode\u0022,\u0022/spec/initContainers\u0022,\u0022/spec/securityContext\u0022,\u0022/spec/securityContext/fsGroup\u0022],\u0022version\u0022:\u00220.1.0\u0022}"}}""",
            first.ToJsonString());
    }

    [Fact]
    public async Task Annotation_keys_with_a_slash_are_escaped_in_the_patch_path()
    {
        var pod = Reviews.SimplePod(new JsonObject { ["example.com/owner"] = "team-a" });

        var response = await _webhook.ReviewAsync(Reviews.For(pod));

        var paths = JsonNode.Parse(Reviews.PatchJson(response)!)!.AsArray().Select(op => (string?)op!["path"]).ToList();
        Assert.Equal(
            [
                "/metadata/annotations/appmesh.k8s.aws~1mesh",
                "/metadata/annotations/appmesh.k8s.aws~1virtualNode",
                "/metadata/annotations/appmesh.k8s.aws~1sidecarInjectorStatus",
                "/spec/containers/1",
                "/spec/initContainers",
                "/spec/securityContext",
            ],
            paths);
    }

    [Theory]
    [InlineData("UPDATE")]
    [InlineData("DELETE")]
    [InlineData("CONNECT")]
    public async Task Operations_other_than_create_are_allowed_without_a_patch(string operation)
    {
        var response = await _webhook.ReviewAsync(Reviews.For(Reviews.SimplePod(), uid: "u", operation: operation));

        Assert.Equal("""{"uid":"u","allowed":true}""", response["response"]!.ToJsonString());
    }

    [Fact]
    public async Task A_pod_subresource_is_allowed_without_a_patch()
    {
        var response = await _webhook.ReviewAsync(Reviews.For(Reviews.SimplePod(), uid: "u", subResource: "status"));

        Assert.Equal("""{"uid":"u","allowed":true}""", response["response"]!.ToJsonString());
    }

    [Fact]
    public async Task Other_resources_are_allowed_without_a_patch()
    {
        var response = await _webhook.ReviewAsync(Reviews.For(Reviews.SimplePod(), uid: "u", resource: "services"));

        Assert.Equal("""{"uid":"u","allowed":true}""", response["response"]!.ToJsonString());
    }

    [Fact]
    public async Task A_dry_run_gets_the_same_answer()
    {
        var real = await _webhook.ReviewAsync(Reviews.For(Reviews.SimplePod(), uid: "u"));
        var dry = await _webhook.ReviewAsync(Reviews.For(Reviews.SimplePod(), uid: "u", dryRun: true));

        Assert.Equal(real.ToJsonString(), dry.ToJsonString());
    }

    [Fact]
    public async Task A_malformed_annotation_the_controller_refuses_denies_the_pod_with_a_clear_message()
    {
        // aws-app-mesh-controller-for-k8s pkg/inject/sidecar_builder.go: a quantity that does not parse fails the admission.
        var pod = Reviews.SimplePod(new JsonObject { ["appmesh.k8s.aws/memoryRequest"] = "lots" });

        var response = await _webhook.ReviewAsync(Reviews.For(pod, uid: "u"));

        Assert.Equal(
            """{"uid":"u","allowed":false,"status":{"code":403,"reason":"Forbidden","message":"annotation appmesh.k8s.aws/memoryRequest: \u0022lots\u0022 is not valid; expected a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi"}}""",
            response["response"]!.ToJsonString());
    }

    [Fact]
    public async Task A_malformed_annotation_the_controller_admits_is_admitted_with_its_reading_and_a_warning()
    {
        // pkg/inject/proxy.go getAppPorts: the controller copies the ports annotation into proxyinit unchecked.
        var pod = Reviews.SimplePod(new JsonObject { ["appmesh.k8s.aws/ports"] = "80,http" });

        var response = await _webhook.ReviewAsync(Reviews.For(pod, uid: "u"));

        Assert.Equal(true, (bool?)response["response"]!["allowed"]);
        Assert.Equal(
            """["annotation appmesh.k8s.aws/ports: \u002280,http\u0022 is not valid; expected a comma-separated list of ports from 1 to 65535, such as 8080,9090; passed to proxyinit as given, as the App Mesh controller passes it; proxyinit fails if iptables cannot read it"]""",
            response["response"]!["warnings"]!.ToJsonString());
        var patched = TestPatch.Apply(pod, Reviews.PatchJson(response)!);
        Assert.Contains(patched["spec"]!["initContainers"]![0]!["env"]!.AsArray(), e => (string?)e!["name"] == "APPMESH_APP_PORTS" && (string?)e["value"] == "80,http");
    }

    [Fact]
    public async Task An_unknown_annotation_is_admitted_with_a_warning()
    {
        var pod = Reviews.SimplePod(new JsonObject { ["appmesh.k8s.aws/cpuRequests"] = "100m" });

        var response = await _webhook.ReviewAsync(Reviews.For(pod));

        Assert.Equal(true, (bool?)response["response"]!["allowed"]);
        Assert.Equal(
            """["unknown annotation appmesh.k8s.aws/cpuRequests is ignored; did you mean appmesh.k8s.aws/cpuRequest?"]""",
            response["response"]!["warnings"]!.ToJsonString());
    }

    [Fact]
    public async Task A_create_without_an_object_is_refused_as_a_bad_request()
    {
        var review = Reviews.For(Reviews.SimplePod(), uid: "u");
        review["request"]!.AsObject().Remove("object");

        var response = await _webhook.ReviewAsync(review);

        Assert.Equal(
            """{"uid":"u","allowed":false,"status":{"code":400,"reason":"BadRequest","message":"request.object is missing"}}""",
            response["response"]!.ToJsonString());
    }

    [Fact]
    public async Task Other_methods_get_405()
    {
        using var get = await _webhook.Client.GetAsync("/mutate");
        using var put = await _webhook.Client.PutAsync("/", new StringContent("{}"));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, put.StatusCode);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/yaml")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task Content_types_other_than_json_get_415(string contentType)
    {
        var (status, body) = await PostRaw("{}", contentType);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Equal($"content type must be application/json, not \"{contentType}\"\n", body);
    }

    [Fact]
    public async Task Json_with_a_charset_is_accepted()
    {
        var (status, _) = await PostRaw(Reviews.For(Reviews.SimplePod()).ToJsonString(), "application/json; charset=utf-8");

        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task A_body_over_4_MiB_gets_413()
    {
        var review = Reviews.For(Reviews.SimplePod(new JsonObject { ["padding"] = new string('x', 4 * 1024 * 1024) }));

        var (status, body) = await PostRaw(review.ToJsonString());

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.StartsWith("body of ", body);
        Assert.EndsWith(" bytes is over the 4194304-byte limit\n", body);
    }

    [Fact]
    public async Task A_chunked_body_over_4_MiB_gets_413()
    {
        var review = Reviews.For(Reviews.SimplePod(new JsonObject { ["padding"] = new string('x', 4 * 1024 * 1024) }));
        var content = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(review.ToJsonString())));
        content.Headers.ContentType = new("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "/mutate") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using var response = await _webhook.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("body is over the 4194304-byte limit\n", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("{not json", "the body is not valid JSON: ")]
    [InlineData("", "the body is not valid JSON: ")]
    [InlineData("[]", "the body must be a JSON object (an AdmissionReview)")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v2","kind":"AdmissionReview","request":{"uid":"u"}}""", "unsupported apiVersion \"admission.k8s.io/v2\"; expected admission.k8s.io/v1 or admission.k8s.io/v1beta1")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"Pod","request":{"uid":"u"}}""", "unsupported kind \"Pod\"; expected AdmissionReview")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}""", "the AdmissionReview has no request")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}}""", "the AdmissionReview request has no uid")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":42}}""", "uid must be a string")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","object":[1]}}""", "request.object must be a JSON object")]
    public async Task Unusable_reviews_get_400_with_a_message(string body, string expectedMessageStart)
    {
        var (status, text) = await PostRaw(body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith(expectedMessageStart, text);
        Assert.EndsWith("\n", text);
    }

    [Fact]
    public async Task The_server_keeps_serving_after_bad_input()
    {
        var before = await _webhook.ReviewAsync(Reviews.For(Reviews.SimplePod(), uid: "same"));
        foreach (var body in new[] { "{", "[]", "null", "\"x\"", "{\"request\":null}" })
            Assert.Equal(HttpStatusCode.BadRequest, (await PostRaw(body)).Status);

        var after = await _webhook.ReviewAsync(Reviews.For(Reviews.SimplePod(), uid: "same"));

        Assert.NotNull(Reviews.PatchJson(after));
        Assert.Equal(before.ToJsonString(), after.ToJsonString());
    }

    [Theory]
    [InlineData("/healthz", "ok\n")]
    [InlineData("/readyz", "ready\n")]
    public async Task Health_endpoints_answer_in_plain_text(string path, string body)
    {
        using var answer = await _webhook.Client.GetAsync(path);

        Assert.Equal(
            (HttpStatusCode.OK, "text/plain; charset=utf-8", (long?)body.Length, body),
            (answer.StatusCode, answer.Content.Headers.ContentType?.ToString(), answer.Content.Headers.ContentLength, await answer.Content.ReadAsStringAsync()));
    }
}
