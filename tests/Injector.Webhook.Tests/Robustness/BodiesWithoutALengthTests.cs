using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Injector.Webhook.Tests.Robustness;

/// <summary>Bodies sent without a Content-Length (HTTP/1.1 chunked, HTTP/2 without the header) are held to the same
/// limit as declared ones, byte for byte. An HTTP/2 body over the limit without a Content-Length (Kestrel stops it while the endpoint reads): the
/// answer is the webhook's own 413, as for a declared length, and nothing is logged per request beyond the
/// webhook's rate-limited refusal line — before, each one got Kestrel's text and a Kestrel warning about the
/// Connection header, which HTTP/2 does not allow.</summary>
public sealed class BodiesWithoutALengthTests
{
    private sealed class Warnings : ILoggerProvider
    {
        public ConcurrentQueue<string> Lines { get; } = new();
        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
        public void Dispose() { }

        private sealed class Logger(Warnings owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel)) owner.Lines.Enqueue($"{category}: {formatter(state, exception)}");
            }
        }
    }

    private sealed class Unsized(byte[] body) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(body).AsTask();
        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    [Fact]
    public async Task An_http2_body_over_the_limit_without_a_length_gets_the_webhooks_413_and_no_warning_per_request()
    {
        var warnings = new Warnings();
        await using var webhook = await LoopbackWebhook.StartAsync(builder => builder.Logging.AddProvider(warnings));
        using var client = webhook.CreateClient(http2: true);
        var body = Encoding.UTF8.GetBytes(Reviews.For(Reviews.SimplePod(new() { ["padding"] = new string('x', AdmissionEndpoints.MaxBodyBytes) })).ToJsonString());

        for (var i = 0; i < 3; i++)
        {
            // Content whose length is not known: HTTP/2 sends no content-length header.
            var content = new Unsized(body);
            content.Headers.ContentType = new("application/json");
            using var response = await client.PostAsync(webhook.MutateUri, content);

            Assert.Equal(HttpVersion.Version20, response.Version);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Equal($"body is over the {AdmissionEndpoints.MaxBodyBytes}-byte limit\n", await response.Content.ReadAsStringAsync());
        }

        Assert.DoesNotContain(warnings.Lines, l => l.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        // The webhook's own refusal line: once per code per 10 s.
        Assert.Single(warnings.Lines, l => l.Contains("refused with 413", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_body_of_exactly_the_limit_without_a_length_is_read_over_either_protocol(bool http2)
    {
        await using var webhook = await LoopbackWebhook.StartAsync();
        using var client = webhook.CreateClient(http2: http2);
        var review = Reviews.For(Reviews.SimplePod(), uid: "at-the-limit").ToJsonString();
        // Whitespace after the review fills the body to exactly the limit: still valid JSON.
        var body = Encoding.UTF8.GetBytes(review + new string(' ', AdmissionEndpoints.MaxBodyBytes - Encoding.UTF8.GetByteCount(review)));
        Assert.Equal(AdmissionEndpoints.MaxBodyBytes, body.Length);

        // HTTP/1.1: chunked, as a client that does not know the length sends it.
        var content = new Unsized(body);
        content.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, webhook.MutateUri) { Content = content };
        if (!http2) request.Headers.TransferEncodingChunked = true;
        using var response = await client.SendAsync(request);

        var answer = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, answer);
        Assert.Contains("\"uid\":\"at-the-limit\"", answer, StringComparison.Ordinal);
    }
}

