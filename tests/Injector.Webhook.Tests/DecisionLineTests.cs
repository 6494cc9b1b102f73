using System.Reflection;
using Injector.Core.Admission;
using Injector.Webhook.Observability;
using Microsoft.Extensions.Logging;

namespace Injector.Webhook.Tests;

/// <summary>The decision lines' message is written from the template of the generated state (no string per line): each
/// line is pinned, and compared with the line the state's own generated formatter and its boxed entries write (the
/// logger's path for any other state).</summary>
public sealed class DecisionLineTests
{
    private const string Head = """{"time":"2026-11-25T20:15:30.123Z","level":"info","category":"Injector.Webhook.DecisionLog",""";

    /// <summary>The same state written through the logger's general path: the generated formatter's string, the
    /// entries read from the state as a list of boxed values.</summary>
    private static string ThroughTheFormatter(string method, LogLevel level, object?[] values)
    {
        var type = typeof(WebhookLog).GetNestedType($"__{method}Struct", BindingFlags.NonPublic)!;
        var state = Activator.CreateInstance(type, values)!;
        var format = (Delegate)type.GetField("Format")!.GetValue(null)!;
        var message = (string)format.DynamicInvoke(state, null)!;
        return JsonLineLoggerTests.Capture(f => f.CreateLogger<DecisionLog>().Log<object>(level, new EventId(1, method), state, null, (_, _) => message));
    }

    private static string Injected(object?[] values) => JsonLineLoggerTests.Capture(f => WebhookLog.Injected(f.CreateLogger<DecisionLog>(),
        (string)values[0]!, (string)values[1]!, (string?)values[2], (string)values[3]!, (string)values[4]!, (string)values[5]!, (double)values[6]!, (bool)values[7]!, (IReadOnlyList<string>)values[8]!));

    private static string Decision(LogLevel level, object?[] values) => JsonLineLoggerTests.Capture(f => WebhookLog.Decision(f.CreateLogger<DecisionLog>(), level,
        (string)values[0]!, (string)values[1]!, (string?)values[2], (string)values[3]!, (string)values[4]!, (string)values[5]!, (double)values[6]!, (bool)values[7]!, (IReadOnlyList<string>)values[8]!));

    public static TheoryData<string, double, string, string> Numbers => new()
    {
        // The message has the value as given, the field the value rounded to three decimals.
        { "zero", 0, "0", "0" },
        { "a tenth", 0.1, "0.1", "0.1" },
        { "tiny", 1e-7, "1E-07", "0" },
        { "five digits", 12345.678, "12345.678", "12345.678" },
        { "rounded in the field", 0.30000000000000004, "0.30000000000000004", "0.3" },
        { "negative zero", -0.0, "-0", "-0" },
        { "large", 1e21, "1E+21", "1E+21" },
        { "long", 123456789.25, "123456789.25", "123456789.25" },
    };

    [Theory]
    [MemberData(nameof(Numbers))]
    public void A_duration_is_written_as_the_formatter_writes_it(string name, double duration, string inMessage, string inField)
    {
        object?[] values = ["u-1", "shop", "web", "injected", "injected", "injected into mesh demo", duration, false, Array.Empty<string>()];

        var line = Injected(values);

        Assert.True(line == $$"""{{Head}}"message":"admission u-1 shop/web: injected into mesh demo in {{inMessage}} ms","uid":"u-1","namespace":"shop","workload":"web","decision":"injected","reason":"injected","detail":"injected into mesh demo","durationMs":{{inField}},"dryRun":false,"warnings":[]}""" + "\n", $"{name}: {line}");
        Assert.Equal(ThroughTheFormatter("Injected", LogLevel.Information, values), line);
    }

    [Fact]
    public void Values_needing_escapes_are_escaped_as_before_and_a_placeholder_in_a_value_stays_text()
    {
        // Quotes, a backslash, control characters, non-ASCII (a line separator, an emoji), a lone surrogate, and text
        // that looks like the template's placeholders.
        object?[] values = ["u-\"1\"", "sh\\op", "w\u0001e\nb\t", "denied", "invalid-annotation", "é 日本 \u2028 \U0001F600 {Uid} {{Detail}} \ud800 <&>'", 0.25, true, new[] { "a \"quoted\" warning", "\u0007" }];

        var line = Decision(LogLevel.Warning, values);

        Assert.Equal(
            """{"time":"2026-11-25T20:15:30.123Z","level":"warning","category":"Injector.Webhook.DecisionLog","message":"admission u-\"1\" sh\\op/w\u0001e\nb\t: denied (invalid-annotation): é 日本 \u2028 \uD83D\uDE00 {Uid} {{Detail}} \uFFFD <&>' in 0.25 ms","uid":"u-\"1\"","namespace":"sh\\op","workload":"w\u0001e\nb\t","decision":"denied","reason":"invalid-annotation","detail":"é 日本 \u2028 \uD83D\uDE00 {Uid} {{Detail}} \uFFFD <&>'","durationMs":0.25,"dryRun":true,"warnings":["a \"quoted\" warning","\u0007"]}""" + "\n",
            line);
        Assert.Equal(ThroughTheFormatter("Decision", LogLevel.Warning, values), line);
    }

    [Fact]
    public void A_null_workload_is_empty_in_the_message_and_null_in_its_field()
    {
        object?[] values = ["u-1", "shop", null, "skipped", "no-owner", "the pod has no owner", 1.5, false, new List<string> { "one", "two" }];

        var line = Decision(LogLevel.Information, values);

        Assert.Equal(
            $$"""{{Head}}"message":"admission u-1 shop/: skipped (no-owner): the pod has no owner in 1.5 ms","uid":"u-1","namespace":"shop","workload":null,"decision":"skipped","reason":"no-owner","detail":"the pod has no owner","durationMs":1.5,"dryRun":false,"warnings":["one","two"]}""" + "\n",
            line);
        Assert.Equal(ThroughTheFormatter("Decision", LogLevel.Information, values), line);
    }

    [Fact]
    public void Lines_of_one_thread_in_a_row_each_have_their_own_duration()
    {
        var request = new AdmissionRequest { Uid = "u-1", Namespace = "shop" };
        AdmissionDecision Decided(double milliseconds) =>
            new(AdmissionResponse.Allow(), "skipped", "host-network", "the pod uses the host network", TimeSpan.FromMilliseconds(milliseconds)) { Workload = "agent" };

        var text = JsonLineLoggerTests.Capture(f =>
        {
            var log = new DecisionLog(f.CreateLogger<DecisionLog>());
            foreach (var milliseconds in new[] { 0.5, 0.5, 0.0004, 2.0005, 0.5 }) log.OnDecision(request, Decided(milliseconds));
        });

        Assert.Equal(
            ["0.5 ms:0.5", "0.5 ms:0.5", "0 ms:0", "2.001 ms:2.001", "0.5 ms:0.5"],
            LogLines.Parse(text).Select(l => $"{((string)l["message"]!).Split(" in ")[1]}:{l["durationMs"]!.ToJsonString()}"));
    }
}
