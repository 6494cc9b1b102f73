using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;

namespace Injector.Webhook.Tests;

/// <summary>The real webhook application on an in-memory server.</summary>
public sealed class InMemoryWebhook : IAsyncDisposable
{
    private readonly WebApplication _app;

    public HttpClient Client { get; }

    private InMemoryWebhook(WebApplication app)
    {
        _app = app;
        Client = app.GetTestClient();
    }

    public static async Task<InMemoryWebhook> StartAsync(params string[] args)
    {
        var app = WebhookHost.Build(args, new Dictionary<string, string>(), builder => builder.WebHost.UseTestServer());
        await app.StartAsync();
        return new InMemoryWebhook(app);
    }

    public IServiceProvider Services => _app.Services;

    public Task<HttpResponseMessage> PostAsync(string path, string body, string contentType = "application/json")
    {
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return Client.PostAsync(path, content);
    }

    /// <summary>Posts a review and returns the parsed response envelope (asserting HTTP 200).</summary>
    public async Task<JsonObject> ReviewAsync(JsonObject review, string path = "/mutate")
    {
        using var response = await PostAsync(path, review.ToJsonString());
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"HTTP {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(text)!.AsObject();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Builds AdmissionReview requests the way the API server sends them.</summary>
public static class Reviews
{
    public static JsonObject For(JsonObject pod, string uid = "8d1c3a46-0c5f-4c38-9e0b-7f2a5b6c1d20", string operation = "CREATE",
        string apiVersion = "admission.k8s.io/v1", string resource = "pods", string? subResource = null, bool dryRun = false, string? @namespace = null)
    {
        var ns = @namespace ?? (string?)pod["metadata"]?["namespace"] ?? "default";
        var request = new JsonObject
        {
            ["uid"] = uid,
            ["kind"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["kind"] = resource == "pods" ? "Pod" : "Service" },
            ["resource"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["resource"] = resource },
            ["namespace"] = ns,
            ["operation"] = operation,
            ["userInfo"] = new JsonObject { ["username"] = "system:serviceaccount:kube-system:replicaset-controller" },
            ["object"] = pod.DeepClone(),
            ["oldObject"] = null,
            ["dryRun"] = dryRun,
        };
        if (subResource is not null) request["subResource"] = subResource;
        return new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = "AdmissionReview", ["request"] = request };
    }

    public static JsonObject SimplePod(JsonObject? annotations = null)
    {
        var pod = new JsonObject
        {
        ["apiVersion"] = "v1",
        ["kind"] = "Pod",
        ["metadata"] = new JsonObject
        {
            ["name"] = "web",
            ["namespace"] = "shop",
        },
        ["spec"] = new JsonObject
        {
            ["containers"] = new JsonArray(new JsonObject
            {
                ["name"] = "web",
                ["image"] = "nginx:1.27",
                ["ports"] = new JsonArray(new JsonObject { ["containerPort"] = 80 }),
            }),
        },
        };
        if (annotations is not null) pod["metadata"]!["annotations"] = annotations;
        return pod;
    }

    /// <summary>The decoded patch of a response, or null when it has none.</summary>
    public static string? PatchJson(JsonObject reviewResponse)
    {
        var patch = (string?)reviewResponse["response"]?["patch"];
        return patch is null ? null : Encoding.UTF8.GetString(Convert.FromBase64String(patch));
    }
}
