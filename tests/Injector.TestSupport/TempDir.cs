namespace Injector.TestSupport;

/// <summary>A temporary folder for one test (generated certificates, manifests, kubeconfigs), removed
/// afterwards; nothing a test writes lands in the repository.</summary>
/// <param name="purpose">A word in the folder's name, to tell the folders of a failed run apart.</param>
public sealed class TempDir(string purpose = "test") : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory($"appmesh-inject-{purpose}-").FullName;

    /// <summary>The full path of <paramref name="relative"/> in the folder (nothing is created).</summary>
    public string File(string relative) => System.IO.Path.Combine(Path, relative);

    /// <summary>Writes a file, creating the folders on its path, and returns its full path.</summary>
    public string Write(string relative, string text)
    {
        var full = File(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        System.IO.File.WriteAllText(full, text);
        return full;
    }

    /// <summary>Creates a folder in this one (and the folders above it) and returns its full path.</summary>
    public string Folder(string relative) => Directory.CreateDirectory(File(relative)).FullName;

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
