using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Injector.Core.Admission;
using Injector.Webhook.Observability;
using Microsoft.Net.Http.Headers;

namespace Injector.Webhook;

/// <summary>Told of every admission decision (logs, metrics, Events); must not block.</summary>
public interface IDecisionObserver
{
    void OnDecision(AdmissionRequest request, AdmissionDecision decision);
}

/// <summary>The HTTP adapter: enforces method, content type and size, bounds the memory and the time a
/// review may take, reads the review, answers in the version it received. The engine never sees HTTP.</summary>
public static class AdmissionEndpoints
{
    /// <summary>The paths reviews are posted to (the chart's and <c>webhook-config</c>'s <c>/mutate</c>, and <c>/</c>).</summary>
    public static readonly IReadOnlyList<string> Paths = ["/mutate", "/"];

    /// <summary>The largest review body accepted. The API server reads at most 3 MiB of a pod as its client
    /// wrote it (<c>--max-resource-write-bytes</c>) and etcd stores at most 1.5 MiB; the review of a pod it
    /// can create, re-encoded as JSON with its defaults, managedFields and the caller's userInfo, stays
    /// under this (docs/performance.md, "Largest review"). Larger bodies are refused before they are read.</summary>
    public const int MaxBodyBytes = 4 * 1024 * 1024;

    /// <summary>The answer to a body found over <see cref="MaxBodyBytes"/> while it was read (no Content-Length said so).</summary>
    public static readonly string BodyTooLarge = $"body is over the {MaxBodyBytes}-byte limit";

    /// <summary>Bodies up to this size are read into buffers from the shared pool (every typical review);
    /// larger ones into a buffer of their own that the GC reclaims, because the pool keeps what it is given
    /// (per thread and per core): measured, 64 maximum-size reviews left ~128 MiB of 4 MiB buffers in it.</summary>
    private const int PooledBodyBytes = 128 * 1024;

    /// <summary>Used when the API server sends no <c>timeout</c> query parameter (its own default is 10 s).</summary>
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The answer must be on its way before the API server gives up: this share of its timeout is
    /// spent at most on waiting for memory, receiving the body and deciding.</summary>
    private const double DeadlineShare = 0.8;

    public static IEndpointRouteBuilder MapAdmission(this IEndpointRouteBuilder app)
    {
        // Everything the endpoint needs is a singleton: resolved once here, not per review (a per-request
        // service scope and observer array showed up in the allocation profile).
        var review = new Reviewer(
            app.ServiceProvider.GetRequiredService<AdmissionHandler>(),
            app.ServiceProvider.GetServices<IDecisionObserver>().ToArray(),
            app.ServiceProvider.GetRequiredService<ReviewMemory>(),
            app.ServiceProvider.GetRequiredService<FailurePolicy>());
        RequestDelegate endpoint = http => HandleAsync(http, review);
        foreach (var path in Paths) app.MapPost(path, endpoint);
        return app;
    }

    private sealed record Reviewer(AdmissionHandler Handler, IDecisionObserver[] Observers, ReviewMemory Memory, FailurePolicy FailurePolicy);

    private static async Task HandleAsync(HttpContext http, Reviewer reviewer)
    {
        if (!IsJson(http.Request.ContentType))
        {
            await WriteError(http, StatusCodes.Status415UnsupportedMediaType, $"content type must be application/json, not \"{http.Request.ContentType}\"");
            return;
        }
        if (http.Request.ContentLength > MaxBodyBytes)
        {
            await WriteError(http, StatusCodes.Status413PayloadTooLarge, $"body of {http.Request.ContentLength} bytes is over the {MaxBodyBytes}-byte limit");
            return;
        }

        // One deadline for the whole review, from its arrival: waiting for memory, receiving the body (a
        // client that sends part of it and stalls holds nothing past it) and deciding.
        var timeout = Timeout(http.Request);
        using var deadline = new ReviewDeadline(http, timeout * DeadlineShare);

        // The API server always sends Content-Length; a body of unknown length is charged as the largest.
        var arrival = ReviewMemory.ArrivalCharge(http.Request.ContentLength ?? MaxBodyBytes);
        if (!reviewer.Memory.Arrival.TryAcquire(arrival) && !await reviewer.Memory.Arrival.TryAcquireAsync(arrival, deadline.Wait))
        {
            if (!http.RequestAborted.IsCancellationRequested) await RefuseBusyAsync(http, reviewer.Memory.Arrival, "bodies arriving", timeout, null, reviewer.FailurePolicy);
            return;
        }
        try
        {
            var body = await ReadBodyAsync(http, deadline);
            try
            {
                await ReviewAsync(http, reviewer, body, timeout, deadline);
            }
            finally
            {
                if (body.Buffer is { Length: <= PooledBodyBytes }) ArrayPool<byte>.Shared.Return(body.Buffer);
            }
        }
        finally
        {
            reviewer.Memory.Arrival.Release(arrival);
        }
    }

