using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Platform.Hosting.Errors;

namespace Platform.Hosting.Http;

/// <summary>
/// Refuses a request whose query parameters or route values hold text that cannot be stored (<see cref="StorableText"/>)
/// with a 400 naming each such parameter, before any endpoint sees it. Bodies are checked by <see cref="StrictJsonInput"/>.
/// </summary>
public static class RequestTextCheck
{
    /// <summary>Adds the check; route values are known here because routing runs first in a <see cref="WebApplication"/>.</summary>
    public static IApplicationBuilder UseRequestTextCheck(this IApplicationBuilder app) => app.Use(static (context, next) =>
    {
        Dictionary<string, string[]>? errors = null;
        foreach (var (name, values) in context.Request.Query)
        {
            if (!StorableText.IsStorable(name) || values.Any(v => v is not null && !StorableText.IsStorable(v)))
            {
                (errors ??= new(StringComparer.Ordinal))[name] = [StorableText.Reason];
            }
        }

        foreach (var (name, value) in context.Request.RouteValues)
        {
            if (value is string text && !StorableText.IsStorable(text))
            {
                (errors ??= new(StringComparer.Ordinal))[name] = [StorableText.Reason];
            }
        }

        return errors is null
            ? next(context)
            : ProblemResponses.WriteAsync(context, StatusCodes.Status400BadRequest, "Invalid request text",
                $"{string.Join(", ", errors.Keys)}: {StorableText.Reason}", errors);
    });
}
