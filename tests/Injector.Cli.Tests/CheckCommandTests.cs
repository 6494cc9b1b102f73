using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace Injector.Cli.Tests;

/// <summary><c>appmesh-inject check</c> (issue 14, item 6) against the fake API server: one test per failure,
/// with the exact lines an operator reads. The serving certificate is checked by a real TLS handshake through
/// the API server's port-forward WebSocket protocol, relayed by the fake to a TLS listener in this process.</summary>
public sealed class CheckCommandTests : IAsyncLifetime, IDisposable
{
    private const string Ns = "appmesh-system";
    private const string Host = "appmesh-inject.appmesh-system.svc";
    private FakeApiServer _api = null!;
    private readonly TempDir _dir = new("check");
    private string _kubeconfig = "";
    private readonly List<IDisposable> _cleanup = [];

    public async Task InitializeAsync()
    {
        _api = await FakeApiServer.StartAsync();
        _kubeconfig = _api.WriteKubeconfig(_dir.Path);
    }

    public async Task DisposeAsync()
    {
        foreach (var item in _cleanup) item.Dispose();
        await _api.DisposeAsync();
    }

    public void Dispose() => _dir.Dispose();

    // ---- a cluster with the injector installed --------------------------------------------------------

    private static (X509Certificate2 Ca, X509Certificate2 Leaf) Certificates(string dnsName = Host, int days = 365)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=appmesh-inject-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(3650));
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=" + dnsName, leafKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(dnsName);
        leafRequest.CertificateExtensions.Add(san.Build());
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var signed = leafRequest.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(days), [1, 2, 3, 4]);
        var leaf = X509CertificateLoader.LoadPkcs12(signed.CopyWithPrivateKey(leafKey).Export(X509ContentType.Pkcs12), null);
        return (ca, leaf);
    }

    /// <summary>A TLS listener on loopback that presents <paramref name="certificate"/>: the webhook pod.</summary>
    private IPEndPoint ServeTls(X509Certificate2 certificate)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var stop = new CancellationTokenSource();
        _cleanup.Add(stop);
        _ = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                TcpClient client;
                try { client = await listener.AcceptTcpClientAsync(stop.Token); }
                catch (OperationCanceledException) { break; }
                _ = Task.Run(async () =>
                {
                    using (client)
                    using (var tls = new SslStream(client.GetStream()))
                    {
                        try
                        {
                            await tls.AuthenticateAsServerAsync(certificate);
                            await tls.ReadAtLeastAsync(new byte[1], 1, throwOnEndOfStream: false);
                        }
                        catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException)
                        {
                        }
                    }
                });
            }
            listener.Stop();
        });
        return (IPEndPoint)listener.LocalEndpoint;
    }

    private static JsonObject Meta(string name, string? ns, JsonObject? labels = null)
    {
        var meta = new JsonObject { ["name"] = name, ["uid"] = FakeApiServer.Uid(name), ["resourceVersion"] = "1", ["creationTimestamp"] = "2026-11-01T10:00:00Z" };
        if (ns is not null) meta["namespace"] = ns;
        if (labels is not null) meta["labels"] = labels;
        return meta;
    }

    private void Put(string path, JsonObject obj) => _api.Objects[path] = obj;

    /// <summary>Everything healthy: ready Deployment and pod (served by a TLS listener), Service, webhook
    /// configuration with the right caBundle, one labelled namespace whose pod has its sidecar.</summary>
    private void Install(int readyReplicas = 2, string? caBundlePem = null, X509Certificate2? served = null, string serviceInConfig = "appmesh-inject", bool withConfiguration = true, bool withDeployment = true)
    {
        var (ca, leaf) = Certificates();
        served ??= leaf;
        caBundlePem ??= ca.ExportCertificatePem();
        if (withDeployment)
        {
            Put($"/apis/apps/v1/namespaces/{Ns}/deployments/appmesh-inject", new JsonObject
            {
                ["kind"] = "Deployment",
                ["apiVersion"] = "apps/v1",
                ["metadata"] = Meta("appmesh-inject", Ns),
                ["spec"] = new JsonObject { ["replicas"] = 2, ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app.kubernetes.io/name"] = "appmesh-inject" } } },
                ["status"] = new JsonObject { ["replicas"] = 2, ["readyReplicas"] = readyReplicas },
            });
        }
        Put($"/api/v1/namespaces/{Ns}/pods/appmesh-inject-5c9f-abcde", new JsonObject
        {
            ["kind"] = "Pod",
            ["apiVersion"] = "v1",
            ["metadata"] = Meta("appmesh-inject-5c9f-abcde", Ns, new JsonObject { ["app.kubernetes.io/name"] = "appmesh-inject" }),
            ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "webhook", ["image"] = "appmesh-inject:0.1.0", ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["containerPort"] = 8443 }) }) },
            ["status"] = new JsonObject { ["phase"] = "Running", ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = readyReplicas > 0 ? "True" : "False" }) },
        });
        _api.PortForwards[(Ns, "appmesh-inject-5c9f-abcde")] = ServeTls(served);
        Put($"/api/v1/namespaces/{Ns}/services/appmesh-inject", new JsonObject
        {
            ["kind"] = "Service",
            ["apiVersion"] = "v1",
            ["metadata"] = Meta("appmesh-inject", Ns),
            ["spec"] = new JsonObject { ["ports"] = new JsonArray(new JsonObject { ["port"] = 443, ["targetPort"] = "https", ["protocol"] = "TCP" }) },
        });
        if (withConfiguration)
        {
            var clientConfig = new JsonObject { ["service"] = new JsonObject { ["namespace"] = Ns, ["name"] = serviceInConfig, ["path"] = "/mutate", ["port"] = 443 } };
            if (caBundlePem.Length > 0) clientConfig["caBundle"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(caBundlePem));
            Put("/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/appmesh-inject", new JsonObject
            {
                ["kind"] = "MutatingWebhookConfiguration",
                ["apiVersion"] = "admissionregistration.k8s.io/v1",
                ["metadata"] = Meta("appmesh-inject", null),
                ["webhooks"] = new JsonArray(new JsonObject
                {
                    ["name"] = "appmesh-inject.appmesh-system.appmesh.k8s.aws",
                    ["clientConfig"] = clientConfig,
                    ["admissionReviewVersions"] = new JsonArray("v1"),
                    ["sideEffects"] = "NoneOnDryRun",
                }),
            });
        }
        _api.SetNamespace(Ns, labelledForInjection: false);
        _api.SetNamespace("shop", labels: new() { ["appmesh.k8s.aws/sidecarInjectorWebhook"] = "enabled" });
        AddShopPod("cart-6f7d-q1w2e", injected: true);
    }

    private void AddShopPod(string name, bool injected, string? owner = null, string? optOutLabel = null)
    {
        var containers = new JsonArray(new JsonObject { ["name"] = "cart", ["image"] = "cart:1" });
        if (injected) containers.Add(new JsonObject { ["name"] = "envoy", ["image"] = "envoy" });
        var meta = Meta(name, "shop");
        if (optOutLabel is not null) meta["labels"] = new JsonObject { ["appmesh.k8s.aws/sidecarInjectorWebhook"] = optOutLabel };
        if (owner is not null) meta["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "apps/v1", ["kind"] = "ReplicaSet", ["name"] = owner, ["uid"] = FakeApiServer.Uid(owner), ["controller"] = true });
        Put($"/api/v1/namespaces/shop/pods/{name}", new JsonObject
        {
            ["kind"] = "Pod",
            ["apiVersion"] = "v1",
            ["metadata"] = meta,
            ["spec"] = new JsonObject { ["containers"] = containers },
            ["status"] = new JsonObject { ["phase"] = "Running" },
        });
    }

    /// <summary>A running pod of <paramref name="ns"/> with one app container, and what else a test gives it.</summary>
    private void AddPod(string ns, string name, JsonObject? annotations = null, bool hostNetwork = false, JsonArray? initContainers = null)
    {
        var meta = Meta(name, ns);
        if (annotations is not null) meta["annotations"] = annotations;
        var spec = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "app:1" }) };
        if (hostNetwork) spec["hostNetwork"] = true;
        if (initContainers is not null) spec["initContainers"] = initContainers;
        Put($"/api/v1/namespaces/{ns}/pods/{name}", new JsonObject
        {
            ["kind"] = "Pod",
            ["apiVersion"] = "v1",
            ["metadata"] = meta,
            ["spec"] = spec,
            ["status"] = new JsonObject { ["phase"] = "Running" },
        });
    }

    private const string NoEventWhy = "no injector Event: it was probably created before the injector ran, or while it was down with failurePolicy Ignore";

    private CliResult Check(params string[] args) => Cli.Run(null, ["check", "--kubeconfig", _kubeconfig, .. args]);

    private string Header => $"Checking the appmesh-inject installation in namespace appmesh-system of {_api.Url} (--kubeconfig {_kubeconfig})";

    // ---- the checks --------------------------------------------------------------------------------------

    [Fact]
    public void A_healthy_installation_passes_every_check_and_exits_0()
    {
        Install();

        var result = Check();

        Assert.Equal((0, ""), (result.ExitCode, result.Stderr));
        var lines = result.Stdout.Split('\n');
        Assert.Equal(
        [
            Header,
            "[ok]   the Kubernetes API answers (version v1.30.4-eks-a737599)",
            "[ok]   Deployment appmesh-system/appmesh-inject is ready (2/2 replicas)",
            "[ok]   MutatingWebhookConfiguration appmesh-inject sends pods to Service appmesh-system/appmesh-inject",
            "[ok]   the caBundle verifies the certificate pod appmesh-system/appmesh-inject-5c9f-abcde serves for appmesh-inject.appmesh-system.svc",
        ], lines[..5]);
        // The certificate was made for 365 days a moment ago.
        Assert.Equal($"[ok]   the serving certificate is valid until {DateTime.UtcNow.AddDays(365):yyyy-MM-dd} UTC (364 days)", lines[5]);
        Assert.Equal(
        [
            "[ok]   1 namespace is labelled for injection: shop (enabled)",
            "[ok]   every running pod of the labelled namespaces has its sidecar",
            "7 passed, 0 failed",
            "",
        ], lines[6..]);
        // The handshake went through the API server's port-forward, as kubectl port-forward does.
        Assert.Single(_api.Requests, r => r.Path == "/api/v1/namespaces/appmesh-system/pods/appmesh-inject-5c9f-abcde/portforward" && r.Query == "?ports=8443");
    }

    [Fact]
    public void An_unreachable_api_server_is_the_first_and_only_failure()
    {
        var kubeconfig = _dir.Write("dead", File.ReadAllText(_kubeconfig).Replace(_api.Url, "http://127.0.0.1:1", StringComparison.Ordinal));

        var result = Cli.Run(null, "check", "--kubeconfig", kubeconfig);

        Assert.Equal(1, result.ExitCode);
        var lines = result.Stdout.Split('\n');
        Assert.StartsWith("[FAIL] the Kubernetes API answers: read the version: ", lines[1]);
        Assert.Equal("       fix: check the kubeconfig's current context and credentials (kubectl cluster-info)", lines[2]);
        Assert.Equal("0 passed, 1 failed", lines[3]);
    }

    [Fact]
    public void A_missing_deployment_fails_with_the_install_command()
    {
        Install(withDeployment: false);

        var result = Check();

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("[FAIL] Deployment appmesh-system/appmesh-inject exists\n       fix: install the injector: helm install appmesh-inject charts/appmesh-inject -n appmesh-system --create-namespace --set mesh.name=MESH (or pass --injector-namespace/--deployment if it is elsewhere)\n", result.Stdout);
    }

    [Fact]
    public void A_deployment_without_ready_replicas_fails_with_where_to_look()
    {
        Install(readyReplicas: 0);

        var result = Check();

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("[FAIL] Deployment appmesh-system/appmesh-inject is not ready (0/2 replicas ready)\n       fix: see why: kubectl -n appmesh-system describe deployment appmesh-inject; kubectl -n appmesh-system logs deployment/appmesh-inject\n", result.Stdout);
        Assert.Contains("[FAIL] the caBundle of the webhook configuration verifies the certificate the webhook serves: no ready webhook pod to connect to\n       fix: fix the Deployment first: kubectl -n appmesh-system get pods\n", result.Stdout);
    }

    [Fact]
    public void A_missing_webhook_configuration_fails()
    {
        Install(withConfiguration: false);

        var result = Check();

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("[FAIL] MutatingWebhookConfiguration appmesh-inject exists\n       fix: no pod is injected without it: helm upgrade --install the chart, or appmesh-inject webhook-config --service-namespace appmesh-system --ca-file CA.pem | kubectl apply -f -\n", result.Stdout);
    }

    [Fact]
    public void A_webhook_configuration_for_another_service_fails()
    {
        Install(serviceInConfig: "old-injector");

        var result = Check();

        Assert.Contains("[FAIL] MutatingWebhookConfiguration appmesh-inject sends pods to Service appmesh-system/appmesh-inject (it names appmesh-system/old-injector)\n       fix: re-create it for this installation: appmesh-inject webhook-config --service-name appmesh-inject --service-namespace appmesh-system --ca-file CA.pem | kubectl apply -f -\n", result.Stdout);
    }

    [Fact]
    public void An_empty_ca_bundle_fails()
    {
        Install(caBundlePem: "");

        var result = Check();

        Assert.Contains("[FAIL] the caBundle of the webhook configuration verifies the certificate the webhook serves: the caBundle is empty\n", result.Stdout);
    }

    [Fact]
    public void A_ca_bundle_of_another_ca_fails_as_the_api_server_would_and_says_how_to_fix_it()
    {
        var (otherCa, _) = Certificates();
        Install(caBundlePem: otherCa.ExportCertificatePem());

        var result = Check();

        Assert.Equal(1, result.ExitCode);
        var line = result.Stdout.Split('\n').Single(l => l.StartsWith("[FAIL] the caBundle", StringComparison.Ordinal));
        Assert.Equal("[FAIL] the caBundle of the webhook configuration verifies the certificate the webhook serves: pod appmesh-system/appmesh-inject-5c9f-abcde presents \"CN=appmesh-inject.appmesh-system.svc\" issued by \"CN=appmesh-inject-ca\", which the caBundle does not verify (NotSignatureValid); the API server fails every pod creation with \"x509: certificate signed by unknown authority\"", line);
        Assert.Contains("       fix: put the CA of the serving certificate into the caBundle (with the chart: helm upgrade reuses it; with your own secret: base64 of its ca.crt), or restart the pods if the secret was renewed: kubectl -n appmesh-system rollout restart deployment\n", result.Stdout);
    }

    [Fact]
    public void A_certificate_for_another_name_fails()
    {
        var (ca, leaf) = Certificates(dnsName: "webhook.example.com");
        Install(caBundlePem: ca.ExportCertificatePem(), served: leaf);

        var result = Check();

        Assert.Contains("[FAIL] the caBundle of the webhook configuration verifies the certificate the webhook serves: the certificate of pod appmesh-system/appmesh-inject-5c9f-abcde is not valid for appmesh-inject.appmesh-system.svc\n       fix: issue the serving certificate with the DNS names appmesh-inject, appmesh-inject.appmesh-system and appmesh-inject.appmesh-system.svc (certs/gen-certs.sh does)\n", result.Stdout);
    }

    [Fact]
    public void A_certificate_that_expires_soon_fails()
    {
        var (ca, leaf) = Certificates(days: 10);
        Install(caBundlePem: ca.ExportCertificatePem(), served: leaf);

        var result = Check();

        Assert.Equal(1, result.ExitCode);
        Assert.Matches(@"\[FAIL\] the serving certificate expires in (9|10) days \(\d{4}-\d\d-\d\d UTC\)\n       fix: renew it before then: helm upgrade \(generated certificates\), or cert-manager's renewBefore\n", result.Stdout);
    }

    [Fact]
    public void No_labelled_namespace_fails_with_the_label_command()
    {
        Install();
        _api.SetNamespace("shop", labelledForInjection: false);

        var result = Check();

        Assert.Contains("[FAIL] a namespace is labelled appmesh.k8s.aws/sidecarInjectorWebhook=enabled (or disabled), so that the webhook sees its pods\n       fix: label the namespaces to mesh: kubectl label namespace NAMESPACE appmesh.k8s.aws/sidecarInjectorWebhook=enabled\n", result.Stdout);
    }

    [Fact]
    public void A_pod_without_its_sidecar_is_named_with_the_reason_from_the_injectors_event()
    {
        Install();
        AddShopPod("orders-7c8d-z9y8x", injected: false, owner: "orders-7c8d");
        AddShopPod("legacy", injected: false);
        AddShopPod("batch-opted-out", injected: false, optOutLabel: "disabled"); // the webhook never sees it: not named
        Put("/api/v1/namespaces/shop/events/orders.1", new JsonObject
        {
            ["kind"] = "Event",
            ["apiVersion"] = "v1",
            ["metadata"] = Meta("orders.1", "shop"),
            ["involvedObject"] = new JsonObject { ["kind"] = "Deployment", ["name"] = "orders", ["namespace"] = "shop" },
            ["reason"] = "InjectionFailed",
            ["message"] = "annotation appmesh.k8s.aws/ports: \"http\" is not valid",
            ["type"] = "Warning",
            ["lastTimestamp"] = "2026-11-30T10:00:00Z",
        });

        var result = Check();

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("[FAIL] 2 running pods of labelled namespaces without a sidecar: shop/legacy (no injector Event: it was probably created before the injector ran, or while it was down with failurePolicy Ignore); shop/orders-7c8d-z9y8x (InjectionFailed: annotation appmesh.k8s.aws/ports: \"http\" is not valid)\n       fix: fix the reason shown, then re-create the pods: kubectl -n NAMESPACE rollout restart deployment/NAME (pods are injected only when created)\n", result.Stdout);
    }

    // Which pods are meant to be without a sidecar is the engine's decision (SelectionGate), as the webhook makes it.
    [Fact]
    public void Pods_the_engine_skips_are_not_named()
    {
        Install();
        AddPod("shop", "opted-out-any-case", annotations: new JsonObject { ["appmesh.k8s.aws/sidecarInjectorWebhook"] = "Disabled" });
        AddPod("shop", "node-agent", hostNetwork: true);
        AddPod("shop", "marked-injected", annotations: new JsonObject { ["appmesh.k8s.aws/sidecarInjectorStatus"] = "{}" });
        AddPod("shop", "native-envoy", initContainers: new JsonArray(new JsonObject { ["name"] = "envoy", ["image"] = "envoy", ["restartPolicy"] = "Always" }));
        AddPod("shop", "init-only", initContainers: new JsonArray(new JsonObject { ["name"] = "proxyinit", ["image"] = "proxyinit" }));
        _api.SetNamespace("legacy", labels: new() { ["appmesh.k8s.aws/sidecarInjectorWebhook"] = "disabled" });
        AddPod("legacy", "not-opted-in");
        AddPod("legacy", "opted-in", annotations: new JsonObject { ["appmesh.k8s.aws/sidecarInjectorWebhook"] = "ENABLED" });

        var result = Check();

        Assert.Equal(1, result.ExitCode);
        // init-only: a pod with the injector's init container is injected already for the engine (the old check named it).
        Assert.Equal(
        [
            "[ok]   2 namespaces are labelled for injection: legacy (disabled), shop (enabled)",
            $"[FAIL] 1 running pod of labelled namespaces without a sidecar: legacy/opted-in ({NoEventWhy})",
            "       fix: fix the reason shown, then re-create the pods: kubectl -n NAMESPACE rollout restart deployment/NAME (pods are injected only when created)",
            "6 passed, 1 failed",
            "",
        ], result.Stdout.Split('\n')[6..]);
    }

    // The old check read the namespace label "disabled" as "leave the pod alone" unless it was annotated enabled;
    // the engine reads an invalid pod value as unset, as the App Mesh controller does, so --inject-default (true)
    // decides and the webhook injects the pod: without a sidecar, it is named.
    [Fact]
    public void A_pod_with_an_invalid_switch_value_in_a_disabled_namespace_is_expected_to_be_injected()
    {
        Install();
        _api.SetNamespace("shop", labels: new() { ["appmesh.k8s.aws/sidecarInjectorWebhook"] = "disabled" });
        AddPod("shop", "reports", annotations: new JsonObject { ["appmesh.k8s.aws/sidecarInjectorWebhook"] = "true" });

        var result = Check();

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("[ok]   1 namespace is labelled for injection: shop (disabled)\n", result.Stdout);
        Assert.Contains($"\n[FAIL] 1 running pod of labelled namespaces without a sidecar: shop/reports ({NoEventWhy})\n", result.Stdout);
        Assert.EndsWith("6 passed, 1 failed\n", result.Stdout);
    }

    // A webhook configuration whose namespace selector is the cluster's own (here: a mesh label) selects namespaces
    // without the injection label; the engine then reads the namespace's annotation, which opts this one out. The
    // old check read the label of every selected namespace and stopped with an exception.
    [Fact]
    public void A_namespace_selected_without_the_label_and_opted_out_by_its_annotation_passes()
    {
        Install();
        var configuration = _api.Objects["/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/appmesh-inject"];
        configuration["webhooks"]![0]!["namespaceSelector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["mesh"] = "demo" } };
        _api.SetNamespace("shop", labels: new() { ["mesh"] = "demo" });
        _api.SetNamespace("legacy", labelledForInjection: false, labels: new() { ["mesh"] = "demo" },
            annotations: new() { ["appmesh.k8s.aws/sidecarInjectorWebhook"] = "disabled" });
        AddPod("legacy", "batch");

        var result = Check();

        Assert.Equal((0, ""), (result.ExitCode, result.Stderr));
        Assert.Equal(
        [
            "[ok]   2 namespaces are labelled for injection: legacy (no appmesh.k8s.aws/sidecarInjectorWebhook label), shop (enabled)",
            "[ok]   every running pod of the labelled namespaces has its sidecar",
            "7 passed, 0 failed",
            "",
        ], result.Stdout.Split('\n')[6..]);
    }

    [Fact]
    public void Without_a_kubeconfig_check_is_a_usage_error()
    {
        var result = Cli.RunWith(new Dictionary<string, string> { ["HOME"] = _dir.Path }, null, "check");

        Assert.Equal((2, $"appmesh-inject: no cluster: give --kubeconfig FILE or set KUBECONFIG (there is no {Path.Combine(_dir.Path, ".kube", "config")} either)\n"), (result.ExitCode, result.Stderr));
    }

    [Theory]
    [InlineData("certificate-authority-data: '!!!'", "token: t", "a certificate-authority-data, client-certificate-data or client-key-data field is not valid base64")]
    [InlineData("insecure-skip-tls-verify: true", "client-certificate: /nonexistent/c.crt, client-key: /nonexistent/c.key", "Could not find a part of the path '/nonexistent/c.key'.")]
    public void A_kubeconfig_whose_certificates_cannot_be_loaded_is_a_usage_error_not_a_crash(string cluster, string user, string problem)
    {
        // The client library loads them when the client is made; the base64 one ended the command with an unhandled exception.
        var kubeconfig = _dir.Write("broken-kubeconfig", $"apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: 'https://127.0.0.1:1', {cluster}}}\n" +
            $"users:\n- name: u\n  user: {{{user}}}\ncontexts:\n- name: x\n  context: {{cluster: c, user: u}}\ncurrent-context: x\n");

        var result = Cli.Run(null, "check", "--kubeconfig", kubeconfig);

        Assert.Equal((2, $"appmesh-inject: cannot read the kubeconfig (--kubeconfig {kubeconfig}): {problem}\n"), (result.ExitCode, result.Stderr));
    }
}
