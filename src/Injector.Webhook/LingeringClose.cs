using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Injector.Webhook;

/// <summary>Closes an HTTP/2 connection only once its client has stopped sending, or after <see cref="Linger"/>.
/// Kestrel closes the socket right after a connection's final GOAWAY. A client that has meanwhile sent more
/// (its next request, on a connection whose GOAWAY it has not read yet) leaves bytes in the socket that
/// nobody reads, and closing such a socket makes the kernel reset the connection: the client's write fails,
/// and Go's HTTP/2 transport, the API server's, then fails every request on that connection, answers in
/// transit included (measured across SIGTERM: 3 failed reviews in ~3,900 connection closes, 68 in 13,288
/// with the CPU loaded). Read and dropped instead, those bytes cost nothing: the client reads the GOAWAY,
/// sends the requests it names as unprocessed again on a new connection, and closes. Sits in front of TLS,
/// on the socket's bytes.</summary>
public static class LingeringClose
{
    /// <summary>How long a closing connection waits for its client to close (Go's HTTP/2 server waits 1 s).</summary>
    public static readonly TimeSpan Linger = TimeSpan.FromSeconds(1);

    public static Func<ConnectionDelegate, ConnectionDelegate> Middleware => next => async connection =>
    {
        var socket = connection.Transport;
        var held = new HeldPipe(socket);
        var protocol = new NegotiatedProtocol();
        connection.Transport = held;
        connection.Features.Set(protocol);
        try
        {
            await next(connection);
        }
        finally
        {
            connection.Transport = socket;
            if (!held.Aborted && protocol.Http2) await DrainAsync(socket, connection.ConnectionClosed);
            await socket.Input.CompleteAsync();
            await socket.Output.CompleteAsync();
        }
    };

    /// <summary>Inside TLS (after <c>UseHttps</c>): notes whether the connection speaks HTTP/2, which the TLS
    /// feature can no longer say once TLS is done with the connection.</summary>
    public static Func<ConnectionDelegate, ConnectionDelegate> NoteProtocol => next => connection =>
    {
        if (connection.Features.Get<NegotiatedProtocol>() is { } noted)
            noted.Http2 = connection.Features.Get<ITlsApplicationProtocolFeature>()?.ApplicationProtocol.Span.SequenceEqual("h2"u8) == true;
        return next(connection);
    };

    /// <summary>Whether the connection speaks HTTP/2. Only those linger: their final GOAWAY has told the client
    /// what was not processed. An HTTP/1.1 connection closes at once, as Kestrel closes it: when it closes idle,
    /// only the end of the stream tells a client not to send its next request on it, and a request sent into a
    /// lingering connection would be lost (Go resends an HTTP/1.1 POST only when none of it was written).</summary>
    private sealed class NegotiatedProtocol
    {
        public bool Http2 { get; set; }
    }

    /// <summary>Reads and drops what the client still sends until it closes, the connection is aborted, or the linger ends.</summary>
    private static async Task DrainAsync(IDuplexPipe socket, CancellationToken closed)
    {
        using var linger = CancellationTokenSource.CreateLinkedTokenSource(closed);
        linger.CancelAfter(Linger);
        try
        {
            // What TLS wrote last (its part of the final GOAWAY, or of the answer) goes out first.
            await socket.Output.FlushAsync(linger.Token);
            while (true)
            {
                var read = await socket.Input.ReadAsync(linger.Token);
                socket.Input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted) return;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The linger ended, or the connection is gone (aborted, reset): either way nothing is left to wait for.
        }
    }

    /// <summary>The socket's pipes, handed to TLS and HTTP, whose completing them does not close the socket.</summary>
    private sealed class HeldPipe(IDuplexPipe socket) : IDuplexPipe
    {
        private readonly HeldReader _input = new(socket.Input);
        private readonly HeldWriter _output = new(socket.Output);

        public PipeReader Input => _input;
        public PipeWriter Output => _output;

        /// <summary>Completed with an error by the layers above: the connection is being torn down, not closed.</summary>
        public bool Aborted => _input.Error is not null || _output.Error is not null;
    }

    private sealed class HeldReader(PipeReader inner) : PipeReader
    {
        private bool _completed;
        public Exception? Error { get; private set; }

        public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);
        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);
        public override void CancelPendingRead() => inner.CancelPendingRead();
        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default) =>
            _completed ? throw new InvalidOperationException("reading after completing") : inner.ReadAsync(cancellationToken);
        public override bool TryRead(out ReadResult result) =>
            _completed ? throw new InvalidOperationException("reading after completing") : inner.TryRead(out result);
        public override void Complete(Exception? exception = null) => (_completed, Error) = (true, exception ?? Error);
    }

    private sealed class HeldWriter(PipeWriter inner) : PipeWriter
    {
        public Exception? Error { get; private set; }

        public override void Advance(int bytes) => inner.Advance(bytes);
        public override void CancelPendingFlush() => inner.CancelPendingFlush();
        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);
        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);
        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);
        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;
        public override long UnflushedBytes => inner.UnflushedBytes;
        public override void Complete(Exception? exception = null) => Error ??= exception;
    }
}
