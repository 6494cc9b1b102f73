namespace Injector.Cli.Tests;

/// <summary>Skips only when kubectl is not there (KUBECTL, else .tools/kubectl/kubectl from scripts/fetch-tools.sh,
/// which CI runs first).</summary>
public sealed class KubectlFactAttribute : FactAttribute
{
    public static string? Path
    {
        get
        {
            var fromEnv = Environment.GetEnvironmentVariable("KUBECTL");
            var path = string.IsNullOrEmpty(fromEnv) ? System.IO.Path.Combine(RepoPaths.Root, ".tools", "kubectl", "kubectl") : fromEnv;
            return File.Exists(path) ? path : null;
        }
    }

    public KubectlFactAttribute()
    {
        if (Path is null) Skip = "kubectl not found: run scripts/fetch-tools.sh (it puts kubectl in .tools/) or set KUBECTL";
    }
}

/// <summary>The pipeline the docs show, run as a user runs it: the command's output piped into a real
/// <c>kubectl apply --dry-run=client</c> against the fake API server (which answers discovery and 404s).</summary>
public sealed class KubectlPipelineTests
{
    private const string Manifests = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: shop
          labels:
            appmesh.k8s.aws/sidecarInjectorWebhook: enabled
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: shop}
        spec:
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers: [{name: web, image: "web:1", ports: [{containerPort: 8080}]}]
        ---
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: db, namespace: shop}
        spec:
          serviceName: db
          selector: {matchLabels: {app: db}}
          template:
            metadata: {labels: {app: db}}
            spec:
              containers: [{name: db, image: "postgres:16"}]
        ---
        apiVersion: batch/v1
        kind: Job
        metadata: {name: migrate, namespace: shop}
        spec:
          template:
            spec:
              restartPolicy: Never
              containers: [{name: migrate, image: "migrate:1"}]
        ---
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: report, namespace: shop}
        spec:
          schedule: "0 3 * * *"
          jobTemplate:
            spec:
              template:
                spec:
                  restartPolicy: OnFailure
                  containers: [{name: report, image: "report:1"}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: shop}
        spec:
          selector: {app: web}
          ports: [{port: 80, targetPort: 8080}]
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: settings, namespace: shop}
        data: {level: debug}

        """;

    private static string CliDll => System.IO.Path.Combine(AppContext.BaseDirectory, "appmesh-inject.dll");

    [KubectlFact]
    public async Task Kubectl_accepts_every_injected_document_in_a_client_dry_run()
    {
        await using var api = await FakeApiServer.StartAsync();
        using var dir = new TempDir("kubectl");
        var kubeconfig = api.WriteKubeconfig(dir.Path);
        var input = dir.Write("app.yaml", Manifests);

        var result = ProcessRunner.Run("bash",
        [
            "-c",
            "set -o pipefail; dotnet \"$CLI\" inject -q --mesh-name demo --region us-west-2 --offline \"$INPUT\" | \"$KUBECTL\" apply --dry-run=client --validate=false --kubeconfig \"$KUBECONFIG_FILE\" -f -",
        ], new Dictionary<string, string?> { ["CLI"] = CliDll, ["INPUT"] = input, ["KUBECTL"] = KubectlFactAttribute.Path, ["KUBECONFIG_FILE"] = kubeconfig, ["KUBECONFIG"] = null });

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("""
            namespace/shop created (dry run)
            deployment.apps/web created (dry run)
            statefulset.apps/db created (dry run)
            job.batch/migrate created (dry run)
            cronjob.batch/report created (dry run)
            service/web created (dry run)
            configmap/settings created (dry run)

            """, result.StdOut);
        // kubectl looked each object up (404: created) and sent nothing that changes the cluster.
        Assert.Contains(api.Requests, r => r is { Method: "GET", Path: "/apis/apps/v1/namespaces/shop/deployments/web" });
        Assert.DoesNotContain(api.Requests, r => r.Method is "POST" or "PATCH" or "PUT");
    }

    [KubectlFact]
    public async Task A_failed_document_makes_the_pipeline_apply_nothing_and_fail()
    {
        await using var api = await FakeApiServer.StartAsync();
        using var dir = new TempDir("kubectl");
        var kubeconfig = api.WriteKubeconfig(dir.Path);
        var input = dir.Write("app.yaml", Manifests + "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\n  namespace: shop\n  annotations: {appmesh.k8s.aws/cpuLimit: lots}\nspec:\n  containers: [{name: a, image: b}]\n");

        var result = ProcessRunner.Run("bash",
        [
            "-c",
            "set -o pipefail; dotnet \"$CLI\" inject -q --mesh-name demo --region us-west-2 --offline \"$INPUT\" | \"$KUBECTL\" apply --dry-run=client --validate=false --kubeconfig \"$KUBECONFIG_FILE\" -f -",
        ], new Dictionary<string, string?> { ["CLI"] = CliDll, ["INPUT"] = input, ["KUBECTL"] = KubectlFactAttribute.Path, ["KUBECONFIG_FILE"] = kubeconfig, ["KUBECONFIG"] = null });

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.StdOut);
        Assert.Contains("appmesh-inject: 1 document failed, so nothing was written to standard output; fix it, or pass --continue-on-error to write the others\n", result.StdErr);
        Assert.Contains("error: no objects passed to apply\n", result.StdErr);
    }
}
