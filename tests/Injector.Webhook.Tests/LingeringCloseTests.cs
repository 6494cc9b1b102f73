using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;

namespace Injector.Webhook.Tests;

/// <summary>A connection the webhook closes (here: an HTTP/1.1 request with <c>Connection: close</c>) keeps
/// reading what its client still sends until the client closes, or for <see cref="LingeringClose.Linger"/>:
/// closing a socket with unread bytes in it resets the connection (GoClientTests shows what that cost).</summary>
public sealed class LingeringCloseTests : IAsyncLifetime
{
    private readonly WebApplication _app = WebhookHost.Build(["--mesh-name", "demo", "--region", "us-west-2", "--port", "0"], new Dictionary<string, string>());

    public Task InitializeAsync() => _app.StartAsync();

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Asks for /healthz with <c>Connection: close</c> and reads the whole answer.</summary>
    private async Task<(Socket Socket, SslStream Tls)> AnsweredAndClosingAsync()
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", Listening.Port(_app));
        var tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: true, (_, _, _, _) => true);
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
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", answer.ToString());
        Assert.Contains("\r\nConnection: close\r\n", answer.ToString());
        return (socket, tls);
    }

    /// <summary>Reads the raw socket to its end: the number of bytes, or the socket error that ended it.</summary>
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
    public async Task What_the_client_sends_after_the_last_answer_is_read_and_the_connection_ends_without_a_reset()
    {
        var (socket, tls) = await AnsweredAndClosingAsync();
        using var _ = socket;
        using var __ = tls;

        // A client that had started its next request before it read the answer's "close".
        var sent = "no error";
        try
        {
            for (var i = 0; i < 16; i++)
            {
                await tls.WriteAsync(Encoding.ASCII.GetBytes($"POST /mutate HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4000\r\n\r\n{new string('x', 4000)}"));
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
    public async Task A_client_that_sends_nothing_more_and_never_closes_is_closed_when_the_linger_ends()
    {
        var (socket, tls) = await AnsweredAndClosingAsync();
        using var _ = socket;
        using var __ = tls;
        var clock = Stopwatch.StartNew();

        var end = await ReadToEndAsync(socket);

        Assert.Equal("end of stream", end);
        Assert.InRange(clock.Elapsed, LingeringClose.Linger - TimeSpan.FromMilliseconds(50), LingeringClose.Linger + TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_client_that_closes_is_not_kept_waiting()
    {
        var (socket, tls) = await AnsweredAndClosingAsync();
        using var _ = socket;
        using var __ = tls;
        var clock = Stopwatch.StartNew();

        socket.Shutdown(SocketShutdown.Send);
        var end = await ReadToEndAsync(socket);

        Assert.Equal("end of stream", end);
        Assert.True(clock.Elapsed < LingeringClose.Linger, $"closed {clock.Elapsed.TotalMilliseconds:0} ms after the client");
    }
}
