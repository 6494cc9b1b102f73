using System.Reflection;

namespace Injector.Core;

/// <summary>The injector's version, written once as the build's <c>Version</c> (Directory.Build.props) and read
/// here for the status annotation, <c>--version</c> and the webhook's build info.</summary>
public static class InjectorVersion
{
    public static string Current { get; } =
        typeof(InjectorVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
}
