using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Injector.Shipping.Tests;

/// <summary>
/// Just enough of a kube-apiserver on loopback for `helm template --dry-run=server`: version,
/// discovery for the kinds the chart renders, and GETs of stored objects (404 for the rest).
/// It lets the chart's `lookup` run for real without a cluster.
/// </summary>
internal sealed class FakeApiServer : IAsyncDisposable
{
    private static readonly (string GroupVersion, (string Resource, string Kind, bool Namespaced)[] Resources)[] Discovery =
    [
        ("v1", [("secrets", "Secret", true), ("services", "Service", true), ("serviceaccounts", "ServiceAccount", true)]),
        ("apps/v1", [("deployments", "Deployment", true)]),
        ("policy/v1", [("poddisruptionbudgets", "PodDisruptionBudget", true)]),
        ("rbac.authorization.k8s.io/v1", [("clusterroles", "ClusterRole", false), ("clusterrolebindings", "ClusterRoleBinding", false)]),
        ("admissionregistration.k8s.io/v1", [("mutatingwebhookconfigurations", "MutatingWebhookConfiguration", false)]),
    ];

    private readonly WebApplication app;

    /// <summary>Objects by request path, e.g. /api/v1/namespaces/ns/secrets/name.</summary>
    public ConcurrentDictionary<string, JsonObject> Objects { get; } = new();

    public ConcurrentQueue<string> Requests { get; } = new();

    public string Url { get; private set; } = "";

    private FakeApiServer()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        app = builder.Build();
        app.Run(Handle);
    }

    public static async Task<FakeApiServer> StartAsync()
    {
        var server = new FakeApiServer();
        await server.app.StartAsync();
        server.Url = server.app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return server;
    }

    /// <summary>A kubeconfig file that points at this server.</summary>
    public string WriteKubeconfig(string dir)
    {
        var path = Path.Combine(dir, "kubeconfig");
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters: [{"{"}name: fake, cluster: {"{"}server: "{Url}"{"}"}{"}"}]
            users: [{"{"}name: fake, user: {"{"}token: fake{"}"}{"}"}]
            contexts: [{"{"}name: fake, context: {"{"}cluster: fake, user: fake{"}"}{"}"}]
            current-context: fake
            """);
        return path;
    }

    private Task Handle(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value ?? "";
        Requests.Enqueue($"{ctx.Request.Method} {path}");
        if (!HttpMethods.IsGet(ctx.Request.Method)) return Reply(ctx, 405, Status(405, "MethodNotAllowed"));

        if (path == "/version") return Reply(ctx, 200, new JsonObject { ["major"] = "1", ["minor"] = "33", ["gitVersion"] = "v1.33.0" });
        if (path == "/api") return Reply(ctx, 200, new JsonObject { ["kind"] = "APIVersions", ["versions"] = new JsonArray("v1") });
        if (path == "/apis")
        {
            var groups = new JsonArray();
            foreach (var (gv, _) in Discovery.Where(d => d.GroupVersion.Contains('/')))
            {
                var version = new JsonObject { ["groupVersion"] = gv, ["version"] = "v1" };
                groups.Add(new JsonObject { ["name"] = gv.Split('/')[0], ["versions"] = new JsonArray(version), ["preferredVersion"] = version.DeepClone() });
            }
            return Reply(ctx, 200, new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups });
        }
        foreach (var (gv, resources) in Discovery)
        {
            if (path != (gv == "v1" ? "/api/v1" : $"/apis/{gv}")) continue;
            var list = new JsonArray();
            foreach (var (resource, kind, namespaced) in resources)
            {
                list.Add(new JsonObject { ["name"] = resource, ["singularName"] = "", ["namespaced"] = namespaced, ["kind"] = kind, ["verbs"] = new JsonArray("get", "list") });
            }
            return Reply(ctx, 200, new JsonObject { ["kind"] = "APIResourceList", ["apiVersion"] = "v1", ["groupVersion"] = gv, ["resources"] = list });
        }
        return Objects.TryGetValue(path, out var obj) ? Reply(ctx, 200, obj) : Reply(ctx, 404, Status(404, "NotFound"));
    }

    private static JsonObject Status(int code, string reason) =>
        new() { ["kind"] = "Status", ["apiVersion"] = "v1", ["status"] = "Failure", ["reason"] = reason, ["code"] = code };

    private static Task Reply(HttpContext ctx, int code, JsonObject body)
    {
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = "application/json";
        return ctx.Response.WriteAsync(body.ToJsonString(JsonSerializerOptions.Default));
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
