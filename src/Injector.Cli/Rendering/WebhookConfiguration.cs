using System.Text;
using System.Text.Json.Nodes;
using Injector.Cli.Selection;
using Injector.Core;

namespace Injector.Cli.Rendering;

/// <summary>What the MutatingWebhookConfiguration points at and how the API server treats failures.</summary>
public sealed record WebhookConfigurationOptions
{
    public string Name { get; init; } = "appmesh-inject";
    public string ServiceName { get; init; } = "appmesh-inject";
    public string ServiceNamespace { get; init; } = "appmesh-system";
    public string Path { get; init; } = "/mutate";
    public int Port { get; init; } = 443;
    /// <summary>PEM of the CA that signed the serving certificate; null leaves <c>caBundle</c> out (for cert-manager's CA injector).</summary>
    public string? CaPem { get; init; }
    /// <summary><c>Fail</c> (pods wait for the injector) or <c>Ignore</c> (pods start without a sidecar when it is down).</summary>
    public string FailurePolicy { get; init; } = "Fail";
    public int TimeoutSeconds { get; init; } = 10;
    /// <summary>Whether to render <c>matchConditions</c> (CEL; GA in Kubernetes 1.30, beta and on by default in
    /// 1.28 and 1.29): false for older API servers, which reject or drop the field.</summary>
    public bool MatchConditions { get; init; } = true;
}

/// <summary>Renders the MutatingWebhookConfiguration for installs without Helm. The chart renders the same
/// webhook (a test compares the two), so what reaches the API server does not depend on how it was installed.
/// See <see href="https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#configure-admission-webhooks-on-the-fly">configuring admission webhooks</see>.</summary>
public static class WebhookConfiguration
{
    /// <summary>The webhook's name, as the API server reports it in "failed calling webhook" errors: the Service it calls.</summary>
    public static string WebhookName(string serviceName, string serviceNamespace) => $"{serviceName}.{serviceNamespace}.svc";

    /// <summary>Every problem with the options, in words a user can act on.</summary>
    public static IReadOnlyList<string> Validate(WebhookConfigurationOptions o)
    {
        var errors = new List<string>();
        if (!Formats.IsDnsSubdomain(o.Name)) errors.Add($"--name: '{o.Name}' is not a valid object name (a DNS subdomain)");
        if (!Formats.IsDnsLabel(o.ServiceName)) errors.Add($"--service-name: '{o.ServiceName}' is not a valid Service name (a DNS label)");
        if (!Formats.IsDnsLabel(o.ServiceNamespace)) errors.Add($"--service-namespace: '{o.ServiceNamespace}' is not a valid namespace name (a DNS label)");
        if (!o.Path.StartsWith('/')) errors.Add($"--path: '{o.Path}' must start with '/'");
        if (o.Port is < 1 or > 65535) errors.Add($"--service-port: {o.Port} is not a port from 1 to 65535");
        if (o.FailurePolicy is not ("Fail" or "Ignore")) errors.Add($"--failure-policy: '{o.FailurePolicy}' is not Fail or Ignore");
        if (o.TimeoutSeconds is < 1 or > 30) errors.Add($"--timeout-seconds: {o.TimeoutSeconds} must be from 1 to 30 (the API server's limit)");
        if (o.CaPem is not null && !o.CaPem.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
            errors.Add("--ca-file: the file holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        return errors;
    }

    /// <summary>The MutatingWebhookConfiguration as a JSON object (write it with <c>YamlJson.Write</c>).</summary>
    /// <exception cref="ArgumentException">The options are invalid (see <see cref="Validate"/>).</exception>
    public static JsonObject Render(WebhookConfigurationOptions o)
    {
        var errors = Validate(o);
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors), nameof(o));

        var clientConfig = new JsonObject
        {
            ["service"] = new JsonObject
            {
                ["name"] = o.ServiceName,
                ["namespace"] = o.ServiceNamespace,
                ["path"] = o.Path,
                ["port"] = o.Port,
            },
        };
        if (o.CaPem is not null) clientConfig["caBundle"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(o.CaPem.Trim() + "\n"));

        var webhook = new JsonObject
        {
            ["name"] = WebhookName(o.ServiceName, o.ServiceNamespace),
            ["admissionReviewVersions"] = new JsonArray("v1", "v1beta1"),
            ["clientConfig"] = clientConfig,
            ["rules"] = new JsonArray(new JsonObject
            {
                ["apiGroups"] = new JsonArray(""),
                ["apiVersions"] = new JsonArray("v1"),
                ["operations"] = new JsonArray("CREATE"),
                ["resources"] = new JsonArray("pods"),
                ["scope"] = "Namespaced",
            }),
            ["namespaceSelector"] = WebhookSelection.NamespaceSelector(o.ServiceNamespace),
            ["objectSelector"] = WebhookSelection.ObjectSelector(),
            ["failurePolicy"] = o.FailurePolicy,
            ["matchPolicy"] = "Equivalent",
            // Events are written about admissions, except for dry runs.
            ["sideEffects"] = "NoneOnDryRun",
            ["timeoutSeconds"] = o.TimeoutSeconds,
            ["reinvocationPolicy"] = "IfNeeded",
        };
        if (o.MatchConditions) webhook["matchConditions"] = WebhookSelection.MatchConditionsJson();

        return new JsonObject
        {
            ["apiVersion"] = "admissionregistration.k8s.io/v1",
            ["kind"] = "MutatingWebhookConfiguration",
            ["metadata"] = new JsonObject { ["name"] = o.Name },
            ["webhooks"] = new JsonArray(webhook),
        };
    }
}
