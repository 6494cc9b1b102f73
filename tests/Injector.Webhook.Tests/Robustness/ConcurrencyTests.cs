using System.Text;
using System.Text.Json.Nodes;

namespace Injector.Webhook.Tests.Robustness;

/// <summary>Many API-server connections at once: every answer belongs to its own request.</summary>
public class ConcurrencyTests
{
    [Fact]
    public async Task Sixty_four_clients_at_once_each_get_the_answer_to_their_own_review()
    {
        await using var webhook = await LoopbackWebhook.StartAsync();
        using var client = webhook.CreateClient(maxConnections: 64);

        const int Clients = 64, RequestsEach = 8;
        var failures = new List<string>();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            for (var r = 0; r < RequestsEach; r++)
            {
                // Each review differs in uid, pod name and API version, so a mixed-up answer cannot pass.
                var uid = $"00000000-0000-4000-8000-{c:D6}{r:D6}";
                var workload = $"app-{c}-{r}";
                var apiVersion = (c + r) % 2 == 0 ? "admission.k8s.io/v1" : "admission.k8s.io/v1beta1";
                var pod = Reviews.SimplePod();
                pod["metadata"]!["name"] = workload;
                using var response = await client.PostAsync(webhook.MutateUri, LoopbackWebhook.Json(Reviews.For(pod, uid, apiVersion: apiVersion)));
                var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                var patch = Encoding.UTF8.GetString(Convert.FromBase64String((string)body["response"]!["patch"]!));
                lock (failures)
                {
                    if ((int)response.StatusCode != 200) failures.Add($"{uid}: HTTP {(int)response.StatusCode}");
                    if ((string?)body["response"]!["uid"] != uid) failures.Add($"{uid}: answered with uid {body["response"]!["uid"]}");
                    if ((string?)body["apiVersion"] != apiVersion) failures.Add($"{uid}: answered in {body["apiVersion"]}");
                    if (!patch.Contains($"mesh/demo/virtualNode/{workload}-shop", StringComparison.Ordinal)) failures.Add($"{uid}: patch is not for {workload}");
                }
            }
        })));

        Assert.Empty(failures);
    }
}
