using k8s;
using k8s.Models;

namespace Injector.Shipping.Tests;

/// <summary>Every injected golden pod is a pod the Kubernetes API knows field by field: loaded strictly
/// into KubernetesClient's models (an unknown or misspelt field throws), it keeps unique container names,
/// env entries with a value or a field reference, and volume mounts of existing volumes.</summary>
public class GoldenPodModelTests
{
    // unknown-fields carries fields newer than any model on purpose.
    public static TheoryData<string> Cases()
    {
        var cases = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(GoldenCases.Directory, "*.yaml").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            if (name != "unknown-fields") cases.Add(name);
        }
        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_injected_pod_loads_strictly_into_the_Kubernetes_model(string name)
    {
        var pod = KubernetesYaml.Deserialize<V1Pod>(File.ReadAllText(GoldenCases.GoldenPath(name)), strict: true);

        var containers = pod.Spec.Containers.Concat(pod.Spec.InitContainers ?? []).ToList();
        Assert.Equal(containers.Count, containers.Select(c => c.Name).Distinct().Count());
        var volumes = (pod.Spec.Volumes ?? []).Select(v => v.Name).ToHashSet();
        foreach (var container in containers)
        {
            Assert.All(container.Env ?? [], e => Assert.True(e.Value is not null ^ e.ValueFrom?.FieldRef?.FieldPath is not null, $"{container.Name} {e.Name}"));
            Assert.All(container.VolumeMounts ?? [], m => Assert.Contains(m.Name, volumes));
        }
    }
}
