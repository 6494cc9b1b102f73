using System.Diagnostics;
using System.Text;

namespace Injector.Shipping.Tests;

/// <summary>Paths in the repository and the external tools the shipping checks run.</summary>
internal static class Repo
{
    public static readonly string Root = FindRoot();

    public static string ChartDir => Path.Combine(Root, "charts", "appmesh-inject");

    /// <summary>helm from $HELM, else .tools/helm/helm; a missing helm fails the test, never skips it.</summary>
    public static string Helm
    {
        get
        {
            var fromEnv = Environment.GetEnvironmentVariable("HELM");
            var path = string.IsNullOrEmpty(fromEnv) ? Path.Combine(Root, ".tools", "helm", "helm") : fromEnv;
            if (!File.Exists(path))
            {
                throw new InvalidOperationException(
                    $"helm not found at '{path}'. Run scripts/fetch-tools.sh (it puts helm in .tools/) or set HELM to a helm binary.");
            }
            return path;
        }
    }

    public static string Openssl
    {
        get
        {
            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
            {
                var candidate = Path.Combine(dir, "openssl");
                if (dir.Length > 0 && File.Exists(candidate)) return candidate;
            }
            throw new InvalidOperationException("openssl not found on PATH: apt-get install -y openssl (.ci/run does this).");
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Injector.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No Injector.sln above {AppContext.BaseDirectory}.");
    }
}

internal sealed record ProcessResult(int ExitCode, string StdOut, string StdErr)
{
    public ProcessResult EnsureSuccess()
    {
        if (ExitCode != 0) throw new InvalidOperationException($"exit {ExitCode}\nstdout:\n{StdOut}\nstderr:\n{StdErr}");
        return this;
    }
}

internal static class Run
{
    /// <summary>Runs a program to completion with a bounded wait; env entries with a null value are removed.</summary>
    public static ProcessResult Process(string file, IEnumerable<string> args, IDictionary<string, string?>? env = null,
        string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Repo.Root,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null)
        {
            foreach (var (k, v) in env)
            {
                if (v is null) psi.Environment.Remove(k);
                else psi.Environment[k] = v;
            }
        }
        using var p = System.Diagnostics.Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.Append(e.Data).Append('\n'); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.Append(e.Data).Append('\n'); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromSeconds(120)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', psi.ArgumentList)} did not finish");
        }
        p.WaitForExit();
        return new ProcessResult(p.ExitCode, stdout.ToString(), stderr.ToString());
    }
}
