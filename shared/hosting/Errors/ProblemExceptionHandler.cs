using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Platform.Hosting.Errors;

/// <summary>
/// Turns exceptions that are the client's fault (malformed JSON, oversized body, bad request line) into the
/// 4xx ProblemDetails they deserve, and everything else into a 500 ProblemDetails without internals.
/// </summary>
internal sealed class ProblemExceptionHandler(ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            // The client went away: nobody reads a response, and it is not a server error.
            httpContext.Response.StatusCode = StatusCodes.Status499ClientClosedRequest;
            return true;
        }

        var (status, title, detail) = Classify(exception);
        if (status >= 500)
        {
            logger.LogError(exception, "Unhandled exception on {Method} {Path}", httpContext.Request.Method, httpContext.Request.Path);
        }

        var errors = FieldError(exception) is { } field ? new Dictionary<string, string[]> { [field.Name] = [field.Reason] } : null;
        // A client that refuses JSON gets the bare status: handled either way, so the middleware neither rethrows nor logs it again.
        await ProblemResponses.WriteAsync(httpContext, Problems.Create(status, title, detail, errors), exception);
        return true;
    }

    internal static (int Status, string Title, string? Detail) Classify(Exception exception) => exception switch
    {
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
            (413, "Request body too large", exception.Message),
        BadHttpRequestException { InnerException: JsonException json } =>
            (400, "Malformed JSON body", JsonDetail(json)),
        BadHttpRequestException bad =>
            (bad.StatusCode, "Bad request", bad.Message),
        JsonException json =>
            (400, "Malformed JSON body", JsonDetail(json)),
        _ => (500, "An unexpected error occurred", null),
    };

    private static string JsonDetail(JsonException json) =>
        FieldOf(json) is { } field
            ? $"Field '{field}' is not valid: {Reason(json)}"
            : $"The request body is not valid JSON{(json.LineNumber is { } line ? $" (line {line + 1})" : "")}: {Reason(json)}";

    /// <summary>The body field a JSON error is about (<c>$.items[2].price</c> → <c>items[2].price</c>), with the reason.</summary>
    internal static (string Name, string Reason)? FieldError(Exception exception) =>
        (exception as JsonException ?? exception.InnerException as JsonException) is { } json && FieldOf(json) is { } field ? (field, Reason(json)) : null;

    private static string? FieldOf(JsonException json) =>
        json.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : null;

    // System.Text.Json's message without its "Path: … | LineNumber: …" tail, which the field already says.
    private static string Reason(JsonException json)
    {
        var message = json.Message;
        var tail = message.IndexOf(" Path: ", StringComparison.Ordinal);
        return (tail > 0 ? message[..tail] : message).Trim();
    }
}
