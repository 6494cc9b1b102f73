using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Injector.Webhook.Tests.Operations;

/// <summary>Client problems on real sockets (issue 13, B.7): bodies that arrive too slowly and clients that go away
/// mid-body are answered (when someone is left to answer), counted, and logged a bounded number of times at
/// warning or information level without a stack trace — not one error line per request.</summary>
public sealed class ClientProblemTests
{
    private const string Category = "Injector.Webhook.Observability.RequestOutcomes";

    /// <summary>Kestrel's minimum body rate, made strict so that the test waits two seconds, not five.</summary>
    private static Task<LoggedWebhook> StartAsync() => LoggedWebhook.StartAsync(configure: b =>
        b.WebHost.ConfigureKestrel(k => k.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 100, gracePeriod: TimeSpan.FromSeconds(2))));

    private static async Task<SslStream> ConnectAsync(int port)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        var tls = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync("localhost");
        return tls;
    }

    private static byte[] Opening => Encoding.ASCII.GetBytes(
        "POST /mutate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"apiVersion\":");

    [Fact]
    public async Task Five_hundred_slow_bodies_get_a_408_each_are_counted_and_logged_a_bounded_number_of_times()
    {
        await using var webhook = await StartAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var clients = new List<SslStream>();
        try
        {
            for (var i = 0; i < 500; i++)
            {
                var tls = await ConnectAsync(webhook.Port);
                await tls.WriteAsync(Opening);
                await tls.FlushAsync();
                clients.Add(tls);
            }
            // Each one gets its answer, then the connection closes.
            var answers = await Task.WhenAll(clients.Select(async tls =>
            {
                using var reader = new StreamReader(tls, Encoding.ASCII);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                return await reader.ReadToEndAsync(timeout.Token);
            }));
            Assert.All(answers, a => Assert.StartsWith("HTTP/1.1 408 Request Timeout\r\n", a));
            Assert.All(answers, a => Assert.Contains("\r\nConnection: close\r\n", a));
        }
        finally
        {
            foreach (var tls in clients) await tls.DisposeAsync();
        }

        var scrape = await webhook.ScrapeAsync();
        Assert.Equal(500, scrape.Value("appmesh_inject_requests_refused_total", "code=408"));
        var lines = LogLines.Parse(string.Join('\n', await webhook.LinesOf(Category)));
        // One line per 10-second window, each counting the ones it left out; nothing else logged, no stack trace.
        Assert.InRange(lines.Count, 1, (int)(clock.Elapsed.TotalSeconds / 10) + 1);
        Assert.All(lines, l => Assert.Equal(("warning", "body-timeout"), ((string?)l["level"], (string?)l["problem"])));
        Assert.Equal("the review's body did not arrive in time (408)", (string?)lines[0]["detail"]);
        Assert.Matches(@"^request from 127\.0\.0\.1:[0-9]+ not answered \(body-timeout\): the review's body did not arrive in time \(408\)$", (string?)lines[0]["message"]);
        var all = webhook.Parsed();
        Assert.DoesNotContain(all, l => l.ContainsKey("exception"));
        Assert.DoesNotContain(all, l => (string?)l["level"] is "error" or "critical");
    }

    [Fact]
    public async Task Bodies_past_the_reviews_own_deadline_are_the_same_client_problem()
    {
        await using var webhook = await LoggedWebhook.StartAsync();
        var opening = Encoding.ASCII.GetBytes(
            "POST /mutate?timeout=1s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"apiVersion\":");

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            await using var tls = await ConnectAsync(webhook.Port);
            await tls.WriteAsync(opening);
            await tls.FlushAsync();
            // The status line; the server closes the connection after the answer (the rest of the body is unread).
            using var reader = new StreamReader(tls, Encoding.ASCII);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            return await reader.ReadLineAsync(timeout.Token);
        }));

        Assert.All(answers, a => Assert.Equal("HTTP/1.1 408 Request Timeout", a));
        Assert.Equal(20, (await webhook.ScrapeAsync()).Value("appmesh_inject_requests_refused_total", "code=408"));
        var line = LogLines.Parse(Assert.Single(await webhook.LinesOf(Category))).Single();
        Assert.Equal(("warning", "body-timeout"), ((string?)line["level"], (string?)line["problem"]));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Reviews_answered_over_either_protocol_are_not_counted_as_aborted(int major)
    {
        await using var webhook = await LoggedWebhook.StartAsync();
        using var client = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } })
        {
            DefaultRequestVersion = major == 2 ? HttpVersion.Version20 : HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        var review = Reviews.For(Reviews.SimplePod(), uid: "answered").ToJsonString();

        for (var i = 0; i < 3; i++)
        {
            using var answer = await client.PostAsync($"https://localhost:{webhook.Port}/mutate", new StringContent(review, Encoding.UTF8, "application/json"));
            Assert.Equal((HttpStatusCode.OK, new Version(major, major == 2 ? 0 : 1)), (answer.StatusCode, answer.Version));
            Assert.Contains("\"uid\":\"answered\"", await answer.Content.ReadAsStringAsync());
        }

        var scrape = await webhook.ScrapeAsync();
        Assert.Equal(3, scrape.Family("appmesh_inject_admission_requests").Samples.Sum(s => s.Value));
        Assert.Equal(0, scrape.Value("appmesh_inject_requests_aborted_total"));
        await webhook.LinesOf("Injector.Webhook.DecisionLog", count: 3);
        Assert.DoesNotContain(webhook.Lines(), l => l.Contains($"\"category\":\"{Category}\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Clients_that_go_away_mid_body_are_counted_as_aborted_and_logged_as_information()
    {
        await using var webhook = await LoggedWebhook.StartAsync();
        var arriving = webhook.Services.GetRequiredService<ReviewMemory>().Arrival;

        for (var i = 0; i < 50; i++)
        {
            await WaitUntilAsync(() => arriving.InUse == 0, "the previous review's body to be given up");
            var tcp = new TcpClient { LingerState = new LingerOption(true, 0) };
            await tcp.ConnectAsync(IPAddress.Loopback, webhook.Port);
            var tls = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
            await tls.AuthenticateAsClientAsync("localhost");
            await tls.WriteAsync(Opening);
            await tls.FlushAsync();
            // The request has reached the endpoint, which holds room for its body while it waits for the rest (a fixed
            // 20 ms here once let a loaded machine reset a connection before Kestrel had read the request).
            await WaitUntilAsync(() => arriving.InUse > 0, "the review to reach the endpoint");
            tcp.Close(); // a reset, with most of the body unsent
            await tls.DisposeAsync();
        }

        var scrape = await ScrapeUntilAbortedAsync(webhook, 50, TimeSpan.FromSeconds(15));
        Assert.Equal(50, scrape.Value("appmesh_inject_requests_aborted_total"));
        Assert.Equal(0, scrape.Family("appmesh_inject_requests_refused").Samples.Sum(s => s.Value));

        var line = LogLines.Parse(Assert.Single(await webhook.LinesOf(Category))).Single();
        Assert.Equal(("info", "aborted", "the client closed the connection before its review had arrived"), ((string?)line["level"], (string?)line["problem"], (string?)line["detail"]));
        Assert.DoesNotContain(webhook.Parsed(), l => l.ContainsKey("exception") || (string?)l["level"] is "error" or "critical");
    }

    [Fact]
    public async Task A_client_that_ends_its_side_mid_body_is_counted_as_aborted_without_an_error_line()
    {
        // A clean close mid-body (TLS close_notify, then FIN) rather than a reset: the body read ends in Kestrel's
        // "Unexpected end of request content"; the review is counted as aborted, logged once at information level, and
        // its connection closed without an answer.
        await using var webhook = await LoggedWebhook.StartAsync();
        var arriving = webhook.Services.GetRequiredService<ReviewMemory>().Arrival;
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, webhook.Port);
        await using var tls = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync("localhost");
        await tls.WriteAsync(Opening);
        await tls.FlushAsync();
        await WaitUntilAsync(() => arriving.InUse > 0, "the review to reach the endpoint");

        await tls.ShutdownAsync();
        tcp.Client.Shutdown(SocketShutdown.Send);

        var scrape = await ScrapeUntilAbortedAsync(webhook, 1, TimeSpan.FromSeconds(15));
        Assert.Equal(1, scrape.Value("appmesh_inject_requests_aborted_total"));
        Assert.Equal(0, await ReadOrResetAsync(tls)); // closed (or reset) without an answer
        var line = LogLines.Parse(Assert.Single(await webhook.LinesOf(Category))).Single();
        Assert.Equal(("info", "aborted", "the client closed the connection before its review had arrived", "connection closed"),
            ((string?)line["level"], (string?)line["problem"], (string?)line["detail"], (string?)line["error"]));
        Assert.DoesNotContain(webhook.Parsed(), l => l.ContainsKey("exception") || (string?)l["level"] is "error" or "critical");
    }

    [Fact]
    public async Task An_http2_client_that_cancels_mid_body_is_counted_as_aborted_long_before_the_deadline()
    {
        await using var webhook = await LoggedWebhook.StartAsync();
        using var client = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } })
        {
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        var review = Encoding.UTF8.GetBytes(Reviews.For(Reviews.SimplePod(), uid: "cancelled").ToJsonString());
        using var cancel = new CancellationTokenSource();

        // A 30 s timeout: its deadline (24 s) is not what ends the wait for the rest of the body.
        var half = new HalfBody(review);
        var sending = client.PostAsync($"https://localhost:{webhook.Port}/mutate?timeout=30s", half, cancel.Token);
        await half.Sent.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(100); // the review has started and waits for the rest of its body
        await cancel.CancelAsync(); // the client resets the stream
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending);

        // Counted within 10 s: the deadline (24 s) is not what ends it.
        var scrape = await ScrapeUntilAbortedAsync(webhook, 1, TimeSpan.FromSeconds(10));
        Assert.Equal(1, scrape.Value("appmesh_inject_requests_aborted_total"));
        Assert.Equal(0, scrape.Family("appmesh_inject_requests_refused").Samples.Sum(s => s.Value));
        Assert.Equal(0, scrape.Family("appmesh_inject_admission_requests").Samples.Sum(s => s.Value));
        // A client problem, not an error with a stack trace.
        Assert.DoesNotContain(webhook.Parsed(), l => l.ContainsKey("exception") || (string?)l["level"] is "error" or "critical");

        // The connection still serves other reviews.
        using var next = await client.PostAsync($"https://localhost:{webhook.Port}/mutate", new ByteArrayContent(review) { Headers = { ContentType = new("application/json") } });
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    /// <summary>The bytes one read gets, or 0 when the server reset the connection.</summary>
    private static async Task<int> ReadOrResetAsync(Stream stream)
    {
        try
        {
            return await stream.ReadAsync(new byte[1]);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, $"waited 10 s for {what}");
            await Task.Delay(5);
        }
    }

    /// <summary>Scrapes until <paramref name="count"/> requests are counted as aborted, or <paramref name="within"/> has passed.</summary>
    private static async Task<IReadOnlyList<PrometheusFamily>> ScrapeUntilAbortedAsync(LoggedWebhook webhook, int count, TimeSpan within)
    {
        var until = DateTime.UtcNow + within;
        IReadOnlyList<PrometheusFamily> scrape;
        do scrape = await webhook.ScrapeAsync();
        while (scrape.Value("appmesh_inject_requests_aborted_total") < count && DateTime.UtcNow < until);
        return scrape;
    }

    /// <summary>Sends the first half of a body that announces its whole length, then nothing until cancelled.</summary>
    private sealed class HalfBody : HttpContent
    {
        private readonly byte[] _body;
        private readonly TaskCompletionSource _sent = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes once the first half has been sent.</summary>
        public Task Sent => _sent.Task;

        public HalfBody(byte[] body)
        {
            _body = body;
            Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await stream.WriteAsync(_body.AsMemory(0, _body.Length / 2), cancellationToken);
            await stream.FlushAsync(cancellationToken);
            _sent.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _body.Length;
            return true;
        }
    }
    [Fact]
    public async Task Refused_requests_are_logged_with_the_reason_they_were_given_once_per_status_and_window()
    {
        await using var webhook = await LoggedWebhook.StartAsync();
        using var client = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } });
        var https = $"https://127.0.0.1:{webhook.Port}";

        (await client.GetAsync($"{https}/mutate")).Dispose();
        (await client.PostAsync($"{https}/mutate", new StringContent("{}", Encoding.UTF8, "text/plain"))).Dispose();
        using var unreadable = await client.PostAsync($"{https}/mutate", new StringContent("{", Encoding.UTF8, "application/json"));
        var toldUnreadable = (await unreadable.Content.ReadAsStringAsync()).TrimEnd('\n');
        (await client.PostAsync($"{https}/", new StringContent("[]", Encoding.UTF8, "application/json"))).Dispose();
        using var big = new ByteArrayContent(new byte[AdmissionEndpoints.MaxBodyBytes + 1]);
        big.Headers.ContentType = new("application/json");
        (await client.PostAsync($"{https}/mutate", big)).Dispose();
        using var longType = new StringContent("{}");
        longType.Headers.ContentType = new("text/" + new string('x', 400));
        (await client.PostAsync($"{https}/mutate", longType)).Dispose();

        // One line per status in the window: the second 400 and the second 415 are counted, not logged. Each says
        // what its client was told.
        await webhook.LinesOf(Category, 4);
        await Task.Delay(200);
        var lines = LogLines.Parse(string.Join('\n', await webhook.LinesOf(Category)));
        Assert.Equal(
            [
                (405, "method GET is not allowed; reviews are POSTed"),
                (415, "content type must be application/json, not \"text/plain; charset=utf-8\""),
                (400, toldUnreadable),
                (413, $"body of {AdmissionEndpoints.MaxBodyBytes + 1} bytes is over the {AdmissionEndpoints.MaxBodyBytes}-byte limit"),
            ],
            lines.Select(l => ((int)l["status"]!, (string)l["detail"]!)));
        Assert.StartsWith("the body is not valid JSON: ", toldUnreadable, StringComparison.Ordinal);
        Assert.All(lines, l => Assert.Equal(("warning", 0), ((string?)l["level"], (int)l["suppressed"]!)));
        Assert.Matches(@"^request from 127\.0\.0\.1:[0-9]+ refused with 405: method GET is not allowed; reviews are POSTed$", (string?)lines[0]["message"]);
        Assert.DoesNotContain(webhook.Parsed(), l => l.ContainsKey("exception"));
        var scrape = await webhook.ScrapeAsync();
        Assert.Equal(
            [("400", 2.0), ("405", 1.0), ("408", 0.0), ("413", 1.0), ("415", 2.0), ("429", 0.0)],
            scrape.Family("appmesh_inject_requests_refused").Samples.Select(s => (s.Label("code")!, s.Value)));
    }
    [Theory]
    [InlineData("Fail", "the pod is refused (failure policy Fail)")]
    [InlineData("Ignore", "the pod is admitted without a sidecar (failure policy Ignore)")]
    public async Task A_review_answered_without_a_decision_is_logged_as_not_decided_with_what_the_failure_policy_made_of_it(string policy, string outcome)
    {
        // A decision budget too small for the review's JSON values: refused with 413 at once.
        var memory = new ReviewMemory(new ReviewBudget(64 * 1024 * 1024), new ReviewBudget(1024 * 1024));
        await using var webhook = await LoggedWebhook.StartAsync(["--failure-policy", policy],
            configure: b => b.Services.AddSingleton(memory));
        using var client = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } });
        var dense = Reviews.Dense(uid: "dense");

        (await client.PostAsync($"https://127.0.0.1:{webhook.Port}/mutate", new StringContent(dense, Encoding.UTF8, "application/json"))).Dispose();

        var line = LogLines.Parse(string.Join('\n', await webhook.LinesOf(Category))).Single();
        Assert.Equal(("warning", 413, outcome), ((string?)line["level"], (int)line["status"]!, (string?)line["outcome"]));
        Assert.StartsWith("this review has ", (string?)line["detail"], StringComparison.Ordinal);
        Assert.EndsWith("No pod the API server can store has that many.", (string?)line["detail"], StringComparison.Ordinal);
        // Under Ignore the pod was admitted: the line never says it was refused.
        Assert.Matches($@"^review from 127\.0\.0\.1:[0-9]+ not decided \(413\); {System.Text.RegularExpressions.Regex.Escape(outcome)}: this review has [0-9]+ JSON values", (string?)line["message"]);
        Assert.DoesNotContain("refused with", (string?)line["message"], StringComparison.Ordinal);
        Assert.Equal(1, (await webhook.ScrapeAsync()).Value("appmesh_inject_requests_refused_total", "code=413"));
    }
}
