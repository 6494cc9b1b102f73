using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Injector.Webhook.Tests.Robustness;

/// <summary>Misbehaving clients on the HTTPS port (plain HTTP, a handshake cut short, slow-loris bodies)
/// are dropped or held without costing the other clients their answers.</summary>
public class TlsRobustnessTests
{
    private static async Task AssertServesAsync(LoopbackWebhook webhook, HttpClient client, int requests = 10)
    {
        for (var i = 0; i < requests; i++)
        {
            var uid = $"11111111-2222-4333-8444-{i:D12}";
            using var response = await client.PostAsync(webhook.MutateUri, LoopbackWebhook.Json(Reviews.For(Reviews.SimplePod(), uid)));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(uid, (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["response"]!["uid"]);
        }
    }

    [Fact]
    public async Task Plain_http_on_the_https_port_is_closed_and_other_clients_are_served()
    {
        await using var webhook = await LoopbackWebhook.StartAsync();
        using var client = webhook.CreateClient();

        using var plain = new TcpClient();
        await plain.ConnectAsync(IPAddress.Loopback, webhook.Port);
        var stream = plain.GetStream();
        var body = Reviews.For(Reviews.SimplePod()).ToJsonString();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST /mutate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}"));

        // The server refuses the non-TLS bytes: the connection ends, with no HTTP answer in clear text.
        var buffer = new byte[4096];
        var received = new MemoryStream();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, timeout.Token)) > 0) received.Write(buffer, 0, n);
        }
        catch (IOException)
        {
            // A reset is as good as a close.
        }
        Assert.False(Encoding.ASCII.GetString(received.ToArray()).StartsWith("HTTP/", StringComparison.Ordinal));

        await AssertServesAsync(webhook, client);
    }

    [Fact]
    public async Task Handshakes_cut_short_do_not_stop_the_server()
    {
        await using var webhook = await LoopbackWebhook.StartAsync();
        using var client = webhook.CreateClient();

        // The first bytes of a TLS ClientHello record, then a reset; a connect-and-close; random bytes.
        byte[][] openings = [[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03], [], [.. Enumerable.Range(0, 300).Select(i => (byte)(i * 37))]];
        for (var round = 0; round < 10; round++)
        {
            foreach (var opening in openings)
            {
                using var tcp = new TcpClient { LingerState = new LingerOption(true, 0) };
                await tcp.ConnectAsync(IPAddress.Loopback, webhook.Port);
                if (opening.Length > 0) await tcp.GetStream().WriteAsync(opening);
                tcp.Close();
            }
        }

        await AssertServesAsync(webhook, client);
    }

    [Fact]
    public async Task Slow_loris_clients_do_not_delay_the_others()
    {
        await using var webhook = await LoopbackWebhook.StartAsync();
        using var client = webhook.CreateClient();
        await AssertServesAsync(webhook, client, requests: 3); // warm: the timing below is about the loris, not the JIT

        // Thirty TLS connections that announce a review and send a few bytes of it, or half of the headers.
        var loris = new List<(TcpClient Tcp, System.Net.Security.SslStream Tls)>();
        try
        {
            for (var i = 0; i < 30; i++)
            {
                var connection = await webhook.ConnectTlsAsync();
                loris.Add(connection);
                var opening = i % 2 == 0
                    ? "POST /mutate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"apiVersion\":"
                    : "POST /mutate HTTP/1.1\r\nHost: local";
                await connection.Tls.WriteAsync(Encoding.ASCII.GetBytes(opening));
                await connection.Tls.FlushAsync();
            }

            var clock = Stopwatch.StartNew();
            await AssertServesAsync(webhook, client, requests: 20);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"20 reviews took {clock.Elapsed} beside 30 slow clients");

            // A loris with half its headers sent is still connected and unanswered (Kestrel's header
            // timeout is 30 s; the body-rate limit may already have closed the others, as it should).
            var pending = loris[1].Tls.ReadAsync(new byte[1]).AsTask();
            Assert.False(pending.IsCompleted);
        }
        finally
        {
            foreach (var (tcp, tls) in loris)
            {
                tls.Dispose();
                tcp.Dispose();
            }
        }
    }
}
