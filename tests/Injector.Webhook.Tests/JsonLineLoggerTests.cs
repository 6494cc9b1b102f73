using Injector.Core.Admission;
using Injector.Webhook.Observability;
using Microsoft.Extensions.Logging;

namespace Injector.Webhook.Tests;

public sealed class JsonLineLoggerTests
{
    /// <summary>What the JSON line logger writes for <paramref name="log"/> (every level on), at a fixed time.</summary>
    internal static string Capture(Action<ILoggerFactory> log)
    {
        var output = new MemoryStream();
        var provider = new JsonLineLoggerProvider(output, FixedTime.LogTests);
        using (var factory = LoggerFactory.Create(b => b.AddProvider(provider).SetMinimumLevel(LogLevel.Trace))) log(factory);
        provider.Dispose();
        return System.Text.Encoding.UTF8.GetString(output.ToArray());
    }

    [Fact]
    public void A_decision_is_one_flat_json_line_with_its_fields()
    {
        var request = new AdmissionRequest { Uid = "u-1", Namespace = "shop", DryRun = true };
        var decision = new AdmissionDecision(AdmissionResponse.Allow(), "skipped", "host-network", "the pod uses the host network", TimeSpan.FromMilliseconds(1.5))
        {
            Workload = "agent",
        };

        var text = Capture(f => new DecisionLog(f.CreateLogger<DecisionLog>()).OnDecision(request, decision));

        Assert.Equal(
            """{"time":"2026-11-25T20:15:30.123Z","level":"info","category":"Injector.Webhook.DecisionLog","message":"admission u-1 shop/agent: skipped (host-network): the pod uses the host network in 1.5 ms","uid":"u-1","namespace":"shop","workload":"agent","decision":"skipped","reason":"host-network","detail":"the pod uses the host network","durationMs":1.5,"dryRun":true,"warnings":[]}""" + "\n",
            text);
    }

    [Fact]
    public void A_denial_is_a_warning_and_carries_the_answers_admission_warnings()
    {
        var request = new AdmissionRequest { Uid = "u-2", Namespace = "shop" };
        var message = "annotation appmesh.k8s.aws/cpuRequest: \"lots\" is not valid";
        var response = AdmissionResponse.Deny(message, ["unknown annotation appmesh.k8s.aws/cpuRequests is ignored; did you mean appmesh.k8s.aws/cpuRequest?"]);
        var decision = new AdmissionDecision(response, "denied", "invalid-annotation", message, TimeSpan.FromMilliseconds(0.25)) { Workload = "web" };

        var text = Capture(f => new DecisionLog(f.CreateLogger<DecisionLog>()).OnDecision(request, decision));

        Assert.Equal(
            """{"time":"2026-11-25T20:15:30.123Z","level":"warning","category":"Injector.Webhook.DecisionLog","message":"admission u-2 shop/web: denied (invalid-annotation): annotation appmesh.k8s.aws/cpuRequest: \"lots\" is not valid in 0.25 ms","uid":"u-2","namespace":"shop","workload":"web","decision":"denied","reason":"invalid-annotation","detail":"annotation appmesh.k8s.aws/cpuRequest: \"lots\" is not valid","durationMs":0.25,"dryRun":false,"warnings":["unknown annotation appmesh.k8s.aws/cpuRequests is ignored; did you mean appmesh.k8s.aws/cpuRequest?"]}""" + "\n",
            text);
    }

    [Fact]
    public void An_injection_line_does_not_repeat_the_decision_in_its_message()
    {
        var request = new AdmissionRequest { Uid = "u-3", Namespace = "bookinfo" };
        var decision = new AdmissionDecision(AdmissionResponse.Allow(), "injected", "injected", "injected into mesh demo as virtual node details-v1-bookinfo", TimeSpan.FromMilliseconds(0.123456))
        {
            Workload = "details-v1",
        };

        var line = LogLines.Parse(Capture(f => new DecisionLog(f.CreateLogger<DecisionLog>()).OnDecision(request, decision))).Single();

        Assert.Equal("admission u-3 bookinfo/details-v1: injected into mesh demo as virtual node details-v1-bookinfo in 0.123 ms", (string?)line["message"]);
        var words = ((string)line["message"]!).Split(' ');
        Assert.Equal(1, words.Count(w => w == "injected"));
        Assert.Equal(("info", "injected", "injected"), ((string?)line["level"], (string?)line["decision"], (string?)line["reason"]));
    }

    [Fact]
    public void Every_entry_is_written_in_order_and_exceptions_are_included()
    {
        var text = Capture(f =>
        {
            var logger = f.CreateLogger("Test");
            for (var i = 0; i < 500; i++) logger.LogWarning("line {Number}", i);
            logger.LogError(new InvalidOperationException("boom"), "failed");
        });

        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(501, lines.Length);
        Assert.Equal("""{"time":"2026-11-25T20:15:30.123Z","level":"warning","category":"Test","message":"line 499","number":499}""", lines[499]);
        Assert.Equal("""{"time":"2026-11-25T20:15:30.123Z","level":"error","category":"Test","message":"failed","exception":"System.InvalidOperationException: boom"}""", lines[500]);
    }

