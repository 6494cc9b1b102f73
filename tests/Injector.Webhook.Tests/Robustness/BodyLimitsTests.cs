using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Injector.Core.Admission;
using Injector.Webhook.Observability;
using Microsoft.Extensions.DependencyInjection;

namespace Injector.Webhook.Tests.Robustness;

/// <summary>Issue 13 B.1–B.3 over real sockets: bodies that stall are cut at the review's deadline,
/// reviews that do not fit the memory budget wait and are then refused with an answer the API server
/// shows, and half a surrogate pair is a 400 with a message wherever it is.</summary>
public class BodyLimitsTests
{
    private static readonly string Review = Reviews.For(Reviews.SimplePod(), uid: "slow-1").ToJsonString();

    [Fact]
    public async Task A_body_that_stalls_over_http1_gets_408_at_the_deadline_and_its_connection_is_closed()
    {
        await using var webhook = await LoopbackWebhook.StartAsync();
        var (tcp, tls) = await webhook.ConnectTlsAsync();
        using var _ = tcp;
        await using var __ = tls;
        var clock = Stopwatch.StartNew();
        // Headers announce the whole review; half of it is sent, then nothing.
        await tls.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /mutate?timeout=1s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {Review.Length}\r\n\r\n{Review[..(Review.Length / 2)]}"));
        await tls.FlushAsync();

        var answer = await ReadUntilAsync(tls, "\n\r\n0\r\n", "deadline (0.8 s of timeout=1s)\n", TimeSpan.FromSeconds(10));
        var answered = clock.Elapsed;
        var rest = await ReadToEndAsync(tls, TimeSpan.FromSeconds(20));
        var closed = clock.Elapsed;

        // At 80% of the 1 s timeout; then the connection is closed and carries no second request. Kestrel waits at
        // most 5 s for the rest of the body first, so that the client reads the answer, and notices the end of that
        // wait on its once-a-second heartbeat: 5-6 s after the answer, measured up to 6.9 s in a loaded CI run. A
        // connection held longer (before issue 13 B.2: hours) fails here, or in the read's own 20 s limit.
        Assert.InRange(answered, TimeSpan.FromSeconds(0.7), TimeSpan.FromSeconds(3));
        Assert.InRange(closed - answered, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        Assert.StartsWith("HTTP/1.1 408 Request Timeout\r\n", answer);
        Assert.Contains("\r\nConnection: close\r\n", answer);
        Assert.EndsWith("\r\n\r\nthe body did not arrive within the review's deadline (0.8 s of timeout=1s)\n", answer);
        Assert.Equal("", rest);
    }

    [Fact]
    public async Task A_body_that_stalls_over_http2_gets_408_at_the_deadline()
    {
        await using var webhook = await LoopbackWebhook.StartAsync();
        using var client = webhook.CreateClient(http2: true);
        using var stall = new CancellationTokenSource();
        var content = new StalledContent(Encoding.UTF8.GetBytes(Review[..(Review.Length / 2)]), Review.Length, stall.Token);
        var clock = Stopwatch.StartNew();

        using var response = await client.PostAsync(new Uri(webhook.MutateUri + "?timeout=1s"), content);
        await stall.CancelAsync();

        Assert.Equal(new Version(2, 0), response.Version);
        Assert.Equal(HttpStatusCode.RequestTimeout, response.StatusCode);
        Assert.Equal("the body did not arrive within the review's deadline (0.8 s of timeout=1s)\n", await response.Content.ReadAsStringAsync());
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.7), TimeSpan.FromSeconds(5));
        // The connection still serves other reviews.
        using var next = await client.PostAsync(webhook.MutateUri, new StringContent(Review, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Theory]
    [InlineData("?dryRun=false&timeout=1s")]
    [InlineData("?timeout=%31s")]
    public async Task The_timeout_is_read_from_any_query_that_names_it(string query)
    {
        // The usual "?timeout=1s" is read without the query's dictionary; every other spelling through it.
        await using var webhook = await LoopbackWebhook.StartAsync();
        using var client = webhook.CreateClient(http2: true);
        using var stall = new CancellationTokenSource();
        var content = new StalledContent(Encoding.UTF8.GetBytes(Review[..(Review.Length / 2)]), Review.Length, stall.Token);

        using var response = await client.PostAsync(new Uri(webhook.MutateUri + query), content);
        await stall.CancelAsync();

        Assert.Equal(HttpStatusCode.RequestTimeout, response.StatusCode);
        Assert.Equal("the body did not arrive within the review's deadline (0.8 s of timeout=1s)\n", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("Fail")]
    [InlineData("Ignore")]
    public async Task A_review_that_does_not_fit_the_memory_budget_waits_then_gets_the_failure_policys_answer_with_its_uid(string policy)
    {
        // Room for one small body arriving: the first holds it by stalling, the second waits behind it.
        var budget = new ReviewBudget(ReviewMemory.ArrivalCharge(Review.Length));
        var memory = new ReviewMemory(budget, new ReviewBudget(64 * 1024 * 1024));
        var metrics = new InjectorMetrics();
        await using var webhook = await LoopbackWebhook.StartAsync(builder => builder.Services.AddSingleton(memory).AddSingleton(metrics), "--failure-policy", policy);
        var (tcp, tls) = await webhook.ConnectTlsAsync();
        using var _ = tcp;
        await using var __ = tls;
        await tls.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /mutate?timeout=3s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {Review.Length}\r\n\r\n{Review[..10]}"));
        await tls.FlushAsync();
        while (budget.InUse == 0) await Task.Delay(10);

        using var client = webhook.CreateClient();
        var clock = Stopwatch.StartNew();
        using var response = await client.PostAsync(new Uri(webhook.MutateUri + "?timeout=1s"),
            new StringContent(Reviews.For(Reviews.SimplePod(), uid: "waited").ToJsonString(), Encoding.UTF8, "application/json"));

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.7), TimeSpan.FromSeconds(2.5));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        const string busy = "appmesh-inject is busy: bodies arriving hold its whole memory budget for them (0 MiB) and this review waited 0.8 s of its 1 s timeout; retry";
        Assert.Equal(
            policy == "Fail"
                ? """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"waited","allowed":false,"status":{"code":429,"reason":"TooManyRequests","message":""" + $"\"{busy}\"" + "}}}"
                : """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"waited","allowed":true,"warnings":["""
                    + $"\"appmesh-inject did not decide this pod ({busy}); it was admitted without a sidecar because the webhook\\u0027s failure policy is Ignore\"" + "]}}",
            await response.Content.ReadAsStringAsync());
        // Counted once the endpoint has returned, which may be just after the client has its answer.
        await Waiting.Until(() => metrics.RefusedCount(429) == 1, "the refusal is counted");

        // Once the stalled review has been cut at its own deadline, the budget is free again.
        await ReadToEndAsync(tls, TimeSpan.FromSeconds(10));
        using var after = await client.PostAsync(webhook.MutateUri, new StringContent(Review, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        var released = Stopwatch.StartNew();
        while (budget.InUse != 0 && released.Elapsed < TimeSpan.FromSeconds(5)) await Task.Delay(10);
        Assert.Equal(0, budget.InUse);
    }

    [Theory]
    [InlineData("Fail")]
    [InlineData("Ignore")]
    public async Task A_large_body_of_more_tokens_than_the_budget_can_take_gets_the_failure_policys_answer_at_once_with_its_uid(string policy)
    {
        var memory = new ReviewMemory(new ReviewBudget(64 * 1024 * 1024), new ReviewBudget(8 * 1024 * 1024));
        var metrics = new InjectorMetrics();
        await using var webhook = await LoopbackWebhook.StartAsync(builder => builder.Services.AddSingleton(memory).AddSingleton(metrics), "--failure-policy", policy);
        using var client = webhook.CreateClient(http2: true);
        var dense = Reviews.Dense(uid: "dense");
        var tokens = AdmissionReview.CountTokens(Encoding.UTF8.GetBytes(dense));
        var clock = Stopwatch.StartNew();

        using var response = await client.PostAsync(webhook.MutateUri, new StringContent(dense, Encoding.UTF8, "application/json"));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
        var mib = ReviewMemory.ProcessingCharge(dense.Length, tokens) / (1024 * 1024);
        var refusal = $"this review has {tokens} JSON values in {dense.Length} bytes; reading them would take about {mib} MiB, more than the memory budget of appmesh-inject for reviews in flight (8 MiB). No pod the API server can store has that many.";
        Assert.Equal(
            policy == "Fail"
                ? """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"dense","allowed":false,"status":{"code":413,"reason":"RequestEntityTooLarge","message":""" + $"\"{refusal}\"" + "}}}"
                : """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"dense","allowed":true,"warnings":["""
                    + $"\"appmesh-inject did not decide this pod ({refusal}); it was admitted without a sidecar because the webhook\\u0027s failure policy is Ignore\"" + "]}}",
            await response.Content.ReadAsStringAsync());
        Assert.Equal(0, memory.Processing.InUse);
        // Counted as a review the webhook did not decide, whatever the policy made of it.
        await Waiting.Until(() => metrics.RefusedCount(413) == 1, "the refusal is counted");
    }

    [Fact]
    public async Task A_large_review_is_decided_on_its_own_thread_with_the_same_answer_as_a_small_one()
    {
        var threads = new ThreadsSeen();
        await using var webhook = await LoopbackWebhook.StartAsync(builder => builder.Services.AddSingleton<IDecisionObserver>(threads));
        using var client = webhook.CreateClient();
        var small = Reviews.For(Reviews.SimplePod(new JsonObject { ["note"] = "x" }), uid: "same");
        var large = Reviews.For(Reviews.SimplePod(new JsonObject { ["note"] = new string('x', ReviewMemory.SmallBodyBytes) }), uid: "same");

        using var smallAnswer = await client.PostAsync(webhook.MutateUri, LoopbackWebhook.Json(small));
        using var largeAnswer = await client.PostAsync(webhook.MutateUri, LoopbackWebhook.Json(large));

        var answer = await largeAnswer.Content.ReadAsStringAsync();
        Assert.Equal(await smallAnswer.Content.ReadAsStringAsync(), answer);
        Assert.Equal("application/json", largeAnswer.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(JsonNode.Parse(answer)!["response"]!["patch"]);
        Assert.Equal([".NET TP Worker", "appmesh-inject large review"], threads.Names);
    }

    /// <summary>The name of the thread each decision was made on.</summary>
    private sealed class ThreadsSeen : IDecisionObserver
    {
        public List<string?> Names { get; } = [];

        public void OnDecision(AdmissionRequest request, AdmissionDecision decision)
        {
            lock (Names) Names.Add(Thread.CurrentThread.Name);
        }
    }

    [Fact]
    public async Task A_review_just_under_the_body_cap_is_answered()
    {
        await using var webhook = await LoopbackWebhook.StartAsync();
        using var client = webhook.CreateClient(http2: true);
        var review = Reviews.For(Reviews.SimplePod(new JsonObject { ["padding"] = "" }), uid: "largest");
        var padding = AdmissionEndpoints.MaxBodyBytes - Encoding.UTF8.GetByteCount(review.ToJsonString());
        review["request"]!["object"]!["metadata"]!["annotations"]!["padding"] = new string('x', padding);
        var body = review.ToJsonString();
        Assert.Equal(AdmissionEndpoints.MaxBodyBytes, Encoding.UTF8.GetByteCount(body));

        using var response = await client.PostAsync(webhook.MutateUri, new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("largest", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["response"]!["uid"]);
    }

    // Half a surrogate pair as a \u escape: in a property name or a string of the envelope, of the pod, and
    // in the order the parser meets them. Found by the fuzzing of issue 13: an HTTP 500 or an admission
    // without a sidecar.
    [Theory]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","\ud800":1}}""", 83)]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"\ud800"}}""", 79)]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1\udfff","kind":"AdmissionReview","request":{"uid":"u"}}""", 34)]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","object":{"metadata":{"annotations":{"a":"x\ud83d"}}}}}""", 125)]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","object":{"metadata":{"labels":{"\uDC00\uD800":"x"}}}}}""", 115)]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","object":{"spec":{"containers":[{"name":"a\ud800\u0041"}]}}}}""", 124)]
    public async Task Half_a_surrogate_pair_anywhere_is_a_400_that_says_where(string body, int at)
    {
        await using var webhook = await InMemoryWebhook.StartAsync("--mesh-name", "demo", "--region", "us-west-2");

        using var response = await webhook.PostAsync("/mutate", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal($"the body is not valid JSON: the escape {body.Substring(at, 6)} at byte {at} is half of a UTF-16 surrogate pair\n",
            await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("""x\ud83d\ude00""")]   // a whole pair
    [InlineData("""x\\ud800""")]        // an escaped backslash, then the letters ud800
    [InlineData("""\\\ud83d\ude00""")]  // an escaped backslash, then a whole pair
    [InlineData("""\u00e9\u0041""")]    // escapes outside the surrogate range
    public async Task Escapes_that_are_text_are_accepted(string annotation)
    {
        await using var webhook = await InMemoryWebhook.StartAsync("--mesh-name", "demo", "--region", "us-west-2");
        var body = Reviews.For(Reviews.SimplePod(new JsonObject { ["note"] = "PLACEHOLDER" }), uid: "text").ToJsonString()
            .Replace("PLACEHOLDER", annotation, StringComparison.Ordinal);

        var answer = await webhook.ReviewAsync(JsonNode.Parse(body)!.AsObject());

        Assert.Equal("text", (string?)answer["response"]!["uid"]);
        Assert.NotNull(Reviews.PatchJson(answer));
    }

    /// <summary>Reads until the text received ends with <paramref name="end"/> (or the alternative ending).</summary>
    private static async Task<string> ReadUntilAsync(Stream stream, string end, string otherEnd, TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        var received = new StringBuilder();
        var buffer = new byte[1];
        while (!received.ToString().EndsWith(end, StringComparison.Ordinal) && !received.ToString().EndsWith(otherEnd, StringComparison.Ordinal)
            && await stream.ReadAsync(buffer, timeout.Token) > 0)
            received.Append((char)buffer[0]);
        return received.ToString();
    }

    private static async Task<string> ReadToEndAsync(Stream stream, TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, timeout.Token)) > 0) received.Write(buffer, 0, n);
        }
        catch (IOException)
        {
            // A reset after the answer is as good as a close.
        }
        return Encoding.UTF8.GetString(received.ToArray());
    }

    /// <summary>A body that announces its length, sends a part, then waits (until cancelled).</summary>
    private sealed class StalledContent : HttpContent
    {
        private readonly byte[] _part;
        private readonly int _announced;
        private readonly CancellationToken _stall;

        public StalledContent(byte[] part, int announced, CancellationToken stall)
        {
            (_part, _announced, _stall) = (part, announced, stall);
            Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(_part, _stall);
            await stream.FlushAsync(_stall);
            try
            {
                await Task.Delay(Timeout.Infinite, _stall);
            }
            catch (OperationCanceledException)
            {
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _announced;
            return true;
        }
    }
}
