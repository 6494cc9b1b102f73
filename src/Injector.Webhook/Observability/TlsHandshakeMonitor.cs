using System.Net;
using Microsoft.AspNetCore.Connections;

namespace Injector.Webhook.Observability;

/// <summary>Makes failed TLS handshakes visible: one JSON line (rate-limited per reason) with the client's
/// address and the reason, and a counter by reason. Kestrel reports a failed handshake only as a debug
/// log event of its HTTPS middleware, without the client's address; so a connection middleware in front of
/// TLS notes the address of the connection in an async-local, and <see cref="KestrelHandshakeEvents"/> —
/// a logger that receives only that middleware's events — reads it back when the failure is reported, on
/// the same connection's flow.</summary>
public sealed class TlsHandshakeMonitor(InjectorMetrics metrics, ILogger<TlsHandshakeMonitor> logger, TimeProvider? time = null)
{
    /// <summary>Kestrel's HTTPS connection middleware: the logger category that reports handshake failures.</summary>
    public const string KestrelHttpsCategory = "Microsoft.AspNetCore.Server.Kestrel.Https.Internal.HttpsConnectionMiddleware";

    /// <summary>What is known of one connection's handshake.</summary>
    private sealed class Attempt(EndPoint? remote)
    {
        public EndPoint? Remote { get; } = remote;
        public bool CertificateOffered { get; set; }
    }

    private static readonly AsyncLocal<Attempt?> s_attempt = new();
    private readonly LogRateLimiter _lines = new(TimeSpan.FromSeconds(10), time);

    /// <summary>The connection middleware to put in front of TLS on the HTTPS listener.</summary>
    public static Func<ConnectionDelegate, ConnectionDelegate> NoteRemoteAddress => next => async connection =>
    {
        // Async, so that the value is the connection's own and does not leak into Kestrel's caller.
        s_attempt.Value = new Attempt(connection.RemoteEndPoint);
        await next(connection);
    };

    /// <summary>Called when the client's hello is answered with the serving certificate (from the TLS options callback).</summary>
    public static void NoteCertificateOffered()
    {
        if (s_attempt.Value is { } attempt) attempt.CertificateOffered = true;
    }

    /// <summary>Counts and logs one failed handshake; <paramref name="exception"/> is null when it timed out.</summary>
    public void OnFailure(Exception? exception) => OnFailure(exception, s_attempt.Value?.Remote, s_attempt.Value?.CertificateOffered ?? false);

    public void OnFailure(Exception? exception, EndPoint? remote, bool certificateOffered)
    {
        var failure = HandshakeFailure.Classify(exception, certificateOffered);
        metrics.RecordHandshakeFailure(failure.Reason);
        if (!_lines.TryAcquire(failure.Reason, out var suppressed)) return;
        var level = HandshakeFailure.Level(failure.Reason);
        var address = HandshakeFailure.Address(remote);
        WebhookLog.HandshakeFailed(logger, level, address, failure.Reason, failure.Detail, failure.Error, suppressed);
    }
}

/// <summary>Receives the events of Kestrel's HTTPS middleware (filtered to that category by
/// <see cref="ObservabilitySetup"/>) and hands failed handshakes to <see cref="TlsHandshakeMonitor"/>.</summary>
public sealed class KestrelHandshakeEvents(IServiceProvider services) : ILoggerProvider
{
    private readonly IServiceProvider _services = services;
    // Resolved on first use: the monitor logs through the logger factory that owns this provider.
    private TlsHandshakeMonitor? _monitor;

    public ILogger CreateLogger(string categoryName) =>
        categoryName == TlsHandshakeMonitor.KestrelHttpsCategory ? new Sink(this) : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public void Dispose()
    {
    }

    private sealed class Sink(KestrelHandshakeEvents owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            // Kestrel's events "AuthenticationFailed" (with the exception) and "AuthenticationTimedOut".
            if (eventId.Name is not ("AuthenticationFailed" or "AuthenticationTimedOut")) return;
            owner._monitor ??= owner._services.GetRequiredService<TlsHandshakeMonitor>();
            owner._monitor.OnFailure(eventId.Name == "AuthenticationTimedOut" ? null : exception);
        }
    }
}
