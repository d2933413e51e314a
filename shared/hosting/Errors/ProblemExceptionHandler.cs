using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Platform.Hosting.Errors;

/// <summary>
/// Turns exceptions that are the client's fault (malformed JSON, oversized body, bad request line) into the
/// 4xx ProblemDetails they deserve, and everything else into a 500 ProblemDetails without internals.
/// </summary>
internal sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
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

        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
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
        json.Path is null ? "The request body is not valid JSON." : $"The request body is not valid JSON at '{json.Path}' (line {json.LineNumber + 1}).";
}
