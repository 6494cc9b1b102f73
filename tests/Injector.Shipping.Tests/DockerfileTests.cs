using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Injector.Shipping.Tests;

public partial class DockerfileTests
{
    private static readonly string[] Lines = File.ReadAllLines(Path.Combine(Repo.Root, "Dockerfile"))
        .Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();

    private static string[] Stage(string name)
    {
        var start = Array.FindIndex(Lines, l => l.StartsWith("FROM ") && l.EndsWith($" AS {name}"));
        var next = Array.FindIndex(Lines, start + 1, l => l.StartsWith("FROM "));
        return Lines[start..(next < 0 ? Lines.Length : next)];
    }

    [Fact]
    public void It_builds_with_the_SDK_and_runs_on_the_chiseled_ASP_NET_runtime()
    {
        Assert.Equal(
            ["FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:10.0 AS build", "FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled AS runtime"],
            Lines.Where(l => l.StartsWith("FROM ")));
        // The build stage compiles for the platform being built, which only BuildKit's TARGETARCH names.
        Assert.Contains("ARG TARGETARCH", Stage("build"));
    }

    [Fact]
    public void The_final_image_holds_only_the_published_app()
    {
        Assert.Equal(["COPY --from=build /app ./"], Stage("runtime").Where(l => l.StartsWith("COPY ")));
        Assert.DoesNotContain(Stage("runtime"), l => l.StartsWith("RUN "));
    }

    [Fact]
    public void CI_runs_the_same_publish_command_as_the_image_build_for_both_architectures()
    {
        var dockerPublish = Assert.Single(Stage("build"), l => l.StartsWith("RUN dotnet publish"))["RUN ".Length..];
        var ci = File.ReadAllLines(Path.Combine(Repo.Root, ".ci", "run"));
        var ciPublish = Assert.Single(ci, l => l.StartsWith("dotnet publish"));

        Assert.Equal("dotnet publish src/Injector.Webhook -c Release -a $TARGETARCH --self-contained false -p:PublishReadyToRun=true -o /app", dockerPublish);
        Assert.Equal(OutputFolder().Replace(dockerPublish, "-o <dir>"), OutputFolder().Replace(ciPublish, "-o <dir>"));
        // CI sets TARGETARCH as BuildKit does, for the two platforms EKS nodes run on.
        Assert.Equal(ciPublish, ci[Array.IndexOf(ci, "for TARGETARCH in amd64 arm64; do") + 1]);
    }

    [Fact]
    public void User_port_and_entrypoint_match_the_chart_and_the_webhook_assembly()
    {
        var runtime = Stage("runtime");
        var deployment = Helm.Render().Deployment;
        var pod = deployment.Spec.Template.Spec;
        var assembly = XDocument.Load(Path.Combine(Repo.Root, "src", "Injector.Webhook", "Injector.Webhook.csproj"))
            .Descendants("AssemblyName").Single().Value;

        Assert.Equal($"USER {pod.SecurityContext.RunAsUser}:{pod.SecurityContext.RunAsGroup}", Assert.Single(runtime, l => l.StartsWith("USER ")));
        Assert.NotEqual(0, pod.SecurityContext.RunAsUser);
        Assert.Equal($"EXPOSE {pod.Containers[0].Ports[0].ContainerPort}", Assert.Single(runtime, l => l.StartsWith("EXPOSE ")));
        Assert.Equal($"ENTRYPOINT [\"dotnet\", \"{assembly}.dll\"]", Assert.Single(runtime, l => l.StartsWith("ENTRYPOINT ")));
        Assert.Null(pod.Containers[0].Command);
    }

    [GeneratedRegex(@"-o \S+")]
    private static partial Regex OutputFolder();
}
