using Injector.Cli.Rendering;

namespace Injector.Cli.Tests.Rendering;

public sealed class WebhookConfigurationTests
{
    [Fact]
    public void Every_bad_option_is_reported_at_once()
    {
        var errors = WebhookConfiguration.Validate(new WebhookConfigurationOptions
        {
            ServiceName = "Bad_Name",
            Path = "mutate",
            Port = 0,
            FailurePolicy = "fail",
            TimeoutSeconds = 0,
            CaPem = "nope",
        });

        Assert.Equal(
        [
            "--service-name: 'Bad_Name' is not a valid Service name (a DNS label)",
            "--path: 'mutate' must start with '/'",
            "--service-port: 0 is not a port from 1 to 65535",
            "--failure-policy: 'fail' is not Fail or Ignore",
            "--timeout-seconds: 0 must be from 1 to 30 (the API server's limit)",
            "--ca-file: the file holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
        ], errors);
        Assert.Throws<ArgumentException>(() => WebhookConfiguration.Render(new WebhookConfigurationOptions { Path = "x" }));
    }

    [Fact]
    public void Without_a_ca_the_bundle_is_left_out_and_the_injector_namespace_is_excluded_once()
    {
        var rendered = WebhookConfiguration.Render(new WebhookConfigurationOptions { ServiceNamespace = "kube-system" });
        var webhook = rendered["webhooks"]![0]!;

        Assert.False(webhook["clientConfig"]!.AsObject().ContainsKey("caBundle"));
        Assert.Equal("[\"kube-system\",\"kube-public\",\"kube-node-lease\"]", webhook["namespaceSelector"]!["matchExpressions"]![1]!["values"]!.ToJsonString());
    }
}
