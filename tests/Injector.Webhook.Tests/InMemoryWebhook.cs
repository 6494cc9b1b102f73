using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
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
