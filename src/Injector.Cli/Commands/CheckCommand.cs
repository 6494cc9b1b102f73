using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Injector.Cli.Selection;
using Injector.Core.Injection;
using Injector.Core.Json;
using Injector.Core.Settings;
using Injector.Manifests;
using k8s;
using k8s.Models;

namespace Injector.Cli.Commands;

/// <summary><c>appmesh-inject check</c>: the live health of an installation, as <c>linkerd check</c> reports
/// it — one line per check, each failure with the command or change that fixes it; exit code 1 when any fails.</summary>
internal static class CheckCommand
{
    public static readonly CommandSpec Spec = new(
        "check",
        "check an installation in the cluster of the kubeconfig",
        "check [--kubeconfig FILE] [--injector-namespace NS] [--deployment NAME] [--service-name NAME] [--webhook-config-name NAME] [--expiry-warning-days DAYS]",
        """
        Checks, against the cluster in the kubeconfig (--kubeconfig, else KUBECONFIG, else ~/.kube/config): the
        API server answers; the injector's Deployment is ready; its MutatingWebhookConfiguration is there and
        points at its Service; the configuration's caBundle verifies the certificate a webhook pod actually
        presents (a TLS handshake through a port-forward to the pod, for the Service's DNS name, as the API server
        makes it); that certificate is not about to expire; namespaces are labelled for injection; and no running
        pod of a labelled namespace lacks its sidecar (with the reason from the injector's Events). Prints one
        line per check and, for each failure, how to fix it.

        Exit codes: 0 every check passed; 1 a check failed; 2 usage error (no kubeconfig).
        """,
        [
            NamespaceSources.KubeconfigFlag with { Help = "the cluster to check (default: KUBECONFIG, else ~/.kube/config)" },
            NamespaceSources.InjectorNamespaceFlag with { Help = "the namespace the injector is installed in (default appmesh-system)" },
            new("deployment", null, "NAME", "the injector's Deployment (default appmesh-inject)"),
            new("service-name", null, "NAME", "the injector's Service (default appmesh-inject)"),
            NamespaceSources.WebhookConfigNameFlag with { Help = "the MutatingWebhookConfiguration (default appmesh-inject)" },
            new("expiry-warning-days", null, "DAYS", "fail when the serving certificate expires within this many days (default 30)"),
        ],
        TakesFiles: false,
        TakesSettings: false);

    // check reads no engine settings: the pods it expects injected are those the webhook injects with its
    // default --inject-default.
    private static readonly bool InjectDefault = new InjectorSettings().InjectDefault;

    private sealed class Report(TextWriter output)
    {
        public int Passed { get; private set; }
        public int Failed { get; private set; }

        public void Pass(string what)
        {
            Passed++;
            output.WriteLine($"[ok]   {what}");
        }

        public void Fail(string what, string fix)
        {
            Failed++;
            output.WriteLine($"[FAIL] {what}");
            output.WriteLine($"       fix: {fix}");
        }
    }

    public static int Run(ParsedArgs args, TextWriter stdout, IReadOnlyDictionary<string, string> environment)
    {
        var ns = args.Get("injector-namespace", "appmesh-system");
        var deploymentName = args.Get("deployment", "appmesh-inject");
        var serviceName = args.Get("service-name", "appmesh-inject");
        var configName = args.Get("webhook-config-name", "appmesh-inject");
        var warningDays = int.TryParse(args.Get("expiry-warning-days", "30"), out var days) && days >= 0 ? days : throw new UsageException("--expiry-warning-days: give a whole number of days");
        using var cluster = ClusterConnection.Open(args.Get("kubeconfig"), environment, required: true)!;
        stdout.WriteLine($"Checking the appmesh-inject installation in namespace {ns} of {cluster.Server} ({cluster.Source})");
        var report = new Report(stdout);
        Checks(cluster, report, ns, deploymentName, serviceName, configName, warningDays).GetAwaiter().GetResult();
        stdout.WriteLine($"{report.Passed} passed, {report.Failed} failed");
        return report.Failed == 0 ? CliApp.Ok : CliApp.Failed;
    }