    [Fact]
    public void A_full_queue_drops_the_newest_lines_and_keeps_the_rest_in_order()
    {
        var output = new HeldStream();
        var provider = new JsonLineLoggerProvider(output, FixedTime.LogTests);
        var logger = provider.CreateLogger("Test");
        logger.LogWarning("line {Number}", 0);
        // The writer has taken line 0 and is stuck writing it: what follows waits in the queue.
        Assert.True(output.Entered.Wait(TimeSpan.FromSeconds(30)));
        for (var i = 1; i <= JsonLineLoggerProvider.QueueCapacity + 10; i++) logger.LogWarning("line {Number}", i);
        output.Release.Set();
        provider.Dispose();

        var numbers = LogLines.Parse(output.Text).Select(l => (int)l["number"]!).ToList();
        Assert.Equal(Enumerable.Range(0, JsonLineLoggerProvider.QueueCapacity + 1), numbers);
    }

    [Fact]
    public void Lines_from_many_threads_are_each_whole_and_in_each_threads_order()
    {
        const int Threads = 4, Lines = 2_500;
        // Lengths that cross the writer's 16 KB blocks at every offset, and now and then a line longer than a block.
        static int PaddingOf(int line) => line % 500 == 499 ? 20_000 : line * 37 % 3_000;
        var text = Capture(f =>
        {
            var logger = f.CreateLogger("Test");
            var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
            {
                for (var i = 0; i < Lines; i++) logger.LogInformation("thread {Thread} line {Number}: {Padding}", t, i, new string((char)('a' + t), PaddingOf(i)));
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
        });

        var lines = LogLines.Parse(text);
        Assert.Equal(Threads * Lines, lines.Count);
        for (var t = 0; t < Threads; t++)
        {
            var own = lines.Where(l => (int)l["thread"]! == t).ToList();
            Assert.Equal(Enumerable.Range(0, Lines), own.Select(l => (int)l["number"]!));
            Assert.All(own, l => Assert.Equal(new string((char)('a' + t), PaddingOf((int)l["number"]!)), (string?)l["padding"]));
        }
    }

    [Fact]
    public void Two_messages_sharing_a_state_type_each_name_their_own_fields()
    {
        var first = LoggerMessage.Define<int, string>(LogLevel.Information, new EventId(1), "first {Alpha} {Gamma}");
        var second = LoggerMessage.Define<int, string>(LogLevel.Information, new EventId(2), "second {Beta} {Delta}");

        var text = Capture(f =>
        {
            var logger = f.CreateLogger("Test");
            for (var i = 0; i < 2; i++)
            {
                first(logger, i, "g", null);
                second(logger, i, "d", null);
            }
        });

        Assert.Equal(
            """
            {"time":"2026-11-25T20:15:30.123Z","level":"info","category":"Test","message":"first 0 g","alpha":0,"gamma":"g"}
            {"time":"2026-11-25T20:15:30.123Z","level":"info","category":"Test","message":"second 0 d","beta":0,"delta":"d"}
            {"time":"2026-11-25T20:15:30.123Z","level":"info","category":"Test","message":"first 1 g","alpha":1,"gamma":"g"}
            {"time":"2026-11-25T20:15:30.123Z","level":"info","category":"Test","message":"second 1 d","beta":1,"delta":"d"}

            """.ReplaceLineEndings("\n"),
            text);
    }

    [Fact]
    public void A_state_typed_as_object_still_has_its_fields_and_a_line_longer_than_a_block_is_written_whole()
    {
        var detail = string.Concat(Enumerable.Repeat("0123456789", 4_000));
        object state = new Fields([new("Count", 3), new("Ratio", 0.12345), new("Detail", detail), new("Missing", null), new("{OriginalFormat}", "ignored")]);

        var text = Capture(f => f.CreateLogger("Test").Log(LogLevel.Debug, new EventId(7), state, null, (_, _) => "custom"));

        Assert.Equal(
            $$"""{"time":"2026-11-25T20:15:30.123Z","level":"debug","category":"Test","message":"custom","count":3,"ratio":0.123,"detail":"{{detail}}","missing":null}""" + "\n",
            text);
    }

    [Fact]
    public void A_closed_output_loses_the_lines_of_that_write_only_and_never_fails_the_caller()
    {
        var output = new ClosedOnceStream();
        var provider = new JsonLineLoggerProvider(output, FixedTime.LogTests);
        var logger = provider.CreateLogger("Test");
        logger.LogWarning("line {Number}", 0);
        Assert.True(output.Failed.Wait(TimeSpan.FromSeconds(30)));
        logger.LogWarning("line {Number}", 1);
        provider.Dispose();
        logger.LogWarning("line {Number}", 2);

        Assert.Equal("""{"time":"2026-11-25T20:15:30.123Z","level":"warning","category":"Test","message":"line 1","number":1}""" + "\n", output.Text);
    }

    [Fact]
    public void Closing_writes_what_is_queued_without_waiting_out_the_batch_window()
    {
        // A clock whose timers never fire: the writer's batch window after the first line never ends by itself.
        var output = new OpenStream();
        var provider = new JsonLineLoggerProvider(output, new TimersThatNeverFire());
        var logger = provider.CreateLogger("Test");
        logger.LogWarning("line {Number}", 1);
        Assert.True(SpinWait.SpinUntil(() => output.Text.Length > 0, TimeSpan.FromSeconds(30)), "the first line is written");
        logger.LogWarning("line {Number}", 2);

        var closing = System.Diagnostics.Stopwatch.StartNew();
        provider.Dispose();

        // Waiting out the window would end at Dispose's 2 s cap, with the second line lost.
        Assert.True(closing.Elapsed < TimeSpan.FromSeconds(1), $"Dispose took {closing.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal(
            """{"time":"2026-11-25T20:15:30.123Z","level":"warning","category":"Test","message":"line 1","number":1}""" + "\n" +
            """{"time":"2026-11-25T20:15:30.123Z","level":"warning","category":"Test","message":"line 2","number":2}""" + "\n",
            output.Text);
    }

    private sealed class TimersThatNeverFire : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => FixedTime.LogTests.GetUtcNow();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => new Never();

        private sealed class Never : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;
            public void Dispose() { }
            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }

