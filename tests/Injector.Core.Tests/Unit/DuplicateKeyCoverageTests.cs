using System.Text;
using System.Text.Json.Nodes;
using Injector.Core.Admission;
using Injector.Core.Injection;
using Injector.Core.Settings;

namespace Injector.Core.Tests.Unit;

/// <summary>Duplicate keys are refused only where they are read (AdmissionReview.DuplicateKeysInPod keeps that list
/// apart from the engine): this writes a key twice in every object of a review that makes the engine read all it can
/// read, and requires each to be either refused with where it is, or decided — never an exception from a
/// <c>JsonObject</c> met mid-injection, which is what a read missing from the list would give.</summary>
public class DuplicateKeyCoverageTests
{
    private const string Review = """
        {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-1",
         "kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},
         "namespace":"shop","operation":"CREATE","userInfo":{"username":"system:serviceaccount:kube-system:replicaset-controller","groups":["system:serviceaccounts"]},
         "object":{"apiVersion":"v1","kind":"Pod",
          "metadata":{"generateName":"web-7d4b9c-","namespace":"shop","labels":{"app":"web","pod-template-hash":"7d4b9c"},
           "annotations":{"appmesh.k8s.aws/secretMounts":"certs:/certs","appmesh.k8s.aws/volumeMounts":"data:/data","appmesh.k8s.aws/sidecarEnv":"FOO=bar"},
           "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-7d4b9c","uid":"r-1","controller":true,"blockOwnerDeletion":true}],
           "managedFields":[{"manager":"kube-controller-manager","operation":"Update","fieldsV1":{"f:metadata":{}}}]},
          "spec":{"serviceAccountName":"web","securityContext":{"runAsUser":1000},
           "containers":[{"name":"app","image":"web:1","ports":[{"containerPort":8080,"protocol":"TCP"}],"env":[{"name":"A","value":"1"}],"resources":{"limits":{"cpu":"1"}}}],
           "initContainers":[{"name":"migrate","image":"web:1","ports":[{"containerPort":9000}]}],
           "volumes":[{"name":"data","emptyDir":{}},{"name":"spire","hostPath":{"path":"/run/spire/sockets/agent.sock","type":"Socket"}}],
           "imagePullSecrets":[{"name":"regcred"}]},
          "status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False"}]}}}}
        """;

    public static TheoryData<bool> Modes => [false, true];

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_key_twice_in_any_object_is_refused_where_the_engine_reads_or_else_decided(bool everythingOn)
    {
        var settings = new InjectorSettings
        {
            MeshName = "m",
            Region = "us-west-2",
            EnableSds = everythingOn,
            EnableEcrSecret = everythingOn,
            EnableXrayTracing = everythingOn,
            EnableIamForServiceAccounts = everythingOn,
        };
        var handler = new AdmissionHandler(new PodInjector(settings));
        var clean = await handler.HandleAsync(AdmissionReview.ParseRequest(Encoding.UTF8.GetBytes(Review)));
        Assert.Equal(AdmissionDecision.ResultInjected, clean.Result);

        var refused = new List<string>();
        var decided = new List<string>();
        foreach (var (path, body) in WithAKeyTwice(JsonNode.Parse(Review)!.AsObject()))
        {
            AdmissionRequest request;
            try
            {
                request = AdmissionReview.ParseRequest(Encoding.UTF8.GetBytes(body));
            }
            catch (AdmissionReviewException ex)
            {
                Assert.Matches("^the body is not valid JSON: .* has the key \"[^\"]+\" twice$", ex.Message);
                refused.Add(path);
                continue;
            }
            var decision = await handler.HandleAsync(request); // throws if the engine meets the duplicate
            Assert.Equal(clean.Result, decision.Result);
            decided.Add(path);
        }

        // Every object the engine reads is among the refused; what is decided is never read by it.
        Assert.Equal(
        [
            "", "request", "request.kind", "request.resource", "request.object", "request.object.metadata",
            "request.object.metadata.labels", "request.object.metadata.annotations", "request.object.metadata.ownerReferences[0]",
            "request.object.spec", "request.object.spec.securityContext", "request.object.spec.containers[0]",
            "request.object.spec.containers[0].ports[0]", "request.object.spec.initContainers[0]",
            "request.object.spec.initContainers[0].ports[0]", "request.object.spec.volumes[0]", "request.object.spec.volumes[1]",
            "request.object.spec.volumes[1].hostPath", "request.object.spec.imagePullSecrets[0]",
        ], refused);
        Assert.Equal(
        [
            "request.userInfo", "request.object.metadata.managedFields[0]", "request.object.metadata.managedFields[0].fieldsV1",
            "request.object.spec.containers[0].env[0]", "request.object.spec.containers[0].resources",
            "request.object.spec.containers[0].resources.limits", "request.object.status", "request.object.status.conditions[0]",
        ], decided);
    }

    /// <summary>The review once per object that has a key (in document order, by path), with that object's first
    /// key written a second time after its last.</summary>
    private static IEnumerable<(string Path, string Body)> WithAKeyTwice(JsonObject review)
    {
        const string Marker = "\"__twice__\":0";
        foreach (var (path, obj) in Objects(review, ""))
        {
            if (obj.Count == 0 || path.EndsWith("fieldsV1.f:metadata", StringComparison.Ordinal)) continue;
            var (key, value) = obj.First();
            obj["__twice__"] = 0;
            var text = review.ToJsonString();
            obj.Remove("__twice__");
            yield return (path, text.Replace(Marker, $"{JsonValue.Create(key).ToJsonString()}:{value?.ToJsonString() ?? "null"}", StringComparison.Ordinal));
        }
    }

    private static IEnumerable<(string Path, JsonObject Object)> Objects(JsonNode? node, string path)
    {
        switch (node)
        {
            case JsonObject obj:
                yield return (path, obj);
                foreach (var (key, child) in obj.ToList())
                    foreach (var inner in Objects(child, path.Length == 0 ? key : $"{path}.{key}")) yield return inner;
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                    foreach (var inner in Objects(array[i], $"{path}[{i}]")) yield return inner;
                break;
        }
    }
}
