using Injector.Manifests;

namespace Injector.Cli.Commands;

/// <summary>The manifests named by <c>-f</c>: files, folders (read recursively) and standard input.</summary>
internal static class ManifestFiles
{
    private static readonly string[] Extensions = [".yaml", ".yml", ".json"];

    public static List<ManifestSource> Read(List<string> inputs, TextReader stdin)
    {
        var sources = new List<ManifestSource>();
        foreach (var input in inputs)
        {
            if (input == "-")
            {
                sources.Add(new ManifestSource("<stdin>", stdin.ReadToEnd()));
            }
            else if (Directory.Exists(input))
            {
                // Recursively, in a stable order, so that the output does not depend on the file system.
                var files = Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories)
                    .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal);
                sources.AddRange(files.Select(f => new ManifestSource(f, ReadFile(f))));
            }
            else
            {
                sources.Add(new ManifestSource(input, ReadFile(input)));
            }
        }
        return sources;
    }

    /// <summary>A file's text; a file that cannot be read is a usage error.</summary>
    public static string ReadFile(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read '{path}': {ex.Message}");
        }
    }
}