    private static async Task ReviewAsync(HttpContext http, Reviewer reviewer, (BodyOutcome Outcome, byte[]? Buffer, int Length) body, TimeSpan timeout, ReviewDeadline deadline)
    {
        switch (body.Outcome)
        {
            case BodyOutcome.TooLarge:
                await WriteError(http, StatusCodes.Status413PayloadTooLarge, BodyTooLarge);
                return;
            case BodyOutcome.Late when !http.RequestAborted.IsCancellationRequested:
                await WriteError(http, StatusCodes.Status408RequestTimeout, $"the body did not arrive within the review's deadline ({(timeout * DeadlineShare).TotalSeconds:0.#} s of timeout={timeout.TotalSeconds:0.#}s)");
                // HTTP/1.1: the connection closes after this answer (Kestrel reads what still comes of the body
                // for at most 5 s first, so that the client can read the answer); HTTP/2 resets just the stream.
                return;
            case not BodyOutcome.Read:
                RequestOutcomes.MarkGone(http);
                return;
        }
        var bytes = body.Buffer.AsMemory(0, body.Length);

        // A large body has its tokens counted before anything is built from them: what parsing and deciding
        // will take is then known, and a body that could never fit is refused at once.
        long? tokens = null;
        if (body.Length > ReviewMemory.SmallBodyBytes)
        {
            try
            {
                tokens = AdmissionReview.CountTokens(bytes.Span);
            }
            catch (AdmissionReviewException ex)
            {
                await WriteError(http, StatusCodes.Status400BadRequest, ex.Message);
                return;
            }
        }
        var processing = ReviewMemory.ProcessingCharge(body.Length, tokens);
        var budget = reviewer.Memory.Processing;
        if (processing > budget.Capacity)
        {
            await RefuseAsync(http, bytes.Span, StatusCodes.Status413PayloadTooLarge, reviewer.FailurePolicy, AdmissionResponse.TooLarge(
                $"this review has {tokens} JSON values in {body.Length} bytes; reading them would take about {ReviewMemory.InMebibytes(processing)}, " +
                $"more than the memory budget of appmesh-inject for reviews in flight ({ReviewMemory.InMebibytes(budget.Capacity)}). No pod the API server can store has that many."));
            return;
        }
        if (!budget.TryAcquire(processing) && !await budget.TryAcquireAsync(processing, deadline.Wait))
        {
            if (!http.RequestAborted.IsCancellationRequested) await RefuseBusyAsync(http, budget, "reviews being decided", timeout, body.Buffer, reviewer.FailurePolicy);
            return;
        }
        try
        {
            if (tokens is null)
            {
                await DecideInPlaceAsync(http, reviewer, bytes, deadline.Decision);
                return;
            }
            // A large review is parsed, decided and answered on a thread of its own: the parser's metadata
            // tables for it come from the shared array pool, which keeps what it is given per thread; tables of
            // tens of MiB kept by pool threads were measured to take the process past its memory limit.
            var (status, contentType, answer) = await OnOwnThread(() => DecideOnThisThread(http, reviewer, bytes, deadline.Decision));
            http.Response.StatusCode = status;
            http.Response.ContentType = contentType;
            http.Response.ContentLength = answer.Length;
            await http.Response.Body.WriteAsync(answer, http.RequestAborted);
        }
        finally
        {
            budget.Release(processing);
        }
    }


