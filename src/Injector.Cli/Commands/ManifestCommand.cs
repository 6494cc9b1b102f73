using System.Text;
using Injector.Cli.Rendering;
using Injector.Core;
using Injector.Manifests;

namespace Injector.Cli.Commands;

/// <summary>What <c>inject</c> and <c>uninject</c> share: reading files and standard input a piece at a time,
/// the output formats, the report, and the pipeline rule — when any document fails, nothing is written to
/// standard output (so <c>| kubectl apply -f -</c> applies nothing) and the exit code is 1, unless
/// <c>--continue-on-error</c> asks for the rest.</summary>
internal static class ManifestCommand
{
    public static readonly FlagSpec FilenameFlag = new("filename", 'f', "FILE|DIR|-", "a manifest file, a folder (read recursively: *.yaml, *.yml, *.json) or - for standard input (repeatable; files may also be given without -f)");
    public static readonly FlagSpec NamespaceFlag = new("namespace", 'n', "NAMESPACE", "namespace of resources that name none (default: default)");
    public static readonly FlagSpec QuietFlag = new("quiet", 'q', null, "report only failures on standard error");
    public static readonly FlagSpec ContinueOnErrorFlag = new("continue-on-error", null, null, "write the documents that did not fail even when some did (exit code 1 all the same)");

    public static FlagSpec OutputFlag(string what) => new("output", 'o', "FORMAT",
        $"yaml (default: every document, in order, {what} in place, the rest byte for byte), json (the document, or a v1 List), patch (RFC 6902 per changed resource), diff (unified, against the input; applies with patch -p1)");

    public static IReadOnlyList<string> Inputs(ParsedArgs args)
    {
        var inputs = args.All("filename").Concat(args.Positional).ToList();
        if (inputs.Count == 0) throw new UsageException("no input: give -f FILE, -f DIRECTORY or -f - (standard input)");
        return inputs;
    }

    public static string Namespace(ParsedArgs args)
    {
        var ns = args.Get("namespace", "default");
        if (!Formats.IsDnsSubdomain(ns)) throw new UsageException($"--namespace: '{ns}' is not a valid namespace name");
        return ns;
    }

    public static int Run(ParsedArgs args, ManifestFiles files, IDocumentTransform transform, TextWriter stdout, TextWriter stderr, bool uninject, IEnumerable<string> notes)
    {
        var format = Flags.Choice(args, "output", ManifestWriter.Formats, "yaml");
        var quiet = args.Switch("quiet");
        var continueOnError = args.Switch("continue-on-error");
        if (!quiet) foreach (var note in notes) stderr.WriteLine($"appmesh-inject: note: {note}");

        using var spool = new SpoolWriter();
        TextWriter target = continueOnError ? stdout : spool;
        var writer = ManifestWriter.For(format, target);
        var run = new ManifestRun(files.Sources, transform);
        foreach (var piece in run.Process())
        {
            writer.Write(piece);
            foreach (var line in InjectReport.Lines(piece))
            {
                if (!quiet || line.Failure) stderr.WriteLine(line.Text);
            }
        }
        writer.Finish();
        var counts = run.Counts;
        if (!quiet) stderr.WriteLine(InjectReport.Summary(counts, uninject));
        if (!run.HasFailures)
        {
            spool.CopyTo(stdout);
            return CliApp.Ok;
        }
        var failed = counts.Failed + counts.Unreadable;
        stderr.WriteLine(continueOnError
            ? $"appmesh-inject: {failed} document{(failed == 1 ? "" : "s")} failed and {(failed == 1 ? "was" : "were")} left unchanged or out of the output (--continue-on-error)"
            : $"appmesh-inject: {failed} document{(failed == 1 ? "" : "s")} failed, so nothing was written to standard output; fix {(failed == 1 ? "it" : "them")}, or pass --continue-on-error to write the others");
        return CliApp.Failed;
    }
}

/// <summary>Holds output until the run is known to have no failures: in memory up to a few megabytes, then in a
/// temporary file (deleted on dispose), so a large output does not grow the process.</summary>
internal sealed class SpoolWriter : TextWriter
{
    private const int MemoryLimit = 4 * 1024 * 1024;
    private readonly StringBuilder _memory = new();
    private string? _path;
    private StreamWriter? _file;

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        if (_file is not null) _file.Write(value);
        else { _memory.Append(value); Spill(); }
    }

    public override void Write(string? value)
    {
        if (_file is not null) _file.Write(value);
        else { _memory.Append(value); Spill(); }
    }

    private void Spill()
    {
        if (_memory.Length < MemoryLimit) return;
        _path = Path.Combine(Path.GetTempPath(), $"appmesh-inject-out-{Environment.ProcessId}-{Guid.NewGuid():N}");
        _file = new StreamWriter(_path, false, new UTF8Encoding(false), 1 << 16);
        _file.Write(_memory);
        _memory.Clear();
    }

    public void CopyTo(TextWriter output)
    {
        if (_file is null)
        {
            output.Write(_memory);
            return;
        }
        _file.Flush();
        _file.Dispose();
        _file = null;
        using var reader = new StreamReader(_path!, Encoding.UTF8);
        var buffer = new char[1 << 16];
        int read;
        while ((read = reader.Read(buffer, 0, buffer.Length)) > 0) output.Write(buffer, 0, read);
        output.Flush();
    }

    protected override void Dispose(bool disposing)
    {
        _file?.Dispose();
        if (_path is not null)
        {
            try { File.Delete(_path); } catch (IOException) { }
        }
        base.Dispose(disposing);
    }
}
