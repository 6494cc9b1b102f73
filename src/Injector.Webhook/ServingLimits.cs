namespace Injector.Webhook;

/// <summary>What Kestrel may hold for clients, so that memory stays bounded whatever they send.</summary>
public static class ServingLimits
{
    /// <summary>Bytes read ahead of the endpoint on one connection, by the socket transport (before TLS) and by
    /// Kestrel's HTTP/1.1 parser (after it); both default to 1 MiB. A review waiting for the memory budget holds
    /// no more than this of its body: measured, 64 connections waiting with 4 MiB bodies held ~80 MiB with
    /// the defaults.</summary>
    public const int RequestBufferBytes = 64 * 1024;

    /// <summary>HTTP/2 streams per connection (Kestrel's default is 100); a client with more reviews at once
    /// opens another connection, as the API server's Go client does.</summary>
    public const int Http2StreamsPerConnection = 32;

    /// <summary>HTTP/2 flow-control windows (Kestrel's defaults: 768 KiB per stream, 1 MiB per connection): a
    /// review waiting for the memory budget holds no more than a stream window of its body. Kestrel opens the
    /// connection's window again only as the endpoint reads, and only once half of it has been read: so it
    /// holds every stream's window twice over, or the bodies of waiting reviews fill it and the reviews being
    /// served never get the rest of theirs (measured: every maximum-size review on a shared connection then
    /// waited until its deadline).</summary>
    public const int Http2StreamWindowBytes = 64 * 1024;
    public const int Http2ConnectionWindowBytes = 2 * Http2StreamsPerConnection * Http2StreamWindowBytes;

    /// <summary>Request limits, the memory budgets for reviews in flight (<see cref="ReviewMemory"/>).</summary>
    public static WebApplicationBuilder AddServingLimits(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(_ => ReviewMemory.ForThisProcess());
        builder.WebHost.UseSockets(sockets => sockets.MaxReadBufferSize = RequestBufferBytes);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Over the cap by a margin, so that the endpoint, which counts the body's bytes exactly, refuses a larger
            // body with its message: Kestrel's own count of a body without a Content-Length (chunked, or HTTP/2)
            // reached its limit some hundred bytes early, and at exactly the cap.
            kestrel.Limits.MaxRequestBodySize = AdmissionEndpoints.MaxBodyBytes + 64 * 1024;
            kestrel.Limits.MaxRequestBufferSize = RequestBufferBytes;
            kestrel.Limits.Http2.InitialConnectionWindowSize = Http2ConnectionWindowBytes;
            kestrel.Limits.Http2.InitialStreamWindowSize = Http2StreamWindowBytes;
            kestrel.Limits.Http2.MaxStreamsPerConnection = Http2StreamsPerConnection;
        });
        return builder;
    }
}