    private sealed class Fields(KeyValuePair<string, object?>[] fields) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public KeyValuePair<string, object?> this[int index] => fields[index];
        public int Count => fields.Length;
        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)fields).GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    [Fact]
    public async Task A_line_logged_after_the_writer_has_gone_idle_is_written_without_waiting_for_another()
    {
        var output = new OpenStream();
        using var provider = new JsonLineLoggerProvider(output, FixedTime.LogTests);
        var logger = provider.CreateLogger("idle");
        for (var round = 1; round <= 5; round++)
        {
            logger.LogInformation("line {Round}", round);
            // Not disposed, so only the writer's own wake-up can bring the line out.
            await Waiting.Until(() => output.Text.Contains($"\"round\":{round}", StringComparison.Ordinal), $"line {round} is written");
            // Past the batch window: the writer has drained the queue and waits for the next line.
            await Task.Delay(100);
        }
        Assert.Equal(5, output.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void A_standard_output_nobody_reads_blocks_a_thread_of_the_loggers_own_not_one_of_the_pool()
    {
        var output = new HeldStream();
        var provider = new JsonLineLoggerProvider(output, FixedTime.LogTests);
        provider.CreateLogger("Test").LogWarning("line {Number}", 1);
        Assert.True(output.Entered.Wait(TimeSpan.FromSeconds(30)), "the writer writes");

        // While the write is blocked, the pool has every thread it had for reviews.
        output.Release.Set();
        provider.Dispose();

        Assert.Equal((false, true, "JSON line log writer"), output.Writer);
        Assert.Equal("""{"time":"2026-11-25T20:15:30.123Z","level":"warning","category":"Test","message":"line 1","number":1}""" + "\n", output.Text);
    }

    private sealed class OpenStream : CollectingStream;

    /// <summary>Output whose first write waits until <see cref="Release"/> is set, as a stdout nobody reads.</summary>
    private sealed class HeldStream : CollectingStream
    {
        public ManualResetEventSlim Entered { get; } = new();
        public ManualResetEventSlim Release { get; } = new();
        /// <summary>The thread that made the first write: a pool thread's, a background thread's, its name.</summary>
        public (bool Pool, bool Background, string? Name)? Writer { get; private set; }

        protected override void Accept(ReadOnlySpan<byte> bytes)
        {
            Writer ??= (Thread.CurrentThread.IsThreadPoolThread, Thread.CurrentThread.IsBackground, Thread.CurrentThread.Name);
            Entered.Set();
            Release.Wait();
            base.Accept(bytes);
        }
    }

    /// <summary>Output whose first write fails as a closed stdout does; later writes arrive.</summary>
    private sealed class ClosedOnceStream : CollectingStream
    {
        public ManualResetEventSlim Failed { get; } = new();

        protected override void Accept(ReadOnlySpan<byte> bytes)
        {
            if (!Failed.IsSet)
            {
                Failed.Set();
                throw new IOException("Broken pipe");
            }
            base.Accept(bytes);
        }
    }

    private abstract class CollectingStream : Stream
    {
        private readonly MemoryStream _bytes = new();

        public string Text
        {
            get
            {
                lock (_bytes) return System.Text.Encoding.UTF8.GetString(_bytes.ToArray());
            }
        }

        protected virtual void Accept(ReadOnlySpan<byte> bytes)
        {
            lock (_bytes) _bytes.Write(bytes);
        }

        public override void Write(byte[] buffer, int offset, int count) => Accept(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer) => Accept(buffer);
        public override void Flush() { }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
