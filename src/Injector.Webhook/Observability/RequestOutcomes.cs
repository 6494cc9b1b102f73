using System.Net;

namespace Injector.Webhook.Observability;

/// <summary>What happens to admission requests that never reach a decision. Requests refused with an HTTP
/// error (400, 405, 408, 413, 415, 429) are counted by status and logged, at most once per <see cref="LogWindow"/>
/// per status, with the reason they were given; reviews answered inside an AdmissionReview without a decision
/// (429 busy, 413 too many JSON values) are counted the same way and logged as not decided, with what the failure
/// policy made of them. Client problems — a client that goes away before
/// its review has arrived, or whose body arrives too slowly (408) — are the client's, not the server's:
/// they are answered (when there is still someone to answer), counted, and logged at most once per
/// <see cref="LogWindow"/> per kind, without a stack trace, instead of Kestrel's error line per request.</summary>
public sealed class RequestOutcomes(InjectorMetrics metrics, ILogger<RequestOutcomes> logger, TimeProvider? time = null)
{
    public static readonly TimeSpan LogWindow = TimeSpan.FromSeconds(10);

    public const string Aborted = "aborted";
    public const string BodyTimeout = "body-timeout";

    /// <summary>A refused request's log line carries at most this much of its reason (a content type is the
    /// client's to make long).</summary>
    public const int MaxDetailLength = 300;

    private readonly LogRateLimiter _lines = new(LogWindow, time);

    public static bool IsAdmissionPath(PathString path) => path.Value is { } value && AdmissionEndpoints.Paths.Contains(value);

