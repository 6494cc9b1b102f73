using System.Xml.Linq;

namespace Injector.Shipping.Tests;

/// <summary>Each room uses only what it may: the engine nothing of the hosts, the webhook nothing of the
/// manifest library or the command-line tool.</summary>
public class ProjectReferenceTests
{
    private static List<string> ProjectReferences(string project) => References(project, "ProjectReference")
        .Select(include => Path.GetFileNameWithoutExtension(include.Replace('\\', '/')))
        .ToList();

    private static IEnumerable<string> References(string project, string item) =>
        XDocument.Load(Path.Combine(Repo.Root, "src", project, project + ".csproj"))
            .Descendants(item)
            .Select(r => r.Attribute("Include")!.Value);

    /// <summary>The "may use" column of the README's Architecture table, by project.</summary>
    private static Dictionary<string, List<string>> ReadmeRules()
    {
        var readme = File.ReadAllText(Path.Combine(Repo.Root, "README.md"));
        var section = readme[readme.IndexOf("\n## Architecture\n", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n## ", 5, StringComparison.Ordinal)];
        return section.Split('\n')
            .Where(l => l.StartsWith("| `src/", StringComparison.Ordinal))
            .Select(l => l.Split('|', StringSplitOptions.TrimEntries))
            .ToDictionary(
                cells => cells[1].Trim('`')["src/".Length..],
                cells => cells[3] == "nothing" ? [] : cells[3].Split(", ").Order(StringComparer.Ordinal).ToList());
    }

    [Fact]
    public void The_READMEs_architecture_table_is_exactly_what_each_project_references()
    {
        var projects = Directory.GetDirectories(Path.Combine(Repo.Root, "src")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        var rules = ReadmeRules();

        Assert.Equal(projects, rules.Keys.Order(StringComparer.Ordinal));
        foreach (var project in projects)
        {
            var actual = ProjectReferences(project!).Concat(References(project!, "PackageReference")).Order(StringComparer.Ordinal).ToList();
            Assert.True(rules[project!].SequenceEqual(actual), $"{project}: README says [{string.Join(", ", rules[project!])}], the project references [{string.Join(", ", actual)}]");
        }
    }

    [Fact]
    public void The_engine_references_no_other_project_no_package_and_names_no_host_namespace()
    {
        Assert.Empty(ProjectReferences("Injector.Core"));
        Assert.Empty(References("Injector.Core", "PackageReference"));
        // Code that names a host's namespace (comments may name them).
        string[] hosts = ["Injector.Configuration", "Injector.Manifests", "Injector.Cli", "Injector.Webhook"];
        var mentions = Directory.EnumerateFiles(Path.Combine(Repo.Root, "src", "Injector.Core"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => File.ReadLines(f).Any(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal) && hosts.Any(h => l.Contains(h, StringComparison.Ordinal))))
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
