using System.Diagnostics;
using System.Net;
using System.Text;

namespace Injector.Webhook.Tests;

/// <summary>On SIGTERM the replica reports not ready at once but keeps answering for --shutdown-delay,
/// so that reviews still routed to it during endpoint propagation succeed.</summary>
public sealed class ShutdownDelayTests
{
    [Fact]
    public async Task During_the_shutdown_delay_readiness_is_false_and_reviews_are_still_answered()
    {
        await using var app = WebhookHost.Build(["--mesh-name", "demo", "--region", "us-west-2", "--port", "0", "--shutdown-delay", "5"], new Dictionary<string, string>());
        await app.StartAsync();
        var port = Listening.Port(app);
        using var client = new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.Zero,
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        })
        { BaseAddress = new Uri($"https://localhost:{port}") };
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
        var review = Reviews.For(Reviews.SimplePod(), uid: "late").ToJsonString();
        (await client.PostAsync("/mutate", new StringContent(review, Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();

        var clock = Stopwatch.StartNew();
        var stopping = Task.Run(() => app.StopAsync());
        HttpResponseMessage ready;
        do ready = await client.GetAsync("/readyz");
        while (ready.StatusCode == HttpStatusCode.OK && clock.Elapsed < TimeSpan.FromSeconds(4));

        using var answer = await client.PostAsync("/mutate", new StringContent(review, Encoding.UTF8, "application/json"));
        await stopping;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("shutting down\n", await ready.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Contains("\"uid\":\"late\"", await answer.Content.ReadAsStringAsync());
        // The delay's timer runs on the system tick (about 1-15 ms), so it may end a tick before this stopwatch's 5 s.
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(5) - TimeSpan.FromMilliseconds(50), $"stopped after {clock.Elapsed}, before the delay was over");
    }
}
