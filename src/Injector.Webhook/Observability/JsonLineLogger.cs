using System.Buffers;
using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Injector.Webhook.Observability;

/// <summary>Writes every log entry as one flat JSON object per line (<c>time</c>, <c>level</c>,
/// <c>category</c>, <c>message</c>, then the entry's own fields), formatted on the caller's thread into a
/// reused buffer and written by one background thread of its own. It replaces the JSON console logger, whose
/// formatting and queue lock cost about a fifth of a review's CPU (docs/performance.md).</summary>
public sealed class JsonLineLoggerProvider : ILoggerProvider
{
    /// <summary>Lines waiting for the writer; beyond this a burst drops lines rather than memory.</summary>
    public const int QueueCapacity = 16_384;
    private const int FlushBytes = 64 * 1024;
    /// <summary>After each write the writer waits this long, so that under load one write carries many
    /// lines instead of one wake-up and one system call per review.</summary>
    private static readonly TimeSpan BatchWindow = TimeSpan.FromMilliseconds(20);

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;
    /// <summary>The block this thread appends its lines to.</summary>
    [ThreadStatic] private static Block? t_block;
    /// <summary>Blocks every line of which is written, for reuse; at most <see cref="FreeBlocksKept"/>.</summary>
    private static readonly ConcurrentQueue<Block> FreeBlocks = new();
    private static int FreeBlockCount;
    private const int FreeBlocksKept = 64;

    private readonly Stream _output;
    private readonly TimeProvider _time;
    /// <summary>Lines for the writer, in order; a lock-free queue, so callers on several threads never wait for
    /// each other or for the writer.</summary>
    private readonly ConcurrentQueue<Line> _lines = new();
    /// <summary>Lines queued and not yet taken by the writer: the capacity rule.</summary>
    private int _queued;
    /// <summary>1 while the writer waits for a line; the caller that queues the first line wakes it, every other
    /// line is queued without signalling anyone.</summary>
    private int _writerIdle;
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _closed;
    /// <summary>Set by <see cref="Dispose"/>, so that closing never waits out the writer's batch window.</summary>
    private readonly TaskCompletionSource _closing = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>A thread of its own, not the thread pool's: a write to a standard output nobody reads blocks it, and
    /// a blocked pool thread held up every review until the pool added another (measured at the chart's one-CPU
    /// limit: p99 0.65–0.93 s in the first seconds, docs/performance.md "Fourteenth pass").</summary>
    private readonly Thread _writer;
    private readonly Func<string, Exception?, bool> _drop;

    /// <param name="output">Where the lines go (standard output).</param>
    /// <param name="time">The clock of the <c>time</c> field.</param>
    /// <param name="drop">Entries not to write, by category and exception: a failure the host reports in a
    /// line of its own (a taken port) would otherwise come twice, once with a stack trace.</param>
    public JsonLineLoggerProvider(Stream output, TimeProvider? time = null, Func<string, Exception?, bool>? drop = null)
    {
        _output = output;
        _time = time ?? TimeProvider.System;
        _drop = drop ?? ((_, _) => false);
        _writer = new Thread(WriteLines) { IsBackground = true, Name = "JSON line log writer" };
        _writer.Start();
    }

    public ILogger CreateLogger(string categoryName) => new JsonLineLogger(this, categoryName);