    private static async Task Checks(ClusterConnection cluster, Report report, string ns, string deploymentName, string serviceName, string configName, int warningDays)
    {
        VersionInfo version;
        try
        {
            version = await cluster.CallAsync("read the version", (c, t) => c.Version.GetCodeAsync(t));
            report.Pass($"the Kubernetes API answers (version {version.GitVersion})");
        }
        catch (ClusterException ex)
        {
            report.Fail($"the Kubernetes API answers: {ex.Message}", "check the kubeconfig's current context and credentials (kubectl cluster-info)");
            return;
        }

        // The Deployment, and a ready pod of it for the handshake.
        V1Pod? webhookPod = null;
        try
        {
            var deployment = await cluster.CallAsync($"read deployment {ns}/{deploymentName}", (c, t) => c.AppsV1.ReadNamespacedDeploymentAsync(deploymentName, ns, cancellationToken: t));
            var wanted = deployment.Spec?.Replicas ?? 1;
            var ready = deployment.Status?.ReadyReplicas ?? 0;
            if (ready >= 1 && ready >= wanted) report.Pass($"Deployment {ns}/{deploymentName} is ready ({ready}/{wanted} replicas)");
            else report.Fail($"Deployment {ns}/{deploymentName} is not ready ({ready}/{wanted} replicas ready)", $"see why: kubectl -n {ns} describe deployment {deploymentName}; kubectl -n {ns} logs deployment/{deploymentName}");
            var selector = string.Join(",", (deployment.Spec?.Selector?.MatchLabels ?? new Dictionary<string, string>()).Select(l => $"{l.Key}={l.Value}"));
            var pods = await cluster.CallAsync($"list pods of {ns}/{deploymentName}", (c, t) => c.CoreV1.ListNamespacedPodAsync(ns, labelSelector: selector, cancellationToken: t));
            webhookPod = pods.Items.FirstOrDefault(p => p.Status?.Conditions?.Any(cond => cond.Type == "Ready" && cond.Status == "True") == true);
        }
        catch (ClusterException ex) when (ClusterConnection.IsNotFound(ex))
        {
            report.Fail($"Deployment {ns}/{deploymentName} exists", $"install the injector: helm install appmesh-inject charts/appmesh-inject -n {ns} --create-namespace --set mesh.name=MESH (or pass --injector-namespace/--deployment if it is elsewhere)");
        }
        catch (ClusterException ex)
        {
            report.Fail($"Deployment {ns}/{deploymentName} can be read: {ex.Message}", "give the kubeconfig's user get/list on deployments and pods in that namespace");
        }

        // The webhook configuration, and where it sends pods.
        V1MutatingWebhookConfiguration? configuration = null;
        try
        {
            configuration = await cluster.CallAsync($"read mutatingwebhookconfiguration {configName}", (c, t) => c.AdmissionregistrationV1.ReadMutatingWebhookConfigurationAsync(configName, cancellationToken: t));
            var webhook = configuration.Webhooks?.FirstOrDefault();
            var service = webhook?.ClientConfig?.Service;
            if (service is null) report.Fail($"MutatingWebhookConfiguration {configName} sends pods to Service {ns}/{serviceName}", $"it has no service clientConfig; re-create it: appmesh-inject webhook-config --service-namespace {ns} --ca-file CA.pem | kubectl apply -f -");
            else if (service.Name != serviceName || service.NamespaceProperty != ns)
                report.Fail($"MutatingWebhookConfiguration {configName} sends pods to Service {ns}/{serviceName} (it names {service.NamespaceProperty}/{service.Name})", $"re-create it for this installation: appmesh-inject webhook-config --service-name {serviceName} --service-namespace {ns} --ca-file CA.pem | kubectl apply -f -");
            else report.Pass($"MutatingWebhookConfiguration {configName} sends pods to Service {ns}/{serviceName}");
        }
        catch (ClusterException ex) when (ClusterConnection.IsNotFound(ex))
        {
            report.Fail($"MutatingWebhookConfiguration {configName} exists", $"no pod is injected without it: helm upgrade --install the chart, or appmesh-inject webhook-config --service-namespace {ns} --ca-file CA.pem | kubectl apply -f -");
        }
        catch (ClusterException ex)
        {
            report.Fail($"MutatingWebhookConfiguration {configName} can be read: {ex.Message}", "give the kubeconfig's user get on mutatingwebhookconfigurations");
        }

        await CheckServingCertificate(cluster, report, ns, serviceName, configuration, webhookPod, warningDays);
        var namespaceSelector = configuration?.Webhooks?.FirstOrDefault()?.NamespaceSelector is { } found ? JsonNode.Parse(KubernetesJson.Serialize(found)) as JsonObject : null;
        await CheckNamespacesAndPods(cluster, report, ns, namespaceSelector);
    }

