using Microsoft.Net.Http.Headers;

namespace Catalog.Api.Http;

/// <summary>The catalog's ProblemDetails answers, worded once.</summary>
internal static class Problems
{
    public static IResult EmptyBody() =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Request body required", detail: "Send a JSON object body.");

    public static IResult NotFound(string what, long id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"{what} not found", detail: $"No {what.ToLowerInvariant()} has id {id}.");

    public static IResult Conflict(string field, string message) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: $"{field}: {message}",
            extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [field] = [message] } });

    public static IResult PreconditionRequired() =>
        TypedResults.Problem(statusCode: StatusCodes.Status428PreconditionRequired, title: "If-Match required",
            detail: "Send the ETag you last read in an If-Match header, so a concurrent change is not overwritten.");

    public static IResult PreconditionFailed(HttpContext context, int? currentVersion)
    {
        if (currentVersion is { } version)
        {
            context.Response.Headers[HeaderNames.ETag] = ETags.ForVersion(version);
        }

        return TypedResults.Problem(statusCode: StatusCodes.Status412PreconditionFailed, title: "Version mismatch",
            detail: "The resource changed since you read it (If-Match does not match its current ETag). Read it again and retry.");
    }
}
