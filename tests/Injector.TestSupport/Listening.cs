using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Injector.TestSupport;

/// <summary>Where a started application listens (tests start servers on port 0, so the system picks a free one).</summary>
public static class Listening
{
    public static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    /// <summary>Every address the application listens on, in the order its listeners were configured.</summary>
    public static IReadOnlyList<string> Addresses(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.ToList();

    public static int Port(WebApplication app) =>
        new Uri(Address(app).Replace("[::]", "localhost").Replace("0.0.0.0", "localhost")).Port;
}
