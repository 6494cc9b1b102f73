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

    /// <summary>The path of <paramref name="tool"/> on PATH; a missing tool fails the test with how to install it.</summary>
    public static string OnPath(string tool, string install)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
        {
            var candidate = Path.Combine(dir, tool);
            if (dir.Length > 0 && File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException($"{tool} not found on PATH: {install} (.ci/run does this).");
    }
}
