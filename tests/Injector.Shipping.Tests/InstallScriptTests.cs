using k8s.Models;

namespace Injector.Shipping.Tests;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class InstallScriptTests : IDisposable
{
    private static readonly string Script = Path.Combine(Repo.Root, "scripts", "install.sh");
    private readonly TempDir _temp = new("install");
    private string Dir => _temp.Path;
    private string Calls => Path.Combine(Dir, "calls");

    public InstallScriptTests() => Directory.CreateDirectory(Calls);

    /// <summary>A folder holding stand-ins that record their arguments (one per line) and exit 0.</summary>
    private string FakeTools(params string[] names)
    {
        var bin = Directory.CreateDirectory(Path.Combine(Dir, "fake-" + string.Join("-", names))).FullName;
        foreach (var name in names)
        {
            var path = Path.Combine(bin, name);
            File.WriteAllText(path, $"#!/bin/bash\nprintf '%s\\n' \"$@\" > '{Calls}/{name}'\n");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return bin;
    }

    /// <summary>A folder with the real helm, so that only what the test chooses is on PATH.</summary>
    private string RealHelm()
    {
        var bin = Directory.CreateDirectory(Path.Combine(Dir, "helm")).FullName;
        File.CreateSymbolicLink(Path.Combine(bin, "helm"), Repo.Helm);
        return bin;
    }

    private ProcessResult Install(Dictionary<string, string?> env, params string[] args)
    {
        env.TryAdd("HELM_CACHE_HOME", Path.Combine(Dir, "helm-home", "cache"));
        env.TryAdd("HELM_CONFIG_HOME", Path.Combine(Dir, "helm-home", "config"));
        env.TryAdd("HELM_DATA_HOME", Path.Combine(Dir, "helm-home", "data"));
        foreach (var name in new[] { "MESH_NAME", "MESH_REGION", "AWS_REGION", "AWS_DEFAULT_REGION", "IMAGE_REPOSITORY", "INJECTOR_NAMESPACE", "RELEASE_NAME", "CHART", "CHART_VERSION", "ROLLOUT_TIMEOUT" })
        {
            env.TryAdd(name, null);
        }
        return ProcessRunner.Run("/bin/bash", [Script, .. args], env);
    }

    [Fact]
    public async Task Dry_run_prints_the_manifests_for_the_environment_and_contacts_no_cluster()
    {
        await using var api = await FakeApiServer.StartAsync();
        var result = Install(new()
        {
            ["PATH"] = $"{RealHelm()}:{FakeTools("kubectl")}:/usr/bin:/bin",
            ["KUBECONFIG"] = api.WriteKubeconfig(Dir),
            ["MESH_NAME"] = "bookinfo",
            ["MESH_REGION"] = "eu-west-1",
            ["IMAGE_REPOSITORY"] = Helm.Image,
            ["INJECTOR_NAMESPACE"] = "mesh-infra",
            ["RELEASE_NAME"] = "injector",
        }, "--dry-run");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("install: dry run: manifests for release 'injector' in namespace 'mesh-infra' (mesh 'bookinfo', region 'eu-west-1'); no cluster is contacted\n", result.StdErr);
        var rendered = new Rendered(Helm.LoadStrict(result.StdOut));
        Assert.Equal("injector-appmesh-inject", rendered.Deployment.Metadata.Name);
        Assert.Equal("mesh-infra", rendered.Deployment.Metadata.NamespaceProperty);
        Assert.Equal(["--mesh-name=bookinfo", "--region=eu-west-1"], rendered.Container.Args.Where(a => a.StartsWith("--mesh-name=") || a.StartsWith("--region=")));
        Assert.Equal("injector-appmesh-inject.mesh-infra.svc", rendered.Webhook.Name);
        Assert.Equal($"{Helm.Image}:0.1.0", rendered.Container.Image);
        Assert.Empty(api.Requests);
        Assert.Empty(Directory.GetFiles(Calls));
    }

    [Fact]
    public void Dry_run_region_falls_back_to_AWS_REGION_and_passes_extra_helm_arguments()
    {
        var result = Install(new()
        {
            ["PATH"] = $"{RealHelm()}:/usr/bin:/bin",
            ["MESH_NAME"] = "bookinfo",
            ["AWS_REGION"] = "ap-south-1",
        }, "--dry-run", "--", "--set", "tls.mode=certManager", "--set", $"image.repository={Helm.Image}");

        var rendered = new Rendered(Helm.LoadStrict(result.EnsureSuccess().StdOut));
        Assert.Contains("--region=ap-south-1", rendered.Container.Args);
        Assert.Equal("appmesh-inject", rendered.Deployment.Metadata.Name);
        Assert.Equal("appmesh-system", rendered.Deployment.Metadata.NamespaceProperty);
        Assert.Equal(2, rendered.All<CertManagerCertificate>().Count());
    }

    [Fact]
    public void Install_runs_helm_then_waits_for_the_rollout_and_says_how_to_label_a_namespace()
    {
        var result = Install(new() { ["PATH"] = $"{FakeTools("helm", "kubectl")}:/usr/bin:/bin", ["MESH_NAME"] = "bookinfo", ["MESH_REGION"] = "us-west-2", ["IMAGE_REPOSITORY"] = Helm.Image });

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(
            $"upgrade\n--install\nappmesh-inject\n{Repo.Root}/scripts/../charts/appmesh-inject\n--namespace\nappmesh-system\n" +
            $"--set-string\nmesh.name=bookinfo\n--set-string\nregion=us-west-2\n--set-string\nimage.repository={Helm.Image}\n--create-namespace\n",
            File.ReadAllText(Path.Combine(Calls, "helm")));
        Assert.Equal("--namespace\nappmesh-system\nrollout\nstatus\ndeployment/appmesh-inject\n--timeout\n180s\n",
            File.ReadAllText(Path.Combine(Calls, "kubectl")));
        Assert.Contains("  kubectl label namespace <namespace> appmesh.k8s.aws/sidecarInjectorWebhook=enabled", result.StdErr.Split('\n'));
    }

    [Fact]
    public void It_refuses_without_MESH_NAME()
    {
        var result = Install(new() { ["PATH"] = $"{FakeTools("helm", "kubectl")}:/usr/bin:/bin" });

        Assert.Equal((1, "install: MESH_NAME is required: export MESH_NAME=<your App Mesh mesh name> and run again\n"), (result.ExitCode, result.StdErr));
        Assert.Empty(Directory.GetFiles(Calls));
    }

    [Fact]
    public void It_refuses_a_mesh_name_App_Mesh_would_reject()
    {
        var result = Install(new() { ["PATH"] = $"{FakeTools("helm", "kubectl")}:/usr/bin:/bin", ["MESH_NAME"] = "book info" }, "--dry-run");

        Assert.Equal((1, "install: MESH_NAME 'book info' is not a valid App Mesh name (1-255 letters, digits, '-' or '_')\n"), (result.ExitCode, result.StdErr));
    }

    [Theory]
    [InlineData("helm", new string[0], new[] { "--dry-run" })]
    [InlineData("helm", new[] { "kubectl" }, new string[0])]
    [InlineData("kubectl", new[] { "helm" }, new string[0])]
    public void It_refuses_clearly_when_a_tool_is_missing(string missing, string[] present, string[] args)
    {
        var path = present.Length == 0 ? Directory.CreateDirectory(Path.Combine(Dir, "empty")).FullName : FakeTools(present);
        var result = Install(new() { ["PATH"] = path, ["MESH_NAME"] = "bookinfo", ["MESH_REGION"] = "us-west-2" }, args);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"install: '{missing}' is required but was not found on PATH; install it (https://helm.sh/docs/intro/install/, https://kubernetes.io/docs/tasks/tools/) and run again\n", result.StdErr);
        Assert.Empty(Directory.GetFiles(Calls));
    }

