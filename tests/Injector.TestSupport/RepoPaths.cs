namespace Injector.TestSupport;

/// <summary>Places in the repository the tests read from.</summary>
public static class RepoPaths
{
    /// <summary>The folder that holds <c>Injector.sln</c>, found upwards from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Injector.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No Injector.sln above {AppContext.BaseDirectory}.");
    }
}
