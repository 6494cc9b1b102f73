using System.Xml.Linq;

namespace Injector.Shipping.Tests;

/// <summary>Each room uses only what it may: the engine nothing of the hosts, the webhook nothing of the
/// manifest library or the command-line tool.</summary>
public class ProjectReferenceTests
{
    private static List<string> ProjectReferences(string project) =>
        XDocument.Load(Path.Combine(Repo.Root, "src", project, project + ".csproj"))
            .Descendants("ProjectReference")
            .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value.Replace('\\', '/')))
            .ToList();

    [Fact]
    public void The_engine_references_no_other_project_and_names_no_host_namespace()
    {
        Assert.Empty(ProjectReferences("Injector.Core"));
        var mentions = Directory.EnumerateFiles(Path.Combine(Repo.Root, "src", "Injector.Core"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => File.ReadLines(f).Any(l => l.Contains("Injector.Manifests", StringComparison.Ordinal) || l.Contains("Injector.Cli", StringComparison.Ordinal) || l.Contains("Injector.Webhook", StringComparison.Ordinal)))
            .Select(f => Path.GetRelativePath(Repo.Root, f));
        Assert.Empty(mentions);
    }

    [Fact]
    public void The_webhook_does_not_reference_the_manifest_library_or_the_command_line_tool()
    {
        var references = ProjectReferences("Injector.Webhook");

        Assert.Contains("Injector.Core", references);
        Assert.DoesNotContain("Injector.Manifests", references);
        Assert.DoesNotContain("Injector.Cli", references);
    }

    [Fact]
    public void The_manifest_library_references_the_engine_and_no_host()
    {
        var references = ProjectReferences("Injector.Manifests");

        Assert.Contains("Injector.Core", references);
        Assert.DoesNotContain("Injector.Webhook", references);
        Assert.DoesNotContain("Injector.Cli", references);
    }
}