    // The typical review: parsed into pooled memory without a copy, answered straight into the response.
    private static async Task DecideInPlaceAsync(HttpContext http, Reviewer reviewer, ReadOnlyMemory<byte> body, CancellationToken deadline)
    {
        var reviewed = await ParseAndDecideAsync(http, reviewer, body, deadline);
        // The request's pod reads from the pooled parse and the body until the answer is written.
        using (reviewed.Document)
        {
            if (reviewed.NotAReview is { } why)
            {
                await WriteError(http, StatusCodes.Status400BadRequest, why);
                return;
            }
            http.Response.StatusCode = StatusCodes.Status200OK;
            http.Response.ContentType = "application/json";
            // Written into the response pipe through this thread's writer.
            var output = http.Response.BodyWriter;
            var writer = t_answerWriter ??= new Utf8JsonWriter(output);
            writer.Reset(output);
            AdmissionReview.WriteResponse(writer, reviewed.Request!.ReviewApiVersion, reviewed.Request.Uid, reviewed.Decision!.Response);
            // Committed, not flushed: Kestrel sends it when the endpoint returns, with the end of the response (one
            // write; a flush here made HTTP/1.1 send the last chunk on its own, measured 15% slower on one connection).
            writer.Flush();
        }
    }

    [ThreadStatic] private static Utf8JsonWriter? t_answerWriter;

    private static (int Status, string ContentType, byte[] Answer) DecideOnThisThread(HttpContext http, Reviewer reviewer, ReadOnlyMemory<byte> body, CancellationToken deadline)
    {
        var reviewed = ParseAndDecideAsync(http, reviewer, body, deadline).AsTask().GetAwaiter().GetResult();
        using (reviewed.Document)
        {
            if (reviewed.NotAReview is { } why) return (StatusCodes.Status400BadRequest, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(why + "\n"));
            return (StatusCodes.Status200OK, "application/json", AdmissionReview.SerializeResponse(reviewed.Request!.ReviewApiVersion, reviewed.Request.Uid, reviewed.Decision!.Response));
        }
    }

    /// <summary>A review parsed and decided, with the parse its request reads from (the caller disposes it once the
    /// answer is written), or why the body is not a review (answered 400).</summary>
    private readonly record struct Reviewed(AdmissionRequest? Request, AdmissionDecision? Decision, JsonDocument? Document, string? NotAReview);

    /// <summary>Parses the review without copying the body, decides it and tells the observers.</summary>
    private static async ValueTask<Reviewed> ParseAndDecideAsync(HttpContext http, Reviewer reviewer, ReadOnlyMemory<byte> body, CancellationToken deadline)
    {
        AdmissionRequest request;
        JsonDocument document;
        try
        {
            request = AdmissionReview.ParseBorrowed(body, out document);
        }
        catch (AdmissionReviewException ex)
        {
            return new Reviewed(null, null, null, ex.Message);
        }
        try
        {
            var decision = await DecideAsync(http, reviewer.Handler, reviewer.FailurePolicy, request, deadline);
            foreach (var observer in reviewer.Observers) observer.OnDecision(request, decision);
            return new Reviewed(request, decision, document, null);
        }
        catch
        {
            document.Dispose();
            throw;
        }
    }

