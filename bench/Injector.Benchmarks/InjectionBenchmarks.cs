using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Injector.Core.Admission;
using Injector.Core.Injection;
using Injector.Core.Json;
using Injector.Core.Settings;

namespace Injector.Benchmarks;

/// <summary>The engine alone (one injection of an already parsed pod), the whole per-request path
/// of the webhook without HTTP (parse the review, decide, write the response) and its parse against the bare
/// parse the load test's baseline does, for a typical pod
/// (bookinfo productpage) and a large one (10 containers × 40 env vars, 20 volumes).</summary>
[MemoryDiagnoser]
[SuppressMessage("Performance", "CA1852", Justification = "BenchmarkDotNet derives from benchmark classes and refuses sealed ones.")]
public class InjectionBenchmarks : IDisposable
{
    private PodInjector _injector = null!;
    private AdmissionHandler _handler = null!;
    private JsonObject _pod = null!;
    private JsonDocument _parsed = null!;
    private PodContext _context = null!;
    private byte[] _review = null!;
    private readonly MemoryStream _output = new();
    private readonly ArrayBufferWriter<byte> _patch = new(64 * 1024);
    private readonly Utf8JsonWriter _patchWriter = new(Stream.Null);

    [Params("productpage", "large")]
    public string Pod { get; set; } = "productpage";

    [GlobalSetup]
    public void Setup()
    {
        var settings = new InjectorSettings { MeshName = "bench", Region = "us-west-2" };
        _injector = new PodInjector(settings);
        _handler = new AdmissionHandler(_injector);
        _review = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "data", Pod == "large" ? "review-large.json" : "review-productpage-v1.json"));
        var request = AdmissionReview.ParseRequest(_review);
        var pod = request.Pod!.Value.GetRawText();
        _parsed = JsonDocument.Parse(pod);
        _pod = JsonNode.Parse(pod)!.AsObject();
        _context = new PodContext(request.Namespace, Pod == "large" ? "large-v1" : "productpage-v1");
        foreach (var check in (ReadOnlySpan<InjectionResult>)[_injector.Inject(_parsed.RootElement, _context), InjectCopy()])
        {
            if (check.Outcome != InjectionOutcome.Injected) throw new InvalidOperationException($"{Pod}: {check.Outcome} {check.Message}");
        }
    }

    /// <summary>The engine as the webhook runs it: decide from the parsed pod, record the patch and write it out
    /// (the added containers are written then, straight into the patch), without the review's envelope.</summary>
    [Benchmark]
    public long Inject()
    {
        var result = _injector.Inject(_parsed.RootElement, _context, writeOnly: true);
        _patch.ResetWrittenCount();
        _patchWriter.Reset(_patch);
        JsonPatch.Write(_patchWriter, result.Patch);
        _patchWriter.Flush();
        return _patch.WrittenCount;
    }

    /// <summary>The command-line tool's way: the pod as nodes, read through a parsed copy, and the patch applied
    /// to a copy of it (the input is left unchanged).</summary>
    [Benchmark]
    public InjectionResult InjectCopy() => _injector.Inject(_pod, _context);

    /// <summary>What the endpoint does between reading the body and writing it out: parse without a
    /// copy, inject into the request's own pod, write the response, return the pooled parse buffers.</summary>
    [Benchmark]
    public long Review()
    {
        var request = AdmissionReview.ParseBorrowed(_review, out var document);
        using (document)
        {
            // Nothing waits here (no owner lookup, no cluster): the decision comes completed.
            var pending = _handler.HandleAsync(request);
            var decision = pending.IsCompleted ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
            _output.Position = 0;
            using (var writer = new Utf8JsonWriter(_output)) AdmissionReview.WriteResponse(writer, request.ReviewApiVersion, request.Uid, decision.Response);
            return _output.Position;
        }
    }

    /// <summary>What the load test's baseline server does with the same body (parse it, read nothing): the floor
    /// <see cref="Review"/> is read against.</summary>
    [Benchmark]
    public JsonValueKind ParseOnly()
    {
        using var document = JsonDocument.Parse(_review.AsMemory());
        return document.RootElement.ValueKind;
    }

    /// <summary>The webhook's parse: <see cref="ParseOnly"/> plus the UTF-8, surrogate and duplicate-key checks and the
    /// envelope read.</summary>
    [Benchmark]
    public string ParseBorrowed()
    {
        var request = AdmissionReview.ParseBorrowed(_review, out var document);
        document.Dispose();
        return request.Uid;
    }

    public void Dispose()
    {
        _output.Dispose();
        _patchWriter.Dispose();
        _parsed?.Dispose();
        GC.SuppressFinalize(this);
    }
}
