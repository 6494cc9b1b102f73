using System.Net.Http.Headers;

namespace Injector.Webhook.Tests.Robustness;

/// <summary>Issue 13 "must show": fuzzed reviews over real HTTPS, HTTP/1.1 and HTTP/2, bounded for CI (a few
/// thousand reviews in seconds); every answer meets <see cref="AnswerChecks"/>. Long campaigns with other
/// settings: bench/campaign.sh.</summary>
public class HttpFuzzTests
{
    private const int ReviewsPerProtocol = 1500;

    [Theory]
    [InlineData(false, 13_001)]
    [InlineData(true, 13_002)]
    public async Task Fuzzed_reviews_get_a_200_or_a_400_and_every_patch_gives_a_sound_pod(bool http2, int seed)
    {
        await using var webhook = await LoopbackWebhook.StartAsync();
        using var client = webhook.CreateClient(maxConnections: 8, http2: http2);
        var fuzzer = new ReviewFuzzer(seed);
        var problems = new List<string>();
        var statuses = new Dictionary<int, int>();

        // Eight at a time, as the API server multiplexes them.
        for (var batch = 0; batch < ReviewsPerProtocol / 8; batch++)
        {
            var cases = Enumerable.Range(0, 8).Select(_ => fuzzer.Next()).ToList();
            var answers = await Task.WhenAll(cases.Select(async c =>
            {
                var content = new ByteArrayContent(c.Body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await client.PostAsync(webhook.MutateUri, content);
                return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
            }));
            for (var i = 0; i < cases.Count; i++)
            {
                statuses[answers[i].Item1] = statuses.GetValueOrDefault(answers[i].Item1) + 1;
                foreach (var problem in AnswerChecks.Check(cases[i].Body, answers[i].Item1, answers[i].Item2))
                    problems.Add($"{problem}\n  for {System.Text.Encoding.UTF8.GetString(cases[i].Body)}");
            }
        }

        Console.WriteLine($"HTTP/{(http2 ? "2" : "1.1")}: {string.Join(", ", statuses.Select(s => $"{s.Value} x {s.Key}"))}");
        Assert.True(problems.Count == 0, $"{problems.Count} problems in {ReviewsPerProtocol} reviews, e.g.:\n" +
            string.Join("\n", problems.GroupBy(p => p[..Math.Min(p.Length, 30)]).Select(g => g.First())));
        // The generator reaches both kinds of answer.
        Assert.True(statuses.GetValueOrDefault(200) > ReviewsPerProtocol / 2 && statuses.GetValueOrDefault(400) > 50, string.Join(", ", statuses));
    }
}
