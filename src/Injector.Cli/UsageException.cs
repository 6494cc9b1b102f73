namespace Injector.Cli;

/// <summary>A mistake in how the command was called (exit code 2).</summary>
/// <param name="message"></param>
/// <param name="pointToHelp">Follow the message with "Run 'appmesh-inject --help' for usage." (where --help would not help, the message stands alone).</param>
public sealed class UsageException(string message, bool pointToHelp = true) : Exception(message)
{
    public bool PointToHelp { get; } = pointToHelp;
}
