namespace Injector.Shipping.Tests;

/// <summary>Paths in the repository and the external tools the shipping checks run.</summary>
internal static class Repo
{
    public static string Root => RepoPaths.Root;

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

    /// <summary>kubectl from .tools/kubectl/kubectl (scripts/fetch-tools.sh); missing fails the test.</summary>
    public static string Kubectl
    {
        get
        {
            var path = Path.Combine(Root, ".tools", "kubectl", "kubectl");
            if (!File.Exists(path)) throw new InvalidOperationException($"kubectl not found at '{path}'. Run scripts/fetch-tools.sh (it puts kubectl in .tools/).");
            return path;
        }
    }

    public static string Openssl => OnPath("openssl", "apt-get install -y openssl");

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
