using Injector.Core.Admission;
using Injector.Core.Injection;

namespace Injector.Tests.Unit;

/// <summary>A pod CREATE without <c>request.object</c> is the client's error, not the injector's: it is denied as an
/// invalid pod (a reason metrics list from start-up), not counted as an error (which the chart's critical alert
/// reads as the injector failing).</summary>
public class MissingObjectTests
{
    [Fact]
    public async Task A_create_without_an_object_is_denied_as_an_invalid_pod()
    {
        var handler = new AdmissionHandler(new PodInjector(TestPods.Settings));

        var decision = await handler.HandleAsync(Reviews.Request(TestPods.Web()) with { Pod = null });

        Assert.Equal((AdmissionDecision.ResultDenied, Reasons.InvalidPod, "request.object is missing"), (decision.Result, decision.Reason, decision.Message));
        Assert.False(decision.Response.Allowed);
    }
}

/// <summary>What a skipped request that is not a pod was, in the decision's message (and so its log line).</summary>
public class NotAPodMessageTests
{
    [Theory]
    [InlineData("", "pods", "exec", "pods/exec is a subresource, not a pod")]
    [InlineData("", "pods", "status", "pods/status is a subresource, not a pod")]
    [InlineData("", "configmaps", null, "configmaps is not a pod")]
    [InlineData("apps", "deployments", null, "apps/deployments is not a pod")]
    [InlineData("", "", null, "the request names no resource, so it is not a pod")]
    public async Task The_message_names_the_resource_and_its_subresource(string group, string resource, string? subResource, string message)
    {
        var handler = new AdmissionHandler(new PodInjector(TestPods.Settings));

        var decision = await handler.HandleAsync(Reviews.Request(TestPods.Web()) with { Group = group, Resource = resource, SubResource = subResource });

        Assert.Equal((AdmissionDecision.ResultSkipped, Reasons.NotAPod, message), (decision.Result, decision.Reason, decision.Message));
        Assert.True(decision.Response.Allowed);
    }
}