    [Fact]
    public void Dry_run_does_not_need_kubectl()
    {
        var result = Install(new() { ["PATH"] = $"{FakeTools("helm")}", ["MESH_NAME"] = "bookinfo", ["AWS_DEFAULT_REGION"] = "us-west-2" }, "--dry-run");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("install: dry run: manifests for release 'appmesh-inject' in namespace 'appmesh-system' (mesh 'bookinfo', region 'us-west-2'); no cluster is contacted\n", result.StdErr);
        Assert.Equal("template\nappmesh-inject\n", string.Join("\n", File.ReadAllLines(Path.Combine(Calls, "helm")).Take(2)) + "\n");
    }

    [Fact]
    public void It_refuses_to_guess_the_region()
    {
        var result = Install(new() { ["PATH"] = $"{FakeTools("helm", "kubectl")}:/usr/bin:/bin", ["MESH_NAME"] = "bookinfo" });

        Assert.Equal((1, "install: the mesh's AWS region is required: export MESH_REGION=<region> (or AWS_REGION), e.g. us-west-2, and run again\n"), (result.ExitCode, result.StdErr));
        Assert.Empty(Directory.GetFiles(Calls));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Help_is_the_usage_text_also_when_the_script_is_piped_into_bash(bool piped)
    {
        // The text between the usage function's heredoc markers, as the script holds it.
        var usage = File.ReadLines(Script).SkipWhile(l => l != "  cat <<'USAGE'").Skip(1).TakeWhile(l => l != "USAGE");

        // Piped, as docs/install.md shows it (curl ... | bash): the script has no file to read its help from.
        var result = piped
            ? ProcessRunner.Run("/bin/bash", ["-c", $"bash -s -- --help < '{Script}'"], new Dictionary<string, string?> { ["PATH"] = "/usr/bin:/bin" })
            : Install(new() { ["PATH"] = "/usr/bin:/bin" }, "--help");

        Assert.Equal((0, string.Join("\n", usage) + "\n", ""), (result.ExitCode, result.StdOut, result.StdErr));
        Assert.StartsWith("Installs appmesh-inject with Helm", result.StdOut, StringComparison.Ordinal);
        Assert.EndsWith("  ROLLOUT_TIMEOUT      how long to wait for the rollout [180s]\n", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_argument_is_refused()
    {
        var result = Install(new() { ["PATH"] = $"{FakeTools("helm", "kubectl")}:/usr/bin:/bin", ["MESH_NAME"] = "bookinfo" }, "--yes");

        Assert.Equal((1, "install: unknown argument '--yes' (see --help; helm arguments go after --)\n"), (result.ExitCode, result.StdErr));
    }

    public void Dispose() => _temp.Dispose();
}
