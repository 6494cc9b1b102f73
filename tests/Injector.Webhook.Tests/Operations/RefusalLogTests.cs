using System.Net;
using Injector.Webhook.Observability;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Injector.Webhook.Tests.Operations;

/// <summary>Refusal log lines on a clock of the test's: one line per status per window, the next one saying how many
/// were left out, and a reason cut to a bounded length.</summary>
public sealed class RefusalLogTests
{
    private static async Task RefuseAsync(RequestOutcomes outcomes, int status, string reason)
    {
        var http = new DefaultHttpContext();
        http.Request.Path = "/mutate";
        http.Connection.RemoteIpAddress = IPAddress.Parse("10.0.12.7");
        http.Connection.RemotePort = 43211;
        await outcomes.InvokeAsync(http, h =>
        {
            RequestOutcomes.MarkRefused(h, status, reason);
            h.Response.StatusCode = status;
            return Task.CompletedTask;
        });
    }

    [Fact]
    public void The_same_status_is_told_again_after_the_window_with_the_count_and_a_long_reason_is_cut()
    {
        var time = new ManualTime(DateTimeOffset.Parse("2026-11-25T20:15:30Z", System.Globalization.CultureInfo.InvariantCulture));
        var metrics = new InjectorMetrics();
        var longType = "content type must be application/json, not \"text/" + new string('x', 400) + "\"";
        var text = JsonLineLoggerTests.Capture(f =>
        {
            var outcomes = new RequestOutcomes(metrics, f.CreateLogger<RequestOutcomes>(), time);
            for (var i = 0; i < 3; i++) RefuseAsync(outcomes, 400, $"the body is not valid JSON ({i})").GetAwaiter().GetResult();
            RefuseAsync(outcomes, 415, longType).GetAwaiter().GetResult();
            time.Advance(RequestOutcomes.LogWindow);
            RefuseAsync(outcomes, 400, "the body is not valid JSON (3)").GetAwaiter().GetResult();
        });

        var lines = LogLines.Parse(text);
        Assert.Equal(
            [
                (400, "the body is not valid JSON (0)", 0),
                (415, longType[..RequestOutcomes.MaxDetailLength] + "…", 0),
                (400, "the body is not valid JSON (3)", 2),
            ],
            lines.Select(l => ((int)l["status"]!, (string)l["detail"]!, (int)l["suppressed"]!)));
        Assert.All(lines, l => Assert.Equal(("warning", "10.0.12.7:43211"), ((string?)l["level"], (string?)l["remoteAddress"])));
        Assert.Equal(4, metrics.RefusedCount(400));
        Assert.Equal(1, metrics.RefusedCount(415));
    }
}