    private void Write<TState>(string category, JsonEncodedText categoryText, LogLevel level, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (exception is not null && _drop(category, exception)) return;
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var json = t_writer ??= new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true, Encoder = Escaping });
        json.Reset(buffer);

        json.WriteStartObject();
        json.WriteString(TimeName, _time.GetUtcNow().UtcDateTime);
        json.WriteString(LevelName, LevelValue(level));
        json.WriteString(CategoryName, categoryText);
        FieldsOf<TState>.Write(json, in state, exception, formatter);
        if (exception is not null) json.WriteString(ExceptionName, exception.ToString());
        json.WriteEndObject();
        json.Flush();

        if (_closed) return;
        if (Interlocked.Increment(ref _queued) > QueueCapacity)
        {
            Interlocked.Decrement(ref _queued);
            return;
        }
        _lines.Enqueue(Copy(buffer.WrittenSpan));
        // The line is in the queue before the writer's state is read (the writer says "idle" before it looks at
        // the queue): one of the two sees the other, so no line waits for the next one to be written.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _writerIdle) == 1) WakeWriter();
    }

    /// <summary>The line with its newline, appended to this thread's block (a line longer than a block gets an
    /// array of its own).</summary>
    private static Line Copy(ReadOnlySpan<byte> json)
    {
        var length = json.Length + 1;
        byte[] bytes;
        var start = 0;
        var block = t_block;
        if (length > Block.Size)
        {
            bytes = new byte[length];
            block = null;
        }
        else
        {
            if (block is null || Block.Size - block.Used < length)
            {
                if (block is not null) Release(block);
                t_block = block = TakeBlock();
            }
            Interlocked.Increment(ref block.Holders);
            bytes = block.Bytes;
            start = block.Used;
            block.Used += length;
        }
        json.CopyTo(bytes.AsSpan(start));
        bytes[start + length - 1] = (byte)'\n';
        return new Line(bytes, start, length, block);
    }

    private static Block TakeBlock()
    {
        if (!FreeBlocks.TryDequeue(out var block)) return new Block();
        Interlocked.Decrement(ref FreeBlockCount);
        block.Holders = 1;
        block.Used = 0;
        return block;
    }

    private static void Release(Block block)
    {
        if (Interlocked.Decrement(ref block.Holders) != 0) return;
        if (Interlocked.Increment(ref FreeBlockCount) <= FreeBlocksKept) FreeBlocks.Enqueue(block);
        else Interlocked.Decrement(ref FreeBlockCount);
    }

    /// <summary>Room for the lines of one thread, one after another: no array per line. It is held by the
    /// thread filling it and by each of its lines not yet written, and reused when none holds it any more.</summary>
    private sealed class Block
    {
        public const int Size = 16 * 1024;
        public readonly byte[] Bytes = new byte[Size];
        /// <summary>Bytes filled, by the one thread filling it.</summary>
        public int Used;
        public int Holders = 1;
    }

    /// <summary>One queued line: <paramref name="Length"/> bytes (newline included) of <paramref name="Bytes"/>.</summary>
    private readonly record struct Line(byte[] Bytes, int Start, int Length, Block? Block);

    private void WakeWriter()
    {
        if (Interlocked.Exchange(ref _writerIdle, 0) == 1) Volatile.Read(ref _wake).TrySetResult();
    }

    private static readonly JavaScriptEncoder Escaping = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
    private static readonly JsonEncodedText TimeName = JsonEncodedText.Encode("time", Escaping);
    private static readonly JsonEncodedText LevelName = JsonEncodedText.Encode("level", Escaping);
    private static readonly JsonEncodedText CategoryName = JsonEncodedText.Encode("category", Escaping);
    private static readonly JsonEncodedText MessageName = JsonEncodedText.Encode("message", Escaping);
    private static readonly JsonEncodedText ExceptionName = JsonEncodedText.Encode("exception", Escaping);
    private static readonly JsonEncodedText[] LevelValues = [.. new[] { "trace", "debug", "info", "warning", "error", "critical" }.Select(l => JsonEncodedText.Encode(l, Escaping))];

    /// <summary>Each field's name as written (first letter lower case), made once per name rather than per line.</summary>
    private static readonly ConcurrentDictionary<string, JsonEncodedText> FieldNames = new(StringComparer.Ordinal);

    private static JsonEncodedText FieldName(string key) => FieldNames.GetOrAdd(key, static key => JsonEncodedText.Encode(
        key.Length > 0 && char.IsUpper(key[0]) ? char.ToLowerInvariant(key[0]) + key[1..] : key, Escaping));

    /// <summary>Writes the message and the fields of one type of entry state. A source-generated state is a struct:
    /// read through a method constrained to the list interface it is neither boxed nor enumerated through an allocated
    /// enumerator, and each of its entries is read once (a value type boxed once) into this thread's
    /// <see cref="t_entries"/>, for the message and the fields. Its keys are the same string literals on every line, so
    /// the last name written at each position is kept and reused while the key there is the very same string.</summary>
    private static class FieldsOf<TState>
    {
        private delegate void Writer(Utf8JsonWriter json, in TState state, Exception? exception, Func<TState, Exception?, string> formatter, ref KnownName?[] names);

        // Made at run time, so only where the runtime can compile code (not under Native AOT, which takes the
        // boxing path below).
        private static readonly Writer? Entry = System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported
            && typeof(IReadOnlyList<KeyValuePair<string, object?>>).IsAssignableFrom(typeof(TState))
            ? typeof(FieldsOf<TState>).GetMethod(nameof(WriteEntry), BindingFlags.NonPublic | BindingFlags.Static)!
                .MakeGenericMethod(typeof(TState)).CreateDelegate<Writer>()
            : null;

        /// <summary>Whether the generator wrote the state type, so that its message can be written from its template.</summary>
        private static readonly bool Generated = Entry is not null && GeneratedMessage.IsGenerated(typeof(TState));

        private static KnownName?[] Names = [];
        /// <summary>The template last read and its message (null: the formatter writes it).</summary>
        private static Template? Message;

        public static void Write(Utf8JsonWriter json, in TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (Entry is not null && state is not null)
            {
                Entry(json, state, exception, formatter, ref Names);
                return;
            }
            json.WriteString(MessageName, formatter(state, exception));
            // A state typed more loosely than what it is (object): found at run time, as before.
            if (state is IReadOnlyList<KeyValuePair<string, object?>> fields)
            {
                var entries = Read(fields);
                WriteFields(json, entries, ref Names);
                entries.Clear();
            }
        }

        private static void WriteEntry<TList>(Utf8JsonWriter json, in TList fields, Exception? exception, Func<TList, Exception?, string> formatter, ref KnownName?[] names)
            where TList : IReadOnlyList<KeyValuePair<string, object?>>
        {
            var entries = Read(fields);
            var message = Generated ? MessageOf(entries) : null;
            if (message is null) json.WriteString(MessageName, formatter(fields, exception));
            else message.Write(json, MessageName, entries);
            WriteFields(json, entries, ref names);
            entries.Clear();
        }

        private static GeneratedMessage? MessageOf(ReadOnlySpan<KeyValuePair<string, object?>> entries)
        {
            if (entries.Length == 0 || entries[^1] is not { Key: "{OriginalFormat}", Value: string template }) return null;
            var known = Message;
            if (!ReferenceEquals(known?.Format, template))
            {
                known = new Template(template, GeneratedMessage.Parse(typeof(TState), template, entries));
                Message = known;
            }
            return known.Message;
        }

        private static void WriteFields(Utf8JsonWriter json, ReadOnlySpan<KeyValuePair<string, object?>> entries, ref KnownName?[] names)
        {
            var count = entries.Length;
            var known = names;
            if (known.Length < count) names = known = new KnownName?[count];
            for (var i = 0; i < count; i++)
            {
                var (key, value) = entries[i];
                if (key == "{OriginalFormat}") continue;
                var name = known[i];
                if (!ReferenceEquals(name?.Key, key))
                {
                    // A first line, or another entry sharing this state type (a different message): a new pair,
                    // so that a line on another thread reads either the old pair or the new one, never half of each.
                    name = new KnownName(key, FieldName(key));
                    known[i] = name;
                }
                WriteField(json, name!.Name, value);
            }
        }
    }

    /// <summary>The entries of a state, read once into this thread's array (cleared after the line).</summary>
    private static Span<KeyValuePair<string, object?>> Read<TList>(in TList fields) where TList : IReadOnlyList<KeyValuePair<string, object?>>
    {
        var count = fields.Count;
        var entries = t_entries;
        if (entries is null || entries.Length < count) t_entries = entries = new KeyValuePair<string, object?>[Math.Max(count, 16)];
        for (var i = 0; i < count; i++) entries[i] = fields[i];
        return entries.AsSpan(0, count);
    }

    [ThreadStatic] private static KeyValuePair<string, object?>[]? t_entries;

    private sealed record Template(string Format, GeneratedMessage? Message);

    private sealed record KnownName(string Key, JsonEncodedText Name);

    private static void WriteField(Utf8JsonWriter json, JsonEncodedText name, object? value)
    {
        switch (value)
        {
            case null: json.WriteNull(name); break;
            case string s: json.WriteString(name, s); break;
            case bool b: json.WriteBoolean(name, b); break;
            case int i: json.WriteNumber(name, i); break;
            case long l: json.WriteNumber(name, l); break;
            case double d when double.IsFinite(d):
                var rounded = Math.Round(d, 3);
                if (GeneratedMessage.IsLastNumber(rounded, out var text))
                {
                    // The message has just written this number: its text again, not formatted twice.
                    json.WritePropertyName(name);
                    json.WriteRawValue(text, skipInputValidation: true);
                }
                else json.WriteNumber(name, rounded);
                break;
            case DateTime t: json.WriteString(name, t); break;
            case DateTimeOffset t: json.WriteString(name, t); break;
            case IReadOnlyList<string> list:
                json.WriteStartArray(name);
                foreach (var item in list) json.WriteStringValue(item);
                json.WriteEndArray();
                break;
            default: json.WriteString(name, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)); break;
        }
    }

    private static JsonEncodedText LevelValue(LogLevel level) => LevelValues[level is >= LogLevel.Trace and <= LogLevel.Error ? (int)level : 5];

    // Lines are written in batches that always end on a line boundary, so other writers to the same
    // stream (the start-up CA bundle) never land inside a line.
    private void WriteLines()
    {
        var batch = new MemoryStream();
        while (true)
        {
            var taken = 0;
            while (batch.Length < FlushBytes && _lines.TryDequeue(out var line))
            {
                batch.Write(line.Bytes, line.Start, line.Length);
                if (line.Block is not null) Release(line.Block);
                taken++;
            }
            if (taken > 0)
            {
                Interlocked.Add(ref _queued, -taken);
                try
                {
                    batch.WriteTo(_output);
                    _output.Flush();
                }
                catch (IOException)
                {
                    // stdout closed: nothing left to tell.
                }
                batch.SetLength(0);
                // Drained: let lines gather for a moment. Not drained (a burst): write on at once.
                if (_lines.IsEmpty && !_closed) Task.WhenAny(Task.Delay(BatchWindow, _time), _closing.Task).Wait();
                continue;
            }
            if (_closed) return;
            // Nothing queued: wait for the next line. Saying "idle" before looking at the queue once more means a
            // line queued meanwhile is either seen here or its caller sees the writer idle and wakes it.
            var wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _wake, wake);
            Interlocked.Exchange(ref _writerIdle, 1);
            if ((!_lines.IsEmpty || _closed) && Interlocked.Exchange(ref _writerIdle, 0) == 1) continue;
            wake.Task.Wait();
        }
    }

    /// <summary>Writes what is queued (waiting at most two seconds), then stops; later lines are dropped.</summary>
    public void Dispose()
    {
        _closed = true;
        _closing.TrySetResult();
        WakeWriter();
        _writer.Join(TimeSpan.FromSeconds(2));
    }

    private sealed class JsonLineLogger(JsonLineLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        // The category as it is written, escaped once per logger rather than per line.
        private readonly JsonEncodedText _categoryText = JsonEncodedText.Encode(category, Escaping);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) provider.Write(category, _categoryText, logLevel, state, exception, formatter);
        }
    }
}
