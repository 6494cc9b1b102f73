using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Injector.TestSupport;

/// <summary>One request the fake API server received.</summary>
public sealed record ApiRequest(string Method, string Path, string Query, string? ContentType, string Body);

/// <summary>A Kubernetes API server in the test process, for the webhook's cluster calls and for helm's
/// <c>--dry-run=server</c>: Kestrel on loopback port 0, answering with JSON shaped like a real API server's
/// (version and discovery; kind, apiVersion, metadata with uid, resourceVersion and ownerReferences; Status
/// objects for errors; newline-delimited watch events). Any object stored under its API path is served by
/// GET; namespaces are listed and watched, webhook configurations and Events can be patched and created.
/// It records every request and can be told to answer slowly or with 500s.</summary>
public sealed class FakeApiServer : IAsyncDisposable
{
    // Discovery for what the fake serves and what the chart renders (helm maps kinds through it).
    private static readonly (string GroupVersion, (string Resource, string Kind, bool Namespaced)[] Resources)[] Discovery =
    [
        ("v1", [("namespaces", "Namespace", false), ("events", "Event", true), ("secrets", "Secret", true), ("services", "Service", true), ("serviceaccounts", "ServiceAccount", true), ("pods", "Pod", true), ("configmaps", "ConfigMap", true), ("replicationcontrollers", "ReplicationController", true)]),
        ("apps/v1", [("deployments", "Deployment", true), ("replicasets", "ReplicaSet", true), ("statefulsets", "StatefulSet", true), ("daemonsets", "DaemonSet", true)]),
        ("batch/v1", [("jobs", "Job", true), ("cronjobs", "CronJob", true)]),
        ("policy/v1", [("poddisruptionbudgets", "PodDisruptionBudget", true)]),
        ("rbac.authorization.k8s.io/v1", [("clusterroles", "ClusterRole", false), ("clusterrolebindings", "ClusterRoleBinding", false)]),
        ("admissionregistration.k8s.io/v1", [("mutatingwebhookconfigurations", "MutatingWebhookConfiguration", false)]),
        ("autoscaling/v2", [("horizontalpodautoscalers", "HorizontalPodAutoscaler", true)]),
        ("cert-manager.io/v1", [("certificates", "Certificate", true), ("issuers", "Issuer", true)]),
        ("monitoring.coreos.com/v1", [("servicemonitors", "ServiceMonitor", true), ("prometheusrules", "PrometheusRule", true)]),
    ];

    private readonly WebApplication _app;
    private readonly object _namespaceLock = new();
    private readonly List<(long Rv, string Type, JsonObject Object)> _namespaceHistory = [];
    private readonly Dictionary<string, JsonObject> _namespaces = new(StringComparer.Ordinal);
    private readonly List<Channel<string>> _watchers = [];
    private readonly Queue<(long Rv, string Type, JsonObject Object)> _held = new();
    private readonly CancellationTokenSource _stopping = new();
    private long _resourceVersion = 1000;