    public Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        if (!IsAdmissionPath(http.Request.Path)) return next(http);
        var handled = next(http);
        // The usual case, a review answered without trouble, costs one status check.
        if (handled.IsCompletedSuccessfully)
        {
            Count(http);
            return Task.CompletedTask;
        }
        return AwaitAsync(http, handled);
    }

    private async Task AwaitAsync(HttpContext http, Task handled)
    {
        try
        {
            await handled;
        }
        catch (Exception ex) when (WentAway(http, ex))
        {
            // The client went away: nobody is left to answer; aborted as MarkGone does.
            http.Abort();
            metrics.RecordAborted();
            Log(Aborted, http, LogLevel.Information, "the client closed the connection before its review had arrived", ex.Message);
            return;
        }
        catch (BadHttpRequestException ex) when (!http.Response.HasStarted)
        {
            // Kestrel refused the body while the endpoint read it (too slow, cut short, malformed chunks).
            // Answer as Kestrel would, closing the connection, whose body is unread.
            // Closing is HTTP/1's way (HTTP/2 refuses the header and logs each time); an HTTP/2 stream ends by itself.
            // A body over the limit gets the endpoint's own words, as when its Content-Length says so.
            var message = ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? AdmissionEndpoints.BodyTooLarge : ex.Message;
            http.Response.Clear();
            MarkRefused(http, ex.StatusCode, message);
            http.Response.StatusCode = ex.StatusCode;
            if (!HttpProtocol.IsHttp2(http.Request.Protocol)) http.Response.Headers.Connection = "close";
            http.Response.ContentType = "text/plain; charset=utf-8";
            await http.Response.WriteAsync(message + "\n", http.RequestAborted);
        }
        Count(http);
    }

    /// <summary>Whether <paramref name="exception"/> means the client left: the request was aborted, or the
    /// connection ended in the middle of the body (Kestrel's "Unexpected end of request content", a 400
    /// nobody is left to read).</summary>
    private static bool WentAway(HttpContext http, Exception exception) =>
        (http.RequestAborted.IsCancellationRequested && exception is OperationCanceledException or IOException or BadHttpRequestException)
        || (exception is BadHttpRequestException { StatusCode: StatusCodes.Status400BadRequest } bad
            && bad.Message.StartsWith("Unexpected end of request content", StringComparison.Ordinal));

    /// <summary>Marks a refusal, with the reason it was given: answered as an HTTP error with <paramref name="code"/>,
    /// or inside an AdmissionReview as the failure policy has it (HTTP 200; such as 429 when the memory budget stayed
    /// busy), so that it is counted and logged as refused with that code.</summary>
    public static void MarkRefused(HttpContext http, int code, string reason) => http.Features.Set(new Mark(code, Gone: false, reason));

    /// <summary>Marks a review answered without a decision inside an AdmissionReview (HTTP 200): refused or admitted
    /// without a sidecar, as <paramref name="outcome"/> says the failure policy had it. Counted under
    /// <paramref name="code"/> like a refusal; logged as not decided, with the outcome, never as "refused" when the
    /// pod was admitted.</summary>
    public static void MarkUndecided(HttpContext http, int code, string outcome, string reason) =>
        http.Features.Set(new Mark(code, Gone: false, reason, outcome));

    /// <summary>Marks a review the endpoint returns from without an answer because its client left (the body
    /// ended early or the connection broke), so that it is counted as aborted, and aborts its request.</summary>
    public static void MarkGone(HttpContext http)
    {
        http.Features.Set(new Mark(null, Gone: true, null));
        // Nobody is left to answer. Aborting keeps Kestrel from draining a body whose read ended in an exception (a
        // reset read while the read was pending leaves Kestrel's reader mid-read; under load the drain then logged an
        // error with a stack trace before the connection's end was noticed).
        http.Abort();
    }

    // A request feature rather than an Items entry: reading a feature nobody set allocates nothing, and most
    // reviews have no mark.
    private sealed record Mark(int? Refused, bool Gone, string? Reason, string? Outcome = null);

    private void Count(HttpContext http)
    {
        // An answer may still sit unflushed in the response pipe (Kestrel sends it, with its Content-Length, when
        // the endpoint returns), so "not started" alone is no sign that the client left; an aborted request or the
        // endpoint's own mark is.
        var mark = http.Features.Get<Mark>();
        if (!http.Response.HasStarted && (http.RequestAborted.IsCancellationRequested || mark is { Gone: true }))
        {
            metrics.RecordAborted();
            Log(Aborted, http, LogLevel.Information, "the client closed the connection before its review had arrived", "connection closed");
            return;
        }
        var status = mark?.Refused ?? http.Response.StatusCode;
        if (status is < 400 or >= 500) return;
        metrics.RecordRefused(status);
        if (status == StatusCodes.Status408RequestTimeout)
            Log(BodyTimeout, http, LogLevel.Warning, "the review's body did not arrive in time (408)", "request body timeout");
        else if (mark is { Outcome: { } outcome })
            LogUndecided(http, status, outcome, mark.Reason ?? ReasonOf(http, status));
        else
            LogRefusal(http, status, mark?.Reason ?? ReasonOf(http, status));
    }

    /// <summary>Why a request nobody marked was refused: routing's 405, or another status set outside the endpoint.</summary>
    private static string ReasonOf(HttpContext http, int status) => status == StatusCodes.Status405MethodNotAllowed
        ? $"method {http.Request.Method} is not allowed; reviews are POSTed"
        : $"answered with status {status}";

    private void LogRefusal(HttpContext http, int status, string reason)
    {
        // One line per status per window: a flood of one kind does not hide another.
        if (!_lines.TryAcquire($"refused-{status}", out var suppressed)) return;
        WebhookLog.RequestRefused(logger, HandshakeFailure.Address(RemoteEndPoint(http)), status, Shortened(reason), suppressed);
    }

    private void LogUndecided(HttpContext http, int status, string outcome, string reason)
    {
        if (!_lines.TryAcquire($"undecided-{status}", out var suppressed)) return;
        WebhookLog.ReviewUndecided(logger, HandshakeFailure.Address(RemoteEndPoint(http)), status, outcome, Shortened(reason), suppressed);
    }

    private static string Shortened(string reason) =>
        reason.Length <= MaxDetailLength ? reason : string.Concat(reason.AsSpan(0, MaxDetailLength), "…");

    private void Log(string problem, HttpContext http, LogLevel level, string detail, string error)
    {
        if (!_lines.TryAcquire(problem, out var suppressed)) return;
        var remote = HandshakeFailure.Address(RemoteEndPoint(http));
        WebhookLog.ClientProblem(logger, level, remote, problem, detail, error, suppressed);
    }

    private static IPEndPoint? RemoteEndPoint(HttpContext http) =>
        http.Connection.RemoteIpAddress is { } address ? new IPEndPoint(address, http.Connection.RemotePort) : null;
}
