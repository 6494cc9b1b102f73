using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;

namespace Injector.Webhook.Tests;

/// <summary>An HTTP/2 connection the webhook closes (here: during --shutdown-delay, after its answer) keeps
/// reading what its client still sends until the client closes, or for <see cref="LingeringClose.Linger"/>:
/// closing a socket with unread bytes in it resets the connection (GoClientTests shows what that cost). An
/// HTTP/1.1 connection closes at once. The HTTP/2 client here writes its frames by hand, so that it can go on
/// sending after the server's final GOAWAY, as a client that has not read it yet does.</summary>
public sealed class LingeringCloseTests : IAsyncLifetime
{
    private readonly WebApplication _app = WebhookHost.Build(["--mesh-name", "demo", "--region", "us-west-2", "--port", "0", "--shutdown-delay", "3"], new Dictionary<string, string>());
    private Task? _stopping;

    public Task InitializeAsync() => _app.StartAsync();

    public async Task DisposeAsync()
    {
        await (_stopping ?? _app.StopAsync());
        await _app.DisposeAsync();
    }

    private const byte Data = 0, Headers = 1, Settings = 4, Ping = 6, GoAway = 7;

    private static byte[] Frame(byte type, byte flags, int stream, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), stream);
        payload.CopyTo(frame.AsSpan(9));
        return frame;
    }

    /// <summary>A GET as HPACK literals without indexing (names and values under 127 bytes).</summary>
    private static byte[] Get(string path)
    {
        var block = new List<byte>();
        foreach (var (name, value) in new[] { (":method", "GET"), (":scheme", "https"), (":path", path), (":authority", "localhost") })
        {
            block.Add(0);
            block.Add((byte)name.Length);
            block.AddRange(Encoding.ASCII.GetBytes(name));
            block.Add((byte)value.Length);
            block.AddRange(Encoding.ASCII.GetBytes(value));
        }
        return [.. block];
    }

    /// <summary>Stops the webhook (it keeps serving for the delay, closing each connection after its answer),
    /// asks for /healthz over HTTP/2 and reads until the final GOAWAY, which names stream 1 as the last.</summary>
    private async Task<(Socket Socket, SslStream Tls)> AnsweredAndClosingHttp2Async()
    {
        var port = Listening.Port(_app);
        _stopping = _app.StopAsync();
        using (var probe = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } }))
        {
            while ((await probe.GetAsync($"https://127.0.0.1:{port}/readyz")).StatusCode != HttpStatusCode.ServiceUnavailable) await Task.Delay(10);
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", port);
        var tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: true, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost", ApplicationProtocols = [SslApplicationProtocol.Http2] });
        Assert.Equal(SslApplicationProtocol.Http2, tls.NegotiatedApplicationProtocol);
        await tls.WriteAsync(Encoding.ASCII.GetBytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
        await tls.WriteAsync(Frame(Settings, 0, 0, []));
        await tls.WriteAsync(Frame(Headers, 0x5, 1, Get("/healthz"))); // END_STREAM | END_HEADERS

        var body = new StringBuilder();
        var header = new byte[9];
        while (true)
        {
            await tls.ReadExactlyAsync(header);
            var payload = new byte[header[0] << 16 | header[1] << 8 | header[2]];
            await tls.ReadExactlyAsync(payload);
            var type = header[3];
            if (type == Settings && (header[4] & 1) == 0) await tls.WriteAsync(Frame(Settings, 1, 0, []));
            if (type == Data) body.Append(Encoding.ASCII.GetString(payload));
            if (type == GoAway && (BinaryPrimitives.ReadInt32BigEndian(payload) & int.MaxValue) == 1) break;
        }
        Assert.Equal("ok\n", body.ToString());
        return (socket, tls);
    }

    /// <summary>Reads the raw socket to its end: how it ended (its end, or the socket error that ended it).</summary>
    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        var buffer = new byte[4096];
        try
        {
            while (await socket.ReceiveAsync(buffer) > 0)
            {
            }
            return "end of stream";
        }
        catch (SocketException ex)
        {
            return ex.SocketErrorCode.ToString();
        }
    }

    [Fact]
    public async Task What_an_HTTP2_client_sends_after_the_final_GOAWAY_is_read_and_the_connection_ends_without_a_reset()
    {
        var (socket, tls) = await AnsweredAndClosingHttp2Async();
        using var _ = socket;
        using var __ = tls;

        // A client that started its next request before it read the GOAWAY, and pings.
        var sent = "no error";
        try
        {
            await tls.WriteAsync(Frame(Headers, 0x5, 3, Get("/healthz")));
            for (var i = 0; i < 16; i++)
            {
                await tls.WriteAsync(Frame(Ping, 0, 0, new byte[8]));
                await Task.Delay(10);
            }
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (IOException ex) when (ex.InnerException is SocketException s)
        {
            sent = s.SocketErrorCode.ToString();
        }

        Assert.Equal("no error", sent);
        Assert.Equal("end of stream", await ReadToEndAsync(socket));
    }

    [Fact]
    public async Task An_HTTP2_client_that_sends_nothing_more_and_never_closes_is_closed_when_the_linger_ends()
    {
        var (socket, tls) = await AnsweredAndClosingHttp2Async();
        using var _ = socket;
        using var __ = tls;
        var clock = Stopwatch.StartNew();

        var end = await ReadToEndAsync(socket);

        Assert.Equal("end of stream", end);
        Assert.InRange(clock.Elapsed, LingeringClose.Linger - TimeSpan.FromMilliseconds(50), LingeringClose.Linger + TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task An_HTTP2_client_that_closes_is_not_kept_waiting()
    {
        var (socket, tls) = await AnsweredAndClosingHttp2Async();
        using var _ = socket;
        using var __ = tls;
        var clock = Stopwatch.StartNew();

        socket.Shutdown(SocketShutdown.Send);
        var end = await ReadToEndAsync(socket);

        Assert.Equal("end of stream", end);
        Assert.True(clock.Elapsed < LingeringClose.Linger / 2, $"closed {clock.Elapsed.TotalMilliseconds:0} ms after the client");
    }

    /// <summary>HTTP/1.1 has no GOAWAY: a connection that lingered after closing idle would swallow the next
    /// request a client sent on it. It closes as soon as its <c>Connection: close</c> answer is written.</summary>
    [Fact]
    public async Task An_HTTP11_connection_closes_as_soon_as_its_last_answer_is_written()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", Listening.Port(_app));
        using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: true, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost", ApplicationProtocols = [SslApplicationProtocol.Http11] });
        await tls.WriteAsync(Encoding.ASCII.GetBytes("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
        var answer = new StringBuilder();
        var buffer = new byte[4096];
        while (!answer.ToString().EndsWith("\r\n\r\nok\n", StringComparison.Ordinal))
        {
            var n = await tls.ReadAsync(buffer);
            Assert.True(n > 0, $"the connection ended before the answer: {answer}");
            answer.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
        var clock = Stopwatch.StartNew();

        var end = await ReadToEndAsync(socket);

        Assert.Contains("\r\nConnection: close\r\n", answer.ToString());
        Assert.Equal("end of stream", end);
        Assert.True(clock.Elapsed < LingeringClose.Linger / 2, $"closed {clock.Elapsed.TotalMilliseconds:0} ms after the answer");
    }
}
