using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Injector.Core.Admission;
using Microsoft.Net.Http.Headers;

namespace Injector.Webhook;

/// <summary>Told of every admission decision (logs, metrics, Events); must not block.</summary>
public interface IDecisionObserver
{
    void OnDecision(AdmissionRequest request, AdmissionDecision decision);
}

/// <summary>The HTTP adapter: enforces method, content type and size, reads the review, answers in the
/// version it received. The engine never sees HTTP.</summary>
public static class AdmissionEndpoints
{
    /// <summary>The API server caps request bodies at 3 MiB of object, so a review of a legal pod is far
    /// below 7 MiB; anything larger is refused before it is parsed.</summary>
    public const int MaxBodyBytes = 7 * 1024 * 1024;

    /// <summary>Used when the API server sends no <c>timeout</c> query parameter (its own default is 10 s).</summary>
    private static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(10);

    public static IEndpointRouteBuilder MapAdmission(this IEndpointRouteBuilder app)
    {
        // Everything the endpoint needs is a singleton: resolved once here, not per review (a per-request
        // service scope and observer array showed up in the allocation profile).
        var handler = app.ServiceProvider.GetRequiredService<AdmissionHandler>();
        var observers = app.ServiceProvider.GetServices<IDecisionObserver>().ToArray();
        var failurePolicy = app.ServiceProvider.GetRequiredService<FailurePolicy>();
        RequestDelegate endpoint = http => HandleAsync(http, handler, observers, failurePolicy);
        app.MapPost("/mutate", endpoint);
        app.MapPost("/", endpoint);
        return app;
    }

    private static async Task HandleAsync(HttpContext http, AdmissionHandler handler, IDecisionObserver[] observers, FailurePolicy failurePolicy)
    {
        var response = http.Response;
        if (!IsJson(http.Request.ContentType))
        {
            await WriteError(response, StatusCodes.Status415UnsupportedMediaType, $"content type must be application/json, not \"{http.Request.ContentType}\"");
            return;
        }
        if (http.Request.ContentLength > MaxBodyBytes)
        {
            await WriteError(response, StatusCodes.Status413PayloadTooLarge, $"body of {http.Request.ContentLength} bytes is over the {MaxBodyBytes}-byte limit");
            return;
        }

        var body = await ReadBodyAsync(http);
        if (body.Buffer is null)
        {
            await WriteError(response, StatusCodes.Status413PayloadTooLarge, $"body is over the {MaxBodyBytes}-byte limit");
            return;
        }
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
                await WriteError(response, StatusCodes.Status400BadRequest, ex.Message);
                return;
            }
            var decision = await DecideAsync(http, handler, failurePolicy, request);
            foreach (var observer in observers) observer.OnDecision(request, decision);

            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json";
            var writer = new Utf8JsonWriter(response.BodyWriter);
            AdmissionReview.WriteResponse(writer, request.ReviewApiVersion, request.Uid, decision.Response);
            await writer.FlushAsync();
        }
        finally
        {
            document?.Dispose();
            ArrayPool<byte>.Shared.Return(body.Buffer);
        }
    }

    private static async Task<AdmissionDecision> DecideAsync(HttpContext http, AdmissionHandler handler, FailurePolicy failurePolicy, AdmissionRequest request)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        deadline.CancelAfter(Deadline(http.Request.Query["timeout"]) * 0.8);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            return await handler.HandleAsync(request, deadline.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !http.RequestAborted.IsCancellationRequested)
        {
            // A bug or a stuck dependency: the operator's failure policy decides (FailurePolicy).
            return failurePolicy.OnInternalError(request, ex, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
    }

    private static bool IsJson(string? contentType) =>
        contentType is not null && MediaTypeHeaderValue.TryParse(contentType, out var media) &&
        media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase);

    private static TimeSpan Deadline(string? timeout)
    {
        // The API server appends ?timeout=<seconds>s, e.g. "10s".
        if (timeout is { Length: > 1 } t && t.EndsWith('s') && int.TryParse(t.AsSpan(0, t.Length - 1), out var seconds) && seconds is > 0 and <= 30)
            return TimeSpan.FromSeconds(seconds);
        return DefaultDeadline;
    }

    /// <summary>Reads the whole body into a buffer rented from the shared pool (the caller returns it), or
    /// returns no buffer when it exceeds <see cref="MaxBodyBytes"/>.</summary>
    private static async Task<(byte[]? Buffer, int Length)> ReadBodyAsync(HttpContext http)
    {
        var reader = http.Request.BodyReader;
        while (true)
        {
            ReadResult read;
            try
            {
                read = await reader.ReadAsync(http.RequestAborted);
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return (null, 0);
            }
            if (read.Buffer.Length > MaxBodyBytes)
            {
                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                return (null, 0);
            }
            if (read.IsCompleted)
            {
                var length = (int)read.Buffer.Length;
                var bytes = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
                read.Buffer.CopyTo(bytes);
                reader.AdvanceTo(read.Buffer.End);
                return (bytes, length);
            }
            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }

    private static Task WriteError(HttpResponse response, int status, string message)
    {
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        return response.WriteAsync(message + "\n");
    }
}
