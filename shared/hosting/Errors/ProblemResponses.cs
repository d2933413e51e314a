using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Platform.Hosting.Errors;

/// <summary>
/// Writes a refusal from middleware (authentication, rate limiting, status pages, request checks, the exception handler),
/// built by <see cref="Problems"/>: a ProblemDetails when the client's <c>Accept</c> admits JSON, otherwise the bare
/// status with no body. Never throws because a client refuses JSON (<see cref="IProblemDetailsService.WriteAsync"/> does, which turned a 401 for <c>Accept: text/html</c>
/// into a 500).
/// </summary>
public static class ProblemResponses
{
    /// <summary>Sets <paramref name="status"/> and writes the problem if the client takes one. Headers set before stay.</summary>
    /// <param name="errors">Field → reasons, as in a validation problem; null for none.</param>
    public static async Task WriteAsync(HttpContext context, int status, string title, string? detail, IDictionary<string, string[]>? errors = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        await WriteAsync(context, Problems.Create(status, title, detail, errors));
    }

    /// <summary>Sets the status of <paramref name="problem"/> (built by <see cref="Problems"/>) and writes it if the client takes one.</summary>
    public static async Task WriteAsync(HttpContext context, ProblemDetails problem, Exception? exception = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(problem);
        context.Response.StatusCode = problem.Status ?? StatusCodes.Status500InternalServerError;
        if (context.RequestServices.GetService<IProblemDetailsService>() is { } problems)
        {
            // False when no writer accepts the client's Accept header: the status alone is the answer.
            await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
        }
    }
}
