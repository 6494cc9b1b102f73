using System.Collections;

namespace Injector.Configuration.Tests;

public sealed class EnvironmentVariablesTests
{
    [Fact]
    public void The_environment_reads_as_an_ordinal_map_with_empty_values_for_null()
    {
        var variables = new Hashtable { ["APPMESH_NAME"] = "demo", ["appmesh_name"] = "other", ["EMPTY"] = null };

        var environment = EnvironmentVariables.ToDictionary(variables);

        Assert.Equal(["APPMESH_NAME=demo", "EMPTY=", "appmesh_name=other"], environment.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}={e.Value}"));
        Assert.False(environment.ContainsKey("Appmesh_Name"));
    }
}
