using System.Text;
using System.Text.Json.Nodes;
using Injector.Webhook.Observability;
using k8s;
using k8s.Models;

namespace Injector.Webhook.Kubernetes;

/// <summary>With <c>--webhook-config-name</c>, keeps every webhook's <c>clientConfig.caBundle</c> in that
/// MutatingWebhookConfiguration equal to the CA of the serving certificate: at start-up, after each
/// certificate reload, and again after a failure (with backoff). The patch tests the resourceVersion it
/// read, so a concurrent edit is never overwritten blindly.</summary>
public sealed class CaBundleSync(KubernetesApi api, CertificateStore certificates, WebhookOptions options, ILogger<CaBundleSync> logger) : BackgroundService
{
    private readonly SemaphoreSlim _signal = new(0);

    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromMinutes(1);
    /// <summary>Checked again now and then, in case someone (a Helm upgrade) reset the field.</summary>
    public TimeSpan Recheck { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How many times the configuration was patched.</summary>
    public int Patches { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.WebhookConfigName is not { } name) return;
        certificates.Changed += _ => { if (_signal.CurrentCount == 0) _signal.Release(); };
        // A certificate reload (the signal above) ends a wait early.
        await RetryLoop.RunAsync(
            attempt: async ct => { await SyncOnceAsync(name, ct); return Recheck; },
            retryable: ex => ex is KubernetesApiException,
            onFailure: (ex, backoff) => WebhookLog.CaBundleNotUpdated(logger, name, ex.Message, backoff),
            new Backoff(MinBackoff, MaxBackoff),
            wait: (wait, ct) => _signal.WaitAsync(wait, ct),
            stoppingToken);
    }

    /// <summary>Reads the configuration and patches the webhooks whose caBundle differs; true when it patched.</summary>
    public async Task<bool> SyncOnceAsync(string name, CancellationToken cancellationToken)
    {
        if (certificates.CaBundlePem is not { } caPem) return false;
        var wanted = Encoding.ASCII.GetBytes(caPem);
        var config = await api.CallAsync("get-webhook-config", (c, ct) => c.AdmissionregistrationV1.ReadMutatingWebhookConfigurationAsync(name, cancellationToken: ct), cancellationToken);
        var operations = new JsonArray { new JsonObject { ["op"] = "test", ["path"] = "/metadata/resourceVersion", ["value"] = config.Metadata.ResourceVersion } };
        var webhooks = config.Webhooks ?? [];
        for (var i = 0; i < webhooks.Count; i++)
        {
            if (webhooks[i].ClientConfig?.CaBundle is { } current && current.AsSpan().SequenceEqual(wanted)) continue;
            operations.Add(new JsonObject { ["op"] = "add", ["path"] = $"/webhooks/{i}/clientConfig/caBundle", ["value"] = Convert.ToBase64String(wanted) });
        }
        if (operations.Count == 1) return false;
        await api.CallAsync("patch-webhook-config",
            (c, ct) => c.AdmissionregistrationV1.PatchMutatingWebhookConfigurationAsync(new V1Patch(operations.ToJsonString(), V1Patch.PatchType.JsonPatch), name, cancellationToken: ct),
            cancellationToken);
        Patches++;
        WebhookLog.CaBundleUpdated(logger, name, operations.Count - 1);
        return true;
    }
}
