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

    public static string Openssl => RepoPaths.OnPath("openssl", "apt-get install -y openssl");
}
