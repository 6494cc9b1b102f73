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
    /// <summary>The largest review body accepted. The API server reads at most 3 MiB of a pod as its client
    /// wrote it (<c>--max-resource-write-bytes</c>) and etcd stores at most 1.5 MiB; the review of a pod it
    /// can create, re-encoded as JSON with its defaults, managedFields and the caller's userInfo, stays
    /// under this (docs/performance.md, "Largest review"). Larger bodies are refused before they are read.</summary>
    public const int MaxBodyBytes = 4 * 1024 * 1024;

    /// <summary>Used when the API server sends no <c>timeout</c> query parameter (its own default is 10 s).</summary>
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The answer must be on its way before the API server gives up: this share of its timeout is
    /// spent at most on waiting for memory, receiving the body and deciding.</summary>
    private const double DeadlineShare = 0.8;

    public static IEndpointRouteBuilder MapAdmission(this IEndpointRouteBuilder app)
    {
        // Everything the endpoint needs is a singleton: resolved once here, not per review (a per-request
        // service scope and observer array showed up in the allocation profile).
        var handler = app.ServiceProvider.GetRequiredService<AdmissionHandler>();
        var observers = app.ServiceProvider.GetServices<IDecisionObserver>().ToArray();
        var budget = app.ServiceProvider.GetRequiredService<ReviewBudget>();
        var logger = app.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger("Injector.Webhook.Admission");
        RequestDelegate endpoint = http => HandleAsync(http, handler, observers, budget, logger);
        app.MapPost("/mutate", endpoint);
        app.MapPost("/", endpoint);
        return app;
    }

    private static async Task HandleAsync(HttpContext http, AdmissionHandler handler, IDecisionObserver[] observers, ReviewBudget budget, ILogger logger)
    {
        var response = http.Response;
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
        var timeout = Timeout(http.Request.Query["timeout"]);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        deadline.CancelAfter(timeout * DeadlineShare);

        // The API server always sends Content-Length; a body of unknown length is charged as the largest.
        var charge = budget.ChargeFor(http.Request.ContentLength ?? MaxBodyBytes);
        if (!await budget.TryAcquireAsync(charge, deadline.Token))
        {
            if (!http.RequestAborted.IsCancellationRequested) await RefuseBusyAsync(http, budget, timeout);
            return;
        }
        try
        {
            await ReviewAsync(http, handler, observers, logger, timeout, deadline.Token);
        }
        finally
        {
            budget.Release(charge);
        }
    }

    private static async Task ReviewAsync(HttpContext http, AdmissionHandler handler, IDecisionObserver[] observers, ILogger logger, TimeSpan timeout, CancellationToken deadline)
    {
        var response = http.Response;
        var body = await ReadBodyAsync(http, deadline);
        if (body.Outcome == BodyOutcome.TooLarge)
        {
            await WriteError(http, StatusCodes.Status413PayloadTooLarge, $"body is over the {MaxBodyBytes}-byte limit");
            return;
        }
        if (body.Outcome == BodyOutcome.Late)
        {
            if (!http.RequestAborted.IsCancellationRequested)
                await WriteError(http, StatusCodes.Status408RequestTimeout, $"the body did not arrive within the review's deadline ({(timeout * DeadlineShare).TotalSeconds:0.#} s of timeout={timeout.TotalSeconds:0.#}s)");
            return;
        }
        if (body.Outcome == BodyOutcome.Aborted) return;

        // The body is a pooled buffer and the review is parsed into pooled memory without a copy: both
        // are returned once the response is written (the request's pod reads from them until then).
        JsonDocument? document = null;
        try
        {
            AdmissionRequest request;
            try
            {
                request = AdmissionReview.ParseBorrowed(body.Buffer.AsMemory(0, body.Length), out document);
            }
            catch (AdmissionReviewException ex)
            {
                await WriteError(http, StatusCodes.Status400BadRequest, ex.Message);
                return;
            }
            var decision = await DecideAsync(http, handler, logger, request, deadline);
            foreach (var observer in observers) observer.OnDecision(request, decision);

            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json";
            var writer = new Utf8JsonWriter(response.BodyWriter);
            AdmissionReview.WriteResponse(writer, request.ReviewApiVersion, request.Uid, decision.Response);
            await writer.FlushAsync(http.RequestAborted);
        }
        finally
        {
            document?.Dispose();
            ArrayPool<byte>.Shared.Return(body.Buffer!);
        }
    }

    private static async Task<AdmissionDecision> DecideAsync(HttpContext http, AdmissionHandler handler, ILogger logger, AdmissionRequest request, CancellationToken deadline)
    {
        try
        {
            return await handler.HandleAsync(request, deadline);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !http.RequestAborted.IsCancellationRequested)
        {
            // A bug or a stuck dependency must not block pod creation: admit without a sidecar and say so.
            WebhookLog.AdmissionFailed(logger, ex, request.Uid);
            return new AdmissionDecision(
                AdmissionResponse.Allow([$"appmesh-inject could not process this pod ({ex.GetType().Name}); it was admitted without a sidecar"]),
                AdmissionDecision.ResultError, Injector.Core.Injection.Reasons.InternalError, ex.Message, TimeSpan.Zero);
        }
    }

    /// <summary>The review waited for memory until its deadline: refuse it with an answer the API server shows
    /// (its uid is read from the start of the body, which has arrived by then), so that the caller retries.</summary>
    private static async Task RefuseBusyAsync(HttpContext http, ReviewBudget budget, TimeSpan timeout)
    {
        var message = $"appmesh-inject is busy: reviews in flight hold its whole memory budget ({budget.Capacity / (1024 * 1024)} MiB) and this one " +
            $"waited {(timeout * DeadlineShare).TotalSeconds:0.#} s of its {timeout.TotalSeconds:0.#} s timeout; retry";
        var apiVersion = "";
        var uid = "";
        if (http.Request.BodyReader.TryRead(out var start))
        {
            var prefix = start.Buffer.Slice(0, Math.Min(start.Buffer.Length, 4096));
            AdmissionReview.TryReadEnvelope(prefix.IsSingleSegment ? prefix.FirstSpan : prefix.ToArray(), out apiVersion, out uid);
            http.Request.BodyReader.AdvanceTo(start.Buffer.Start);
        }
        KeepNoConnection(http);
        if (uid.Length == 0)
        {
            await WriteError(http, StatusCodes.Status429TooManyRequests, message);
            return;
        }
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "application/json";
        var writer = new Utf8JsonWriter(http.Response.BodyWriter);
        AdmissionReview.WriteResponse(writer, apiVersion, uid, AdmissionResponse.TooManyRequests(message));
        await writer.FlushAsync();
    }

    /// <summary>An HTTP/1.1 connection whose request body was not read to its end cannot carry another
    /// request: close it after this answer (HTTP/2 ends just the stream).</summary>
    private static void KeepNoConnection(HttpContext http)
    {
        if (HttpProtocol.IsHttp11(http.Request.Protocol) || HttpProtocol.IsHttp10(http.Request.Protocol))
            http.Response.Headers.Connection = "close";
    }

    private static bool IsJson(string? contentType) =>
        contentType is not null && MediaTypeHeaderValue.TryParse(contentType, out var media) &&
        media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase);

    /// <summary>The review's timeout: the API server appends <c>?timeout=&lt;seconds&gt;s</c> (1–30 s), e.g. "10s".</summary>
    private static TimeSpan Timeout(string? timeout)
    {
        if (timeout is { Length: > 1 } t && t.EndsWith('s') && int.TryParse(t.AsSpan(0, t.Length - 1), out var seconds) && seconds is > 0 and <= 30)
            return TimeSpan.FromSeconds(seconds);
        return DefaultTimeout;
    }

    private enum BodyOutcome { Read, TooLarge, Late, Aborted }

    /// <summary>Reads the whole body into a buffer rented from the shared pool (the caller returns it), unless
    /// it exceeds <see cref="MaxBodyBytes"/> or has not arrived in full by <paramref name="deadline"/>.</summary>
    private static async Task<(BodyOutcome Outcome, byte[]? Buffer, int Length)> ReadBodyAsync(HttpContext http, CancellationToken deadline)
    {
        var reader = http.Request.BodyReader;
        while (true)
        {
            ReadResult read;
            try
            {
                read = await reader.ReadAsync(deadline);
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return (BodyOutcome.TooLarge, null, 0);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                return (http.RequestAborted.IsCancellationRequested ? BodyOutcome.Aborted : BodyOutcome.Late, null, 0);
            }
            if (read.Buffer.Length > MaxBodyBytes)
            {
                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                return (BodyOutcome.TooLarge, null, 0);
            }
            if (read.IsCompleted)
            {
                var length = (int)read.Buffer.Length;
                var bytes = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
                read.Buffer.CopyTo(bytes);
                reader.AdvanceTo(read.Buffer.End);
                return (BodyOutcome.Read, bytes, length);
            }
            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }

    private static Task WriteError(HttpContext http, int status, string message)
    {
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
