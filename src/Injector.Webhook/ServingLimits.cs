namespace Injector.Webhook;

/// <summary>What Kestrel may hold for clients, so that memory stays bounded whatever they send.</summary>
public static class ServingLimits
{
    /// <summary>Bytes Kestrel reads ahead of the endpoint on one HTTP/1.1 connection (its default is 1 MiB):
    /// a review waiting for the memory budget holds no more than this of its body.</summary>
    public const int RequestBufferBytes = 64 * 1024;

    /// <summary>HTTP/2 flow-control windows (Kestrel's defaults: 1 MiB per connection, 768 KiB per stream):
    /// the same bound for reviews multiplexed on one connection, which the API server uses.</summary>
    public const int Http2ConnectionWindowBytes = 128 * 1024;
    public const int Http2StreamWindowBytes = 64 * 1024;

    /// <summary>Request limits, the memory budget for reviews in flight (<see cref="ReviewBudget"/>).</summary>
    public static WebApplicationBuilder AddServingLimits(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(_ => ReviewBudget.ForThisProcess(AdmissionEndpoints.MaxBodyBytes));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // One byte over the cap, so that the endpoint, not Kestrel, refuses a larger body (with its message).
            kestrel.Limits.MaxRequestBodySize = AdmissionEndpoints.MaxBodyBytes + 1;
            kestrel.Limits.MaxRequestBufferSize = RequestBufferBytes;
            kestrel.Limits.Http2.InitialConnectionWindowSize = Http2ConnectionWindowBytes;
            kestrel.Limits.Http2.InitialStreamWindowSize = Http2StreamWindowBytes;
        });
        return builder;
    }
}
