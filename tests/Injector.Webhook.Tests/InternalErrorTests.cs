using System.Text.Json.Nodes;
using Injector.Core.Naming;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Injector.Webhook.Tests;

/// <summary>A failure inside the injector (a bug, an unexpected exception from a dependency) must not block
/// pod creation: the pod is admitted without a sidecar, with a warning, and counted as an error.</summary>
public sealed class InternalErrorTests
{
    private sealed class BrokenLookup : IOwnerLookup
    {
        public ValueTask<OwnerReference?> GetControllerAsync(string apiVersion, string kind, string @namespace, string name, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("lookup exploded");
    }

    [Fact]
    public async Task An_unexpected_exception_admits_the_pod_without_a_sidecar_and_says_so()
    {
        await using var app = WebhookHost.Build(["--mesh-name", "demo", "--region", "us-west-2"], new Dictionary<string, string>(), b =>
        {
            b.WebHost.UseTestServer();
            b.Services.AddSingleton<IOwnerLookup, BrokenLookup>();
        });
        await app.StartAsync();
        var client = app.GetTestClient();
        var pod = Reviews.SimplePod();
        pod["metadata"]!["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "apps/v1", ["kind"] = "ReplicaSet", ["name"] = "web-canary", ["uid"] = "u", ["controller"] = true });

        using var response = await client.PostAsync("/mutate", new StringContent(Reviews.For(pod, uid: "boom").ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
        var metrics = await client.GetStringAsync("/metrics");

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(
            """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"boom","allowed":true,"warnings":["appmesh-inject could not process this pod (InvalidOperationException); it was admitted without a sidecar"]}}""",
            await response.Content.ReadAsStringAsync());
        Assert.Contains("appmesh_inject_admission_requests_total{result=\"error\",reason=\"internal-error\"} 1", metrics.Split('\n'));
        await app.StopAsync();
    }
}