    private static Task<T> OnOwnThread<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                done.SetResult(work());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        })
        { IsBackground = true, Name = "appmesh-inject large review" };
        thread.Start();
        return done.Task;
    }

    private static async ValueTask<AdmissionDecision> DecideAsync(HttpContext http, AdmissionHandler handler, FailurePolicy failurePolicy, AdmissionRequest request, CancellationToken deadline)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            return await handler.HandleAsync(request, deadline);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !http.RequestAborted.IsCancellationRequested)
        {
            // A bug or a stuck dependency: the operator's failure policy decides (FailurePolicy).
            return failurePolicy.OnInternalError(request, ex, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>The review waited for memory until its deadline: answer it as the failure policy has it
    /// (<see cref="RefuseAsync"/>). Its uid is read from the start of its body: the body itself when it was
    /// read, else what has arrived of it by then.</summary>
    private static async Task RefuseBusyAsync(HttpContext http, ReviewBudget budget, string holders, TimeSpan timeout, byte[]? body, FailurePolicy policy)
    {
        var message = $"appmesh-inject is busy: {holders} hold its whole memory budget for them ({ReviewMemory.InMebibytes(budget.Capacity)}) and this review " +
            $"waited {(timeout * DeadlineShare).TotalSeconds:0.#} s of its {timeout.TotalSeconds:0.#} s timeout; retry";
        var refusal = AdmissionResponse.TooManyRequests(message);
        if (body is not null)
        {
            await RefuseAsync(http, body.AsSpan(0, Math.Min(body.Length, 4096)), StatusCodes.Status429TooManyRequests, policy, refusal);
            return;
        }
        // The body is not read: the connection cannot carry another request. Its start has arrived by now
        // (read ahead by Kestrel) or comes at once; wait no more than a moment for it.
        KeepNoConnection(http);
        var reader = http.Request.BodyReader;
        byte[] start = [];
        using (var moment = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
        await using (moment.Token.Register(CancelRead, reader))
        {
            try
            {
                var read = await reader.ReadAsync(CancellationToken.None);
                start = read.Buffer.Slice(0, Math.Min(read.Buffer.Length, 4096)).ToArray();
                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            }
            catch (Exception ex) when (ex is IOException or BadHttpRequestException)
            {
                // Gone or broken: the plain refusal below is all it gets.
            }
        }
        await RefuseAsync(http, start, StatusCodes.Status429TooManyRequests, policy, refusal);
    }

    /// <summary>When the start of the body names the review, an AdmissionReview answer as the failure policy has it
    /// (under <c>Fail</c> the refusal, whose message the API server shows and whose caller may retry; under
    /// <c>Ignore</c> the pod admitted without a sidecar, as the API server admits it when a webhook cannot answer);
    /// else the refusal's message as plain text with <paramref name="status"/>, to which the API server applies the
    /// failure policy itself.</summary>
    private static Task RefuseAsync(HttpContext http, ReadOnlySpan<byte> start, int status, FailurePolicy policy, AdmissionResponse refusal)
    {
        if (!AdmissionReview.TryReadEnvelope(start, out var apiVersion, out var uid)) return WriteError(http, status, refusal.Message!);
        var (response, outcome) = policy.OnUndecided(refusal);
        RequestOutcomes.MarkUndecided(http, status, outcome, refusal.Message!);
        var answer = AdmissionReview.SerializeResponse(apiVersion, uid, response);
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = answer.Length;
        return http.Response.Body.WriteAsync(answer, http.RequestAborted).AsTask();
    }

    /// <summary>An HTTP/1.1 connection whose request body was not read to its end cannot carry another
    /// request: close it after this answer (HTTP/2 ends just the stream).</summary>
    private static void KeepNoConnection(HttpContext http)
    {
        if (IsHttp1(http)) http.Response.Headers.Connection = "close";
    }

    private static bool IsHttp1(HttpContext http) => HttpProtocol.IsHttp11(http.Request.Protocol) || HttpProtocol.IsHttp10(http.Request.Protocol);

    // What the API server sends is answered without parsing; parameters (charset) and other spellings are parsed.
    private static bool IsJson(string? contentType) =>
        contentType is not null && (contentType.Equals("application/json", StringComparison.OrdinalIgnoreCase) ||
            (MediaTypeHeaderValue.TryParse(contentType, out var media) && media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)));

    /// <summary>The review's timeout: the API server appends <c>?timeout=&lt;seconds&gt;s</c> (1–30 s), e.g. "10s".
    /// Its usual query, that one parameter, is read without building the query's dictionary.</summary>
    private static TimeSpan Timeout(HttpRequest request)
    {
        var query = request.QueryString.Value;
        if (string.IsNullOrEmpty(query)) return DefaultTimeout;
        const string Only = "?timeout=";
        if (query.StartsWith(Only, StringComparison.Ordinal) && query.AsSpan(Only.Length).IndexOfAny('&', '%', '+') < 0)
            return Timeout(query[Only.Length..]);
        return Timeout(request.Query["timeout"]);
    }

    private static TimeSpan Timeout(string? timeout)
    {
        if (timeout is { Length: > 1 } t && t.EndsWith('s') && int.TryParse(t.AsSpan(0, t.Length - 1), out var seconds) && seconds is > 0 and <= 30)
            return TimeSpan.FromSeconds(seconds);
        return DefaultTimeout;
    }

    private enum BodyOutcome { Read, TooLarge, Late, Aborted }

    /// <summary>Reads the whole body into a buffer (rented from the shared pool when small; the caller returns it), unless
    /// it exceeds <see cref="MaxBodyBytes"/> or has not arrived in full by <paramref name="deadline"/>.</summary>
    private static async ValueTask<(BodyOutcome Outcome, byte[]? Buffer, int Length)> ReadBodyAsync(HttpContext http, ReviewDeadline deadline)
    {
        var reader = http.Request.BodyReader;
        // The usual body is all there when the review starts: taken at once, without a registration. Over HTTP/2 a
        // review starts at its HEADERS frame, often before its DATA frame is read: the wait for the rest is bounded by
        // the deadline's shared token (a body cannot arrive in time after it; a client that goes ends the read).
        // At the deadline a pending read returns (cancelled) rather than throwing, so that the reader is left
        // consistent for Kestrel, which then closes the connection instead of draining the rest.
        CancellationTokenRegistration cancel = default;
        var waited = false;
        try
        {
            while (true)
            {
                ReadResult read;
                try
                {
                    if (waited || !reader.TryRead(out read))
                    {
                        if (!waited) cancel = deadline.Decision.Register(CancelRead, reader);
                        waited = true;
                        read = await reader.ReadAsync(CancellationToken.None);
                    }
                }
                catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
                {
                    return (BodyOutcome.TooLarge, null, 0);
                }
                catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status408RequestTimeout && !http.RequestAborted.IsCancellationRequested)
                {
                    // Kestrel's minimum body rate: a body this slow cannot arrive in time either. A client problem,
                    // answered 408 like a late body (and counted and logged as one), not a silent drop.
                    return (BodyOutcome.Late, null, 0);
                }
                catch (Exception ex) when (ex is IOException || (ex is OperationCanceledException && http.RequestAborted.IsCancellationRequested))
                {
                    return (BodyOutcome.Aborted, null, 0);
                }
                if (read.IsCanceled)
                {
                    reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                    return (http.RequestAborted.IsCancellationRequested ? BodyOutcome.Aborted : BodyOutcome.Late, null, 0);
                }
                if (read.Buffer.Length > MaxBodyBytes)
                {
                    reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                    return (BodyOutcome.TooLarge, null, 0);
                }
                if (read.IsCompleted) return Take(reader, read);
                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            }
        }
        finally
        {
            await cancel.DisposeAsync();
        }
    }

    /// <summary>Ends a pending body read (at the deadline, or after a moment). Kestrel's reader throws when its
    /// request has already ended (an HTTP/2 client reset the stream, or the connection broke): the read then ends by
    /// itself, and an exception here would surface in whatever cancels the token, a timer, and end the process.</summary>
    private static void CancelRead(object? reader)
    {
        try
        {
            ((PipeReader)reader!).CancelPendingRead();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
        }
    }

    // The whole body, read: copied into a buffer (from the shared pool when small; the caller returns it).
    private static (BodyOutcome Outcome, byte[]? Buffer, int Length) Take(PipeReader reader, ReadResult read)
    {
        var length = (int)read.Buffer.Length;
        var bytes = length <= PooledBodyBytes ? ArrayPool<byte>.Shared.Rent(Math.Max(length, 1)) : GC.AllocateUninitializedArray<byte>(length);
        read.Buffer.CopyTo(bytes);
        reader.AdvanceTo(read.Buffer.End);
        return (BodyOutcome.Read, bytes, length);
    }

    private static Task WriteError(HttpContext http, int status, string message)
    {
        RequestOutcomes.MarkRefused(http, status, message);
        // Every refusal before the body was read to its end leaves the rest of it on an HTTP/1.1 connection.
        if (status is StatusCodes.Status413PayloadTooLarge or StatusCodes.Status408RequestTimeout or StatusCodes.Status429TooManyRequests) KeepNoConnection(http);
        var response = http.Response;
        var text = Encoding.UTF8.GetBytes(message + "\n");
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        response.ContentLength = text.Length;
        return response.Body.WriteAsync(text).AsTask();
    }
}