    /// <summary>Objects by API path, e.g. <c>/api/v1/namespaces/ns/secrets/name</c>; a GET of the path returns the object.</summary>
    public ConcurrentDictionary<string, JsonObject> Objects { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<ApiRequest> Requests { get; } = new();

    /// <summary>Requests whose path this matches wait <see cref="Delay"/> before being answered.</summary>
    public Func<string, bool> Slow { get; set; } = _ => false;
    public TimeSpan Delay { get; set; }
    /// <summary>Requests whose path this matches get a 500 with a Status body.</summary>
    public Func<string, bool> Failing { get; set; } = _ => false;
    /// <summary>A GET of a namespace takes its answer when it arrives, then waits for the task this returns (given
    /// the name) before sending it: the namespace can change in between, as under a real server's concurrent writes.</summary>
    public Func<string, Task> HoldNamespaceAnswer { get; set; } = _ => Task.CompletedTask;

    public string GitVersion { get; set; } = "v1.30.4-eks-a737599";
    public string Major { get; set; } = "1";
    public string Minor { get; set; } = "30+";

    public string Url { get; private set; } = "";

    private FakeApiServer()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http1);
        });
        _app = builder.Build();
        _app.UseWebSockets();
        _app.Use(async (http, next) =>
        {
            http.Request.EnableBuffering();
            var body = await new StreamReader(http.Request.Body).ReadToEndAsync();
            http.Request.Body.Position = 0;
            Requests.Enqueue(new ApiRequest(http.Request.Method, http.Request.Path, http.Request.QueryString.Value ?? "", http.Request.ContentType, body));
            var path = http.Request.Path.Value ?? "";
            if (Slow(path))
            {
                using var either = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, _stopping.Token);
                try { await Task.Delay(Delay, either.Token); }
                catch (OperationCanceledException) { return; }
            }
            if (Failing(path))
            {
                await WriteStatus(http, 500, "InternalError", "etcdserver: request timed out");
                return;
            }
            await next(http);
        });
        _app.MapGet("/version", (HttpContext h) => WriteJson(h, 200, new JsonObject
        {
            ["major"] = Major,
            ["minor"] = Minor,
            ["gitVersion"] = GitVersion,
            ["gitCommit"] = "4e1e3fe6b5b34b2b5f3c2f49b8c3cf0a1a6a4f7e",
            ["gitTreeState"] = "clean",
            ["buildDate"] = "2024-08-26T21:23:04Z",
            ["goVersion"] = "go1.22.5",
            ["compiler"] = "gc",
            ["platform"] = "linux/amd64",
        }));
        _app.MapMethods("/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/{name}", ["PATCH"], PatchWebhookConfiguration);
        _app.MapGet("/api/v1/namespaces", ListOrWatchNamespaces);
        _app.MapGet("/api/v1/namespaces/{name}", async (HttpContext h, string name) =>
        {
            JsonObject? ns;
            lock (_namespaceLock) ns = _namespaces.GetValueOrDefault(name)?.DeepClone().AsObject();
            await HoldNamespaceAnswer(name).WaitAsync(_stopping.Token);
            await (ns is null ? WriteStatus(h, 404, "NotFound", $"namespaces \"{name}\" not found") : WriteJson(h, 200, ns));
        });
        _app.MapPost("/api/v1/namespaces/{ns}/events", CreateEvent);
        _app.MapMethods("/api/v1/namespaces/{ns}/events/{name}", ["PATCH"], PatchEvent);
        _app.Map("/api/v1/namespaces/{ns}/pods/{pod}/portforward", PortForward);
        // Everything else: discovery, stored objects, and the API server's 404 and 405 answers.
        _app.Map("/{**path}", Fallback);
    }

    public static async Task<FakeApiServer> StartAsync()
    {
        var server = new FakeApiServer();
        await server._app.StartAsync();
        server.Url = Listening.Address(server._app);
        return server;
    }

    /// <summary>A kubeconfig file naming this server, for <c>--kubeconfig</c> or <c>KUBECONFIG</c>.</summary>
    public string WriteKubeconfig(string directory)
    {
        var path = Path.Combine(directory, "kubeconfig");
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: fake
              cluster:
                server: {Url}
            users:
            - name: tester
              user:
                token: not-a-secret
            contexts:
            - name: fake
              context:
                cluster: fake
                user: tester
            current-context: fake
            """);
        return path;
    }

    public int Count(string method, string path) => Requests.Count(r => r.Method == method && r.Path == path);

    public IReadOnlyList<ApiRequest> Sent(string method, string pathPrefix) =>
        Requests.Where(r => r.Method == method && r.Path.StartsWith(pathPrefix, StringComparison.Ordinal)).ToList();

    // ---- objects -------------------------------------------------------------------------------

    public static string Uid(string seed) =>
        new Guid(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(seed)).AsSpan(0, 16)).ToString();

    private string NextVersion() => Interlocked.Increment(ref _resourceVersion).ToString(CultureInfo.InvariantCulture);

    private static JsonObject Metadata(string name, string? ns, string uid, string rv, JsonArray? owners = null, JsonObject? labels = null, JsonObject? annotations = null)
    {
        var metadata = new JsonObject { ["name"] = name };
        if (ns is not null) metadata["namespace"] = ns;
        metadata["uid"] = uid;
        metadata["resourceVersion"] = rv;
        metadata["generation"] = 1;
        metadata["creationTimestamp"] = "2024-09-02T10:15:30Z";
        if (labels is not null) metadata["labels"] = labels;
        if (annotations is not null) metadata["annotations"] = annotations;
        if (owners is not null) metadata["ownerReferences"] = owners;
        return metadata;
    }

    public static JsonObject OwnerRef(string apiVersion, string kind, string name, bool controller = true) => new()
    {
        ["apiVersion"] = apiVersion,
        ["kind"] = kind,
        ["name"] = name,
        ["uid"] = Uid(kind + "/" + name),
        ["controller"] = controller,
        ["blockOwnerDeletion"] = true,
    };

    public void AddReplicaSet(string ns, string name, JsonObject? owner)
    {
        Objects[$"/apis/apps/v1/namespaces/{ns}/replicasets/{name}"] = new JsonObject
        {
            ["kind"] = "ReplicaSet",
            ["apiVersion"] = "apps/v1",
            ["metadata"] = Metadata(name, ns, Uid("ReplicaSet/" + name), NextVersion(), owner is null ? null : new JsonArray(owner), new JsonObject { ["app"] = "web" }),
            ["spec"] = new JsonObject
            {
                ["replicas"] = 2,
                ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = "web" } },
                ["template"] = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = "web" } },
                    ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "web", ["image"] = "nginx:1.27" }) },
                },
            },
            ["status"] = new JsonObject { ["replicas"] = 2, ["observedGeneration"] = 1 },
        };
    }

    public void AddJob(string ns, string name, JsonObject? owner)
    {
        Objects[$"/apis/batch/v1/namespaces/{ns}/jobs/{name}"] = new JsonObject
        {
            ["kind"] = "Job",
            ["apiVersion"] = "batch/v1",
            ["metadata"] = Metadata(name, ns, Uid("Job/" + name), NextVersion(), owner is null ? null : new JsonArray(owner)),
            ["spec"] = new JsonObject
            {
                ["backoffLimit"] = 6,
                ["template"] = new JsonObject
                {
                    ["spec"] = new JsonObject { ["restartPolicy"] = "Never", ["containers"] = new JsonArray(new JsonObject { ["name"] = "task", ["image"] = "busybox:1.36" }) },
                },
            },
            ["status"] = new JsonObject { ["active"] = 1 },
        };
    }

    public void AddDeployment(string ns, string name) =>
        Objects[$"/apis/apps/v1/namespaces/{ns}/deployments/{name}"] = new JsonObject
        {
            ["kind"] = "Deployment",
            ["apiVersion"] = "apps/v1",
            ["metadata"] = Metadata(name, ns, Uid("Deployment/" + name), NextVersion()),
            ["spec"] = new JsonObject { ["replicas"] = 2, ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = name } } },
        };

    private static string WebhookConfigurationPath(string name) => $"/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/{name}";

    public void AddWebhookConfiguration(string name, params string?[] caBundles)
    {
        var webhooks = new JsonArray();
        for (var i = 0; i < caBundles.Length; i++)
        {
            var clientConfig = new JsonObject { ["service"] = new JsonObject { ["namespace"] = "appmesh-system", ["name"] = "appmesh-inject", ["path"] = "/mutate", ["port"] = 443 } };
            if (caBundles[i] is { } ca) clientConfig["caBundle"] = ca;
            webhooks.Add(new JsonObject
            {
                ["name"] = $"inject{i}.appmesh.k8s.aws",
                ["clientConfig"] = clientConfig,
                ["rules"] = new JsonArray(new JsonObject { ["operations"] = new JsonArray("CREATE"), ["apiGroups"] = new JsonArray(""), ["apiVersions"] = new JsonArray("v1"), ["resources"] = new JsonArray("pods"), ["scope"] = "*" }),
                ["failurePolicy"] = "Ignore",
                ["sideEffects"] = "None",
                ["admissionReviewVersions"] = new JsonArray("v1", "v1beta1"),
                ["timeoutSeconds"] = 10,
                ["reinvocationPolicy"] = "IfNeeded",
            });
        }
        Objects[WebhookConfigurationPath(name)] = new JsonObject
        {
            ["kind"] = "MutatingWebhookConfiguration",
            ["apiVersion"] = "admissionregistration.k8s.io/v1",
            ["metadata"] = Metadata(name, null, Uid("MutatingWebhookConfiguration/" + name), NextVersion()),
            ["webhooks"] = webhooks,
        };
    }

    public JsonObject? WebhookConfiguration(string name) =>
        Objects.TryGetValue(WebhookConfigurationPath(name), out var o) ? (JsonObject)o.DeepClone() : null;

    private async Task PatchWebhookConfiguration(HttpContext http, string name)
    {
        var key = WebhookConfigurationPath(name);
        if (!Objects.TryGetValue(key, out var stored)) { await WriteStatus(http, 404, "NotFound", $"mutatingwebhookconfigurations.admissionregistration.k8s.io \"{name}\" not found"); return; }
        if (http.Request.ContentType?.StartsWith("application/json-patch+json", StringComparison.Ordinal) != true)
        {
            await WriteStatus(http, 415, "UnsupportedMediaType", $"the fake accepts only JSON patches, not {http.Request.ContentType}");
            return;
        }
        var patched = (JsonObject)stored.DeepClone();
        var operations = JsonNode.Parse(await new StreamReader(http.Request.Body).ReadToEndAsync())!.AsArray();
        foreach (var op in operations)
        {
            var path = op!["path"]!.GetValue<string>().Split('/')[1..];
            JsonNode parent = patched;
            foreach (var segment in path[..^1]) parent = parent is JsonArray a ? a[int.Parse(segment, CultureInfo.InvariantCulture)]! : parent[segment]!;
            var last = path[^1];
            switch (op["op"]!.GetValue<string>())
            {
                case "test":
                    if (parent[last]?.ToJsonString() != op["value"]!.ToJsonString())
                    {
                        await WriteStatus(http, 422, "Invalid", $"the server rejected our request due to an error in our request: testing value /{string.Join('/', path)} failed");
                        return;
                    }
                    break;
                case "add":
                case "replace":
                    parent[last] = op["value"]!.DeepClone();
                    break;
                default:
                    await WriteStatus(http, 422, "Invalid", "unsupported op " + op["op"]);
                    return;
            }
        }
        patched["metadata"]!["resourceVersion"] = NextVersion();
        Objects[key] = patched;
        await WriteJson(http, 200, patched);
    }

    // ---- namespaces: list and watch ---------------------------------------------------------------

    /// <summary>Creates or replaces a namespace (a new resourceVersion) and sends its ADDED or MODIFIED watch event.</summary>
    /// <param name="name">The namespace's name.</param>
    /// <param name="annotations">Its annotations.</param>
    /// <param name="announce">False: the namespace exists for GET and LIST but its watch event is held until <see cref="AnnounceHeld"/>.</param>
    /// <param name="labels">Labels over the defaults (the name label, and appmesh.k8s.aws/sidecarInjectorWebhook=enabled).</param>
    /// <param name="labelledForInjection">False: without the default appmesh.k8s.aws/sidecarInjectorWebhook label.</param>
    public void SetNamespace(string name, Dictionary<string, string>? annotations = null, bool announce = true, Dictionary<string, string>? labels = null, bool labelledForInjection = true)
    {
        lock (_namespaceLock)
        {
            var type = _namespaces.ContainsKey(name) ? "MODIFIED" : "ADDED";
            var rv = NextVersion();
            var annotationObject = annotations is null ? null : new JsonObject(annotations.Select(a => KeyValuePair.Create(a.Key, (JsonNode?)a.Value)));
            var labelObject = new JsonObject { ["kubernetes.io/metadata.name"] = name, ["appmesh.k8s.aws/sidecarInjectorWebhook"] = "enabled" };
            if (!labelledForInjection) labelObject.Remove("appmesh.k8s.aws/sidecarInjectorWebhook");
            foreach (var (key, value) in labels ?? []) labelObject[key] = value;
            var ns = new JsonObject
            {
                ["kind"] = "Namespace",
                ["apiVersion"] = "v1",
                ["metadata"] = Metadata(name, null, Uid("Namespace/" + name), rv,
                    labels: labelObject, annotations: annotationObject),
                ["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") },
                ["status"] = new JsonObject { ["phase"] = "Active" },
            };
            _namespaces[name] = ns;
            if (announce) Publish(long.Parse(rv, CultureInfo.InvariantCulture), type, ns);
            else _held.Enqueue((long.Parse(rv, CultureInfo.InvariantCulture), type, (JsonObject)ns.DeepClone()));
        }
    }

    /// <summary>Sends up to <paramref name="events"/> of the watch events <see cref="SetNamespace"/> held, oldest first:
    /// a watch that lags behind the API's reads.</summary>
    public void AnnounceHeld(int events = int.MaxValue)
    {
        lock (_namespaceLock)
        {
            for (var i = 0; i < events && _held.TryDequeue(out var held); i++) Publish(held.Rv, held.Type, held.Object);
        }
    }

    public void DeleteNamespace(string name)
    {
        lock (_namespaceLock)
        {
            if (!_namespaces.Remove(name, out var ns)) return;
            var gone = (JsonObject)ns.DeepClone();
            var rv = NextVersion();
            gone["metadata"]!["resourceVersion"] = rv;
            Publish(long.Parse(rv, CultureInfo.InvariantCulture), "DELETED", gone);
        }
    }

    private void Publish(long rv, string type, JsonObject obj)
    {
        _namespaceHistory.Add((rv, type, (JsonObject)obj.DeepClone()));
        var line = new JsonObject { ["type"] = type, ["object"] = obj.DeepClone() }.ToJsonString() + "\n";
        foreach (var watcher in _watchers) watcher.Writer.TryWrite(line);
    }

    public int OpenWatches { get { lock (_namespaceLock) return _watchers.Count; } }

    private async Task ListOrWatchNamespaces(HttpContext http)
    {
        if (http.Request.Query["watch"] is ["true" or "1"]) { await WatchNamespaces(http); return; }
        JsonObject list;
        lock (_namespaceLock)
        {
            list = new JsonObject
            {
                ["kind"] = "NamespaceList",
                ["apiVersion"] = "v1",
                ["metadata"] = new JsonObject { ["resourceVersion"] = Interlocked.Read(ref _resourceVersion).ToString(CultureInfo.InvariantCulture) },
                ["items"] = new JsonArray(_namespaces.Values.OrderBy(n => n["metadata"]!["name"]!.GetValue<string>(), StringComparer.Ordinal).Select(n => (JsonNode)n.DeepClone()).ToArray()),
            };
        }
        await WriteJson(http, 200, list);
    }

    private async Task WatchNamespaces(HttpContext http)
    {
        var from = long.TryParse(http.Request.Query["resourceVersion"], CultureInfo.InvariantCulture, out var rv) ? rv : 0;
        var channel = Channel.CreateUnbounded<string>();
        lock (_namespaceLock)
        {
            foreach (var (version, type, obj) in _namespaceHistory.Where(h => h.Rv > from))
                channel.Writer.TryWrite(new JsonObject { ["type"] = type, ["object"] = obj.DeepClone() }.ToJsonString() + "\n");
            _watchers.Add(channel);
        }
        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/json";
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, _stopping.Token);
        if (int.TryParse(http.Request.Query["timeoutSeconds"], CultureInfo.InvariantCulture, out var seconds)) ended.CancelAfter(TimeSpan.FromSeconds(seconds));
        try
        {
            await http.Response.Body.FlushAsync(ended.Token);
            await foreach (var line in channel.Reader.ReadAllAsync(ended.Token))
            {
                await http.Response.WriteAsync(line, ended.Token);
                await http.Response.Body.FlushAsync(ended.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            lock (_namespaceLock) _watchers.Remove(channel);
        }
    }

    // ---- events -------------------------------------------------------------------------------------

    public ConcurrentQueue<JsonObject> Events { get; } = new();

    private async Task CreateEvent(HttpContext http, string ns)
    {
        var body = JsonNode.Parse(await new StreamReader(http.Request.Body).ReadToEndAsync())!.AsObject();
        var stored = (JsonObject)body.DeepClone();
        stored["metadata"]!["uid"] = Uid("Event/" + body["metadata"]!["name"]);
        stored["metadata"]!["resourceVersion"] = NextVersion();
        Objects[$"/api/v1/namespaces/{ns}/events/{body["metadata"]!["name"]}"] = stored;
        Events.Enqueue(body);
        await WriteJson(http, 201, stored);
    }

    private async Task PatchEvent(HttpContext http, string ns, string name)
    {
        if (!Objects.TryGetValue($"/api/v1/namespaces/{ns}/events/{name}", out var stored)) { await WriteStatus(http, 404, "NotFound", $"events \"{name}\" not found"); return; }
        var patch = JsonNode.Parse(await new StreamReader(http.Request.Body).ReadToEndAsync())!.AsObject();
        foreach (var (key, value) in patch) stored[key] = value?.DeepClone();
        await WriteJson(http, 200, stored);
    }

    // ---- port-forward ------------------------------------------------------------------------------

    /// <summary>Where a port-forward to a pod connects: (namespace, pod) → a listener in the test process.</summary>
    public ConcurrentDictionary<(string Namespace, string Pod), IPEndPoint> PortForwards { get; } = new();

    // The API server's port-forward over WebSocket (subprotocol v4.channel.k8s.io, as kubectl and KubernetesClient
    // speak it): every binary message starts with its channel byte (0 data, 1 errors of the first port); the
    // first message on each channel carries the port number (2 bytes, little-endian); data is relayed to the target.
    private async Task PortForward(HttpContext http, string ns, string pod)
    {
        if (!http.WebSockets.IsWebSocketRequest) { await WriteStatus(http, 400, "BadRequest", "Upgrade request required"); return; }
        if (!PortForwards.TryGetValue((ns, pod), out var target)) { await WriteStatus(http, 404, "NotFound", $"pods \"{pod}\" not found"); return; }
        var port = int.Parse(http.Request.Query["ports"].ToString(), CultureInfo.InvariantCulture);
        using var socket = await http.WebSockets.AcceptWebSocketAsync(http.WebSockets.WebSocketRequestedProtocols.FirstOrDefault());
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(target);
        var stream = tcp.GetStream();
        using var done = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, _stopping.Token);
        var binary = System.Net.WebSockets.WebSocketMessageType.Binary;
        await socket.SendAsync(new byte[] { 0, (byte)(port & 0xff), (byte)(port >> 8) }, binary, true, done.Token);
        await socket.SendAsync(new byte[] { 1, (byte)(port & 0xff), (byte)(port >> 8) }, binary, true, done.Token);

        async Task ToPod()
        {
            var buffer = new byte[65536];
            var message = new MemoryStream();
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, done.Token);
                if (received.MessageType == System.Net.WebSockets.WebSocketMessageType.Close) break;
                message.Write(buffer, 0, received.Count);
                if (!received.EndOfMessage) continue;
                var data = message.ToArray();
                message.SetLength(0);
                if (data.Length > 1 && data[0] == 0) await stream.WriteAsync(data.AsMemory(1), done.Token);
            }
            tcp.Client.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        }

        async Task FromPod()
        {
            var buffer = new byte[65536];
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(1), done.Token)) > 0)
            {
                buffer[0] = 0;
                await socket.SendAsync(buffer.AsMemory(0, read + 1), binary, true, done.Token);
            }
        }

        try
        {
            await Task.WhenAny(ToPod(), FromPod());
            if (socket.State == System.Net.WebSockets.WebSocketState.Open)
                await socket.CloseOutputAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "", done.Token);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or System.Net.WebSockets.WebSocketException or System.Net.Sockets.SocketException)
        {
        }
    }

    // ---- discovery, stored objects, errors ----------------------------------------------------------

    private async Task Fallback(HttpContext http)
    {
        var path = http.Request.Path.Value ?? "";
        // Deleting a stored object, and creating one in a collection of stored objects' kind (kubectl replace --force).
        if (HttpMethods.IsDelete(http.Request.Method) && Objects.TryRemove(path, out var deleted))
        {
            await WriteJson(http, 200, deleted);
            return;
        }
        if (HttpMethods.IsPost(http.Request.Method) && ListOf(path, "") is not null
            && JsonNode.Parse(await new StreamReader(http.Request.Body).ReadToEndAsync()) is JsonObject created
            && created["metadata"]?["name"]?.GetValue<string>() is { } createdName)
        {
            if (created["metadata"]?["resourceVersion"] is not null)
            {
                await WriteStatus(http, 500, "InternalError", "resourceVersion should not be set on objects to be created");
                return;
            }
            created["metadata"]!["resourceVersion"] = "1";
            Objects[$"{path}/{createdName}"] = created;
            await WriteJson(http, 201, created);
            return;
        }
        await Answer(http, path);
    }

    private Task Answer(HttpContext http, string path)
    {
        if (!HttpMethods.IsGet(http.Request.Method)) return WriteStatus(http, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
        if (Objects.TryGetValue(path, out var stored)) return WriteJson(http, 200, stored);
        if (DiscoveryDocument(path) is { } discovery) return WriteJson(http, 200, discovery);
        if (ListOf(path, http.Request.Query["labelSelector"].ToString()) is { } list) return WriteJson(http, 200, list);
        if (ObjectPath(path) is not { } target) return WriteStatus(http, 404, "NotFound", "the server could not find the requested resource");
        var details = new JsonObject { ["name"] = target.Name };
        if (target.Group.Length > 0) details["group"] = target.Group;
        details["kind"] = target.Resource;
        var resource = target.Group.Length > 0 ? $"{target.Resource}.{target.Group}" : target.Resource;
        return WriteStatus(http, 404, "NotFound", $"{resource} \"{target.Name}\" not found", details);
    }

    /// <summary>A list of the stored objects right below a collection path (<c>/api/v1/namespaces/ns/pods</c>),
    /// or of every namespace's for a namespaced resource asked for cluster-wide (<c>/api/v1/pods</c>, as
    /// <c>kubectl get pods -A</c> asks), filtered by an equality label selector (<c>a=b,c=d</c>); null when the path
    /// is not a known collection.</summary>
    private JsonObject? ListOf(string path, string labelSelector)
    {
        var s = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var (groupVersion, resource, allNamespaces) = s switch
        {
            ["api", var v, "namespaces", _, var r] => (v, r, false),
            ["api", var v, var r] => (v, r, true),
            ["apis", var g, var v, "namespaces", _, var r] => ($"{g}/{v}", r, false),
            ["apis", var g, var v, var r] => ($"{g}/{v}", r, true),
            _ => ("", "", false),
        };
        var (_, kind, namespaced) = Discovery.Where(d => d.GroupVersion == groupVersion).SelectMany(d => d.Resources).FirstOrDefault(r => r.Resource == resource);
        if (kind is null) return null;
        var root = path[..path.LastIndexOf('/')];
        bool Below(string key) => namespaced && allNamespaces
            ? key.StartsWith(root + "/namespaces/", StringComparison.Ordinal) && key.Split('/') is var k && k.Length == root.Split('/').Length + 4 && k[^2] == resource
            : key.StartsWith(path + "/", StringComparison.Ordinal) && !key[(path.Length + 1)..].Contains('/');
        var wanted = labelSelector.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).ToList();
        var items = Objects.Where(o => Below(o.Key))
            .OrderBy(o => o.Key, StringComparer.Ordinal)
            .Select(o => o.Value)
            .Where(o => wanted.All(w => o["metadata"]?["labels"]?[w[0]]?.GetValue<string>() == (w.Length > 1 ? w[1] : null)))
            .Select(o => (JsonNode)o.DeepClone())
            .ToArray();
        return new JsonObject
        {
            ["kind"] = kind + "List",
            ["apiVersion"] = groupVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = Interlocked.Read(ref _resourceVersion).ToString(CultureInfo.InvariantCulture) },
            ["items"] = new JsonArray(items),
        };
    }

    /// <summary>The group, resource and name of an object's path (namespaced or cluster-wide), else null.</summary>
    private static (string Group, string Resource, string Name)? ObjectPath(string path)
    {
        var s = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return s switch
        {
            ["api", _, "namespaces", _, var resource, var name] => ("", resource, name),
            ["api", _, var resource, var name] => ("", resource, name),
            ["apis", var group, _, "namespaces", _, var resource, var name] => (group, resource, name),
            ["apis", var group, _, var resource, var name] => (group, resource, name),
            _ => null,
        };
    }

    private static JsonObject? DiscoveryDocument(string path)
    {
        if (path == "/api") return new JsonObject { ["kind"] = "APIVersions", ["versions"] = new JsonArray("v1") };
        if (path == "/apis")
        {
            var groups = new JsonArray();
            foreach (var (gv, _) in Discovery.Where(d => d.GroupVersion.Contains('/')))
            {
                var version = new JsonObject { ["groupVersion"] = gv, ["version"] = gv.Split('/')[1] };
                groups.Add(new JsonObject { ["name"] = gv.Split('/')[0], ["versions"] = new JsonArray(version), ["preferredVersion"] = version.DeepClone() });
            }
            return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
        }
        foreach (var (gv, resources) in Discovery)
        {
            if (path != (gv == "v1" ? "/api/v1" : $"/apis/{gv}")) continue;
            var list = new JsonArray();
            foreach (var (resource, kind, namespaced) in resources)
                list.Add(new JsonObject { ["name"] = resource, ["singularName"] = "", ["namespaced"] = namespaced, ["kind"] = kind, ["verbs"] = new JsonArray("create", "delete", "get", "list", "patch", "update", "watch") });
            return new JsonObject { ["kind"] = "APIResourceList", ["apiVersion"] = "v1", ["groupVersion"] = gv, ["resources"] = list };
        }
        return null;
    }

    private static async Task WriteJson(HttpContext http, int status, JsonNode body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(body.ToJsonString());
    }

    private static Task WriteStatus(HttpContext http, int code, string reason, string message, JsonObject? details = null)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
        };
        if (details is not null) status["details"] = details;
        status["code"] = code;
        return WriteJson(http, code, status);
    }

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stopping.Dispose();
    }
}
