using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Platform.Hosting.Errors;

/// <summary>
/// The one builder of the platform's ProblemDetails, so a client reads the same shape from an endpoint, a middleware
/// refusal and the exception handler: <c>status</c>, <c>title</c>, <c>detail</c>, and for a refusal about request
/// fields <c>errors</c> (field → reasons, the shape of a validation problem). Endpoints return the typed results below;
/// middleware writes <see cref="Create"/>'s result through <see cref="ProblemResponses"/>. <c>instance</c> and
/// <c>traceId</c> are added for all of them by the platform's problem details service.
/// </summary>
public static class Problems
{
    /// <summary>A ProblemDetails; with <paramref name="errors"/> an <see cref="HttpValidationProblemDetails"/>.</summary>
    /// <param name="title">Null takes the standard title of <paramref name="status"/>.</param>
    public static ProblemDetails Create(int status, string? title = null, string? detail = null, IDictionary<string, string[]>? errors = null)
    {
        var problem = errors is null ? new ProblemDetails() : new HttpValidationProblemDetails(errors);
        problem.Status = status;
        problem.Title = title;
        problem.Detail = detail;
        return problem;
    }

    /// <summary>400 naming each field and why; the detail repeats them for clients that show only the detail.</summary>
    public static ValidationProblem Validation(IDictionary<string, string[]> errors, string title = "Invalid request")
    {
        ArgumentNullException.ThrowIfNull(errors);
        return TypedResults.ValidationProblem(errors, detail: Summary(errors), title: title);
    }

    /// <summary>400 for one field.</summary>
    public static ValidationProblem Field(string field, string reason, string title = "Invalid request") =>
        Validation(new Dictionary<string, string[]> { [field] = [reason] }, title);

    /// <summary>400 for a request whose JSON body is missing: a validation problem naming <c>body</c>, like any field.</summary>
    public static ValidationProblem BodyRequired() =>
        Field("body", "is required: send a JSON object", "Request body required");

    /// <summary>404 for <paramref name="what"/> (e.g. <c>Product</c>) looked up by <paramref name="identifier"/>.</summary>
    public static ProblemHttpResult NotFound(string what, object identifier)
    {
        ArgumentNullException.ThrowIfNull(what);
        var text = identifier is string ? $"the id or slug '{identifier}'" : $"id {identifier}";
        return TypedResults.Problem(Create(StatusCodes.Status404NotFound, $"{what} not found", $"No {what.ToLowerInvariant()} has {text}."));
    }

    /// <summary>409: the request is valid but clashes with stored data in <paramref name="field"/> (a unique value taken).</summary>
    public static ProblemHttpResult Conflict(string field, string reason) =>
        FieldRefused(StatusCodes.Status409Conflict, "Conflict", field, reason);

    /// <summary>
    /// A refusal about one field that only the database could make (a unique value taken, a reference to a row that is
    /// gone): <paramref name="status"/> with the field in <c>errors</c>, as a validation problem names it.
    /// </summary>
    public static ProblemHttpResult FieldRefused(int status, string title, string field, string reason) =>
        TypedResults.Problem(Create(status, title, $"{field}: {reason}", new Dictionary<string, string[]> { [field] = [reason] }));

    /// <summary>428: a change to a versioned resource came without <c>If-Match</c>.</summary>
    public static ProblemHttpResult PreconditionRequired() =>
        TypedResults.Problem(Create(StatusCodes.Status428PreconditionRequired, "If-Match required",
            "Send the ETag you last read in an If-Match header, so a concurrent change is not overwritten."));

    /// <summary>412: <c>If-Match</c> does not name the resource's current version (the caller sets the current ETag).</summary>
    public static ProblemHttpResult PreconditionFailed() =>
        TypedResults.Problem(Create(StatusCodes.Status412PreconditionFailed, "Version mismatch",
            "The resource changed since you read it (If-Match does not match its current ETag). Read it again and retry."));

    private static string Summary(IDictionary<string, string[]> errors) =>
        string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"));
}