    private static async Task CheckServingCertificate(ClusterConnection cluster, Report report, string ns, string serviceName, V1MutatingWebhookConfiguration? configuration, V1Pod? pod, int warningDays)
    {
        var what = $"the caBundle of the webhook configuration verifies the certificate the webhook serves";
        var webhook = configuration?.Webhooks?.FirstOrDefault();
        if (webhook is null) return;
        var caBundle = webhook.ClientConfig?.CaBundle;
        if (caBundle is null || caBundle.Length == 0)
        {
            report.Fail($"{what}: the caBundle is empty", "set it to the CA that signed the serving certificate (the chart does this; with cert-manager, annotate the configuration with cert-manager.io/inject-ca-from)");
            return;
        }
        if (pod is null)
        {
            report.Fail($"{what}: no ready webhook pod to connect to", $"fix the Deployment first: kubectl -n {ns} get pods");
            return;
        }
        X509Certificate2Collection authorities;
        try
        {
            authorities = [];
            authorities.ImportFromPem(Encoding.UTF8.GetString(caBundle));
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            report.Fail($"{what}: the caBundle is not a PEM certificate ({ex.Message})", "set it to the base64 of the CA certificate's PEM text");
            return;
        }
        if (authorities.Count == 0)
        {
            report.Fail($"{what}: the caBundle is not a PEM certificate (no certificate in it)", "set it to the base64 of the CA certificate's PEM text");
            return;
        }

        int port;
        try
        {
            port = await TargetPort(cluster, ns, serviceName, webhook.ClientConfig!.Service?.Port ?? 443, pod);
        }
        catch (ClusterException ex)
        {
            report.Fail($"{what}: {ex.Message}", $"check Service {ns}/{serviceName}: kubectl -n {ns} get service {serviceName} -o yaml");
            return;
        }

        var host = $"{serviceName}.{ns}.svc";
        X509Certificate2? served = null;
        SslPolicyErrors errors = SslPolicyErrors.None;
        X509ChainStatusFlags chainStatus = X509ChainStatusFlags.NoError;
        try
        {
            using var cancel = new CancellationTokenSource(ClusterConnection.Timeout);
            using var socket = await cluster.Client.WebSocketNamespacedPodPortForwardAsync(pod.Metadata.Name, ns, [port], "v4.channel.k8s.io", cancellationToken: cancel.Token);
            using var demuxer = new StreamDemuxer(socket, StreamType.PortForward);
            demuxer.Start();
            using var stream = demuxer.GetStream((byte?)0, (byte?)0);
            // The certificate is kept whatever the machine's trust store says, and verified below against the caBundle.
            using var tls = new SslStream(stream, false, (_, certificate, _, sslErrors) =>
            {
                served = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                errors = sslErrors;
                return sslErrors == SslPolicyErrors.None;
            });
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = host }, cancel.Token);
        }
        catch (Exception ex) when (ex is IOException or System.Net.WebSockets.WebSocketException or OperationCanceledException or System.Security.Authentication.AuthenticationException or k8s.Autorest.HttpOperationException or HttpRequestException)
        {
            if (served is null)
            {
                report.Fail($"{what}: no TLS handshake with pod {ns}/{pod.Metadata.Name} port {port} through a port-forward ({ex.Message})", $"check the pod serves HTTPS on that port: kubectl -n {ns} logs {pod.Metadata.Name}; kubectl -n {ns} port-forward pod/{pod.Metadata.Name} {port}");
                return;
            }
        }
        if (served is null)
        {
            report.Fail($"{what}: pod {ns}/{pod.Metadata.Name} presented no certificate", $"check the webhook's --tls-cert-file: kubectl -n {ns} logs {pod.Metadata.Name}");
            return;
        }

        // Verify as the API server does: chain to the caBundle only, name {service}.{namespace}.svc.
        using (var chain = new X509Chain())
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid;
            if (!chain.Build(served)) chainStatus = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
        }
        var nameOk = (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0 && served.MatchesHostname(host);
        if (chainStatus != X509ChainStatusFlags.NoError)
            report.Fail($"{what}: pod {ns}/{pod.Metadata.Name} presents \"{served.Subject}\" issued by \"{served.Issuer}\", which the caBundle does not verify ({chainStatus}); the API server fails every pod creation with \"x509: certificate signed by unknown authority\"",
                $"put the CA of the serving certificate into the caBundle (with the chart: helm upgrade reuses it; with your own secret: base64 of its ca.crt), or restart the pods if the secret was renewed: kubectl -n {ns} rollout restart deployment");
        else if (!nameOk)
            report.Fail($"{what}: the certificate of pod {ns}/{pod.Metadata.Name} is not valid for {host}", $"issue the serving certificate with the DNS names {serviceName}, {serviceName}.{ns} and {host} (certs/gen-certs.sh does)");
        else
            report.Pass($"the caBundle verifies the certificate pod {ns}/{pod.Metadata.Name} serves for {host}");

        var left = served.NotAfter.ToUniversalTime() - DateTime.UtcNow;
        if (left <= TimeSpan.Zero)
            report.Fail($"the serving certificate expired on {served.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm} UTC", "renew it: with the chart, helm upgrade (generated certificates) or let cert-manager renew it; the webhook reloads the files without a restart");
        else if (left < TimeSpan.FromDays(warningDays))
            report.Fail($"the serving certificate expires in {Math.Floor(left.TotalDays)} days ({served.NotAfter.ToUniversalTime():yyyy-MM-dd} UTC)", "renew it before then: helm upgrade (generated certificates), or cert-manager's renewBefore");
        else
            report.Pass($"the serving certificate is valid until {served.NotAfter.ToUniversalTime():yyyy-MM-dd} UTC ({Math.Floor(left.TotalDays)} days)");
    }


    private static async Task<int> TargetPort(ClusterConnection cluster, string ns, string serviceName, int servicePort, V1Pod pod)
    {
        var service = await cluster.CallAsync($"read service {ns}/{serviceName}", (c, t) => c.CoreV1.ReadNamespacedServiceAsync(serviceName, ns, cancellationToken: t));
        var port = service.Spec?.Ports?.FirstOrDefault(p => p.Port == servicePort) ?? throw new ClusterException($"Service {ns}/{serviceName} has no port {servicePort}");
        var target = port.TargetPort?.Value ?? servicePort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (int.TryParse(target, out var number)) return number;
        // A named target port: the container port of that name.
        return pod.Spec.Containers.SelectMany(c => c.Ports ?? []).FirstOrDefault(p => p.Name == target)?.ContainerPort
            ?? throw new ClusterException($"pod {pod.Metadata.Name} has no container port named {target}");
    }

    // selector: the configuration's namespace selector as read from the cluster (null: the one appmesh-inject installs).
    private static async Task CheckNamespacesAndPods(ClusterConnection cluster, Report report, string injectorNamespace, JsonObject? selector)
    {
        V1NamespaceList namespaces;
        try
        {
            namespaces = await cluster.CallAsync("list namespaces", (c, t) => c.CoreV1.ListNamespaceAsync(cancellationToken: t));
        }
        catch (ClusterException ex)
        {
            report.Fail($"namespaces can be listed: {ex.Message}", "give the kubeconfig's user list on namespaces");
            return;
        }
        var selected = namespaces.Items
            .Where(n => WebhookSelection.Evaluate(n.Metadata.Name, new Dictionary<string, string>(n.Metadata.Labels ?? new Dictionary<string, string>()), injectorNamespace, selector).Outcome == SelectionOutcome.Selected)
            .ToList();
        if (selected.Count == 0)
        {
            report.Fail($"a namespace is labelled {WebhookSelection.Label}=enabled (or disabled), so that the webhook sees its pods", $"label the namespaces to mesh: kubectl label namespace NAMESPACE {WebhookSelection.Label}=enabled");
            return;
        }
        // A namespace selector of the cluster's own may select namespaces without the label.
        static string LabelOf(V1Namespace n) => n.Metadata.Labels?.TryGetValue(WebhookSelection.Label, out var value) == true ? value : $"no {WebhookSelection.Label} label";
        report.Pass($"{selected.Count} namespace{(selected.Count == 1 ? " is" : "s are")} labelled for injection: {string.Join(", ", selected.Select(n => $"{n.Metadata.Name} ({LabelOf(n)})"))}");

        // The engine's context for each pod, from its namespace's labels and annotations as the webhook reads them.
        var options = new ManifestOptions { Namespaces = selected.ToDictionary(n => n.Metadata.Name, NamespaceSources.InfoOf, StringComparer.Ordinal) };
        var missing = new List<(string Pod, string Why)>();
        foreach (var ns in selected)
        {
            var name = ns.Metadata.Name;
            V1PodList pods;
            Corev1EventList events;
            try
            {
                pods = await cluster.CallAsync<V1PodList>($"list pods in {name}", (c, t) => c.CoreV1.ListNamespacedPodAsync(name, cancellationToken: t));
                events = await cluster.CallAsync<Corev1EventList>($"list events in {name}", (c, t) => c.CoreV1.ListNamespacedEventAsync(name, cancellationToken: t));
            }
            catch (ClusterException ex)
            {
                report.Fail($"pods and events of namespace {name} can be listed: {ex.Message}", "give the kubeconfig's user list on pods and events");
                continue;
            }
            foreach (var pod in pods.Items)
            {
                if (pod.Status?.Phase is "Succeeded" or "Failed") continue;
                var podJson = JsonNode.Parse(KubernetesJson.Serialize(pod))!.AsObject();
                // Pods the engine skips: injected already, opted out (by the pod, its namespace's label or
                // annotation), on the host network.
                using (var parsed = JsonElements.Parse(podJson))
                {
                    if (!SelectionGate.TrySelect(parsed.RootElement, options.ContextFor(name), InjectDefault, out _, out var refusal) && refusal.Outcome == InjectionOutcome.Skipped) continue;
                }
                // Pods the webhook never sees (the object selector's opt-out label, the injector's own pods).
                if (WebhookSelection.PodNotSent(podJson) is not null) continue;
                missing.Add(($"{name}/{pod.Metadata.Name}", Why(pod, events)));
            }
        }
        if (missing.Count == 0)
        {
            report.Pass("every running pod of the labelled namespaces has its sidecar");
            return;
        }
        report.Fail($"{missing.Count} running pod{(missing.Count == 1 ? "" : "s")} of labelled namespaces without a sidecar: " + string.Join("; ", missing.Select(m => $"{m.Pod} ({m.Why})")),
            "fix the reason shown, then re-create the pods: kubectl -n NAMESPACE rollout restart deployment/NAME (pods are injected only when created)");
    }

    /// <summary>Why a pod has no sidecar, from the injector's Events on it or its owner; else the likely cause.</summary>
    private static string Why(V1Pod pod, Corev1EventList events)
    {
        var names = new HashSet<string>(StringComparer.Ordinal) { pod.Metadata.Name };
        foreach (var owner in pod.Metadata.OwnerReferences ?? new List<V1OwnerReference>())
        {
            names.Add(owner.Name);
            // A ReplicaSet named <deployment>-<hash>: the injector records its Events on the Deployment.
            var dash = owner.Name.LastIndexOf('-');
            if (owner.Kind == "ReplicaSet" && dash > 0) names.Add(owner.Name[..dash]);
        }
        var latest = events.Items
            .Where(e => e.Reason is "InjectionSkipped" or "InjectionFailed" && names.Contains(e.InvolvedObject?.Name ?? ""))
            .OrderByDescending(e => e.LastTimestamp ?? e.EventTime ?? e.Metadata.CreationTimestamp)
            .FirstOrDefault();
        return latest is null
            ? "no injector Event: it was probably created before the injector ran, or while it was down with failurePolicy Ignore"
            : $"{latest.Reason}: {latest.Message}";
    }
}
