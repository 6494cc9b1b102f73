namespace Injector.TestSupport;

/// <summary>For what a server does after it has answered (metrics, caches filled by watches): polled until it
/// holds, failing the test with what was awaited.</summary>
public static class Waiting
{
    public static async Task Until(Func<bool> condition, string what, int seconds = 15)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > until) Assert.Fail("timed out waiting until " + what);
            await Task.Delay(20);
        }
    }
}
