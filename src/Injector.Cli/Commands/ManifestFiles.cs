using Injector.Manifests;

namespace Injector.Cli.Commands;

/// <summary>The manifests named by <c>-f</c> and positional arguments: files, folders (read recursively) and
/// standard input. They are read a piece at a time when processed; standard input is first copied to a
/// temporary file (deleted on dispose), because a run reads its input twice (namespaces first).</summary>
internal sealed class ManifestFiles : IDisposable
{
    private static readonly string[] Extensions = [".yaml", ".yml", ".json"];
    private string? _stdinCopy;

    public List<ManifestSource> Sources { get; } = [];

    public static ManifestFiles Open(IReadOnlyList<string> inputs, Stream stdin)
    {
        var files = new ManifestFiles();
        try
        {
            foreach (var input in inputs.SelectMany(CommaList))
            {
                if (input == "-")
                {
                    // Twice would write every document of it twice (kubectl refuses it too).
                    if (files._stdinCopy is not null) throw new UsageException("standard input ('-') can be given only once");
                    files._stdinCopy = CopyToTempFile(stdin);
                    var copy = files._stdinCopy;
                    files.Sources.Add(new ManifestSource("<stdin>", () => ManifestEncoding.OpenFile(copy)));
                }
                else if (Directory.Exists(input))
                {
                    // Recursively, in a stable order, so that the output does not depend on the file system.
                    var found = FilesUnder(input)
                        .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                        .Order(StringComparer.Ordinal)
                        .ToList();
                    // A wrong path more likely than an intended no-op, which would then pipe nothing into kubectl.
                    if (found.Count == 0) throw new UsageException($"the folder '{input}' holds no manifests (files named *.yaml, *.yml or *.json), as kubectl reads a folder");
                    files.Sources.AddRange(found.Select(File));
                }
                else
                {
                    files.Sources.Add(File(input));
                }
            }
            return files;
        }
        catch
        {
            files.Dispose();
            throw;
        }
    }

    /// <summary>An input as kubectl reads <c>-f a.yaml,b.yaml</c>: a comma-separated list, unless a file or folder
    /// of that whole name exists (kubectl would not read one).</summary>
    private static IEnumerable<string> CommaList(string input) =>
        input.Contains(',', StringComparison.Ordinal) && !System.IO.File.Exists(input) && !Directory.Exists(input)
            ? input.Split(',', StringSplitOptions.RemoveEmptyEntries)
            : [input];

    /// <summary>The files of a folder and of its subfolders, but not of folders it links to (symbolic links), as
    /// <c>kubectl -R</c> walks a folder: a link up the tree made the files be read again at every level (40 times)
    /// and one to a folder elsewhere in the input wrote its documents twice.</summary>
    private static IEnumerable<string> FilesUnder(string folder) =>
        Directory.EnumerateFiles(folder).Concat(Directory.EnumerateDirectories(folder)
            .Where(d => new DirectoryInfo(d).LinkTarget is null)
            .SelectMany(FilesUnder));

    /// <summary>A file, checked now (a file that cannot be read is a usage error), read when processed.</summary>
    private static ManifestSource File(string path)
    {
        try
        {
            using (System.IO.File.OpenRead(path)) { }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read '{path}': {ex.Message}");
        }
        return new ManifestSource(path, () => ManifestEncoding.OpenFile(path));
    }

    /// <summary>A file's text; a file that cannot be read is a usage error.</summary>
    public static string ReadFile(string path)
    {
        try
        {
            return System.IO.File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read '{path}': {ex.Message}");
        }
    }

    // The bytes as they came: decoding them is the reader's job, so that bytes that are not UTF-8 are found there.
    private static string CopyToTempFile(Stream stdin)
    {
        var path = Path.Combine(Path.GetTempPath(), $"appmesh-inject-stdin-{Environment.ProcessId}-{Guid.NewGuid():N}.yaml");
        using var file = System.IO.File.Create(path);
        stdin.CopyTo(file);
        return path;
    }

    public void Dispose()
    {
        if (_stdinCopy is null) return;
        try { System.IO.File.Delete(_stdinCopy); } catch (IOException) { }
    }
}
