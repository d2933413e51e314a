using System.Globalization;
using System.Text.RegularExpressions;
using CacheInvalidator.Invalidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using Platform.Caching;
using Platform.Contracts.Caching;
using Platform.DeadLetters;
using Platform.Hosting.Errors;
using Platform.Hosting.Security;
using StackExchange.Redis;

namespace CacheInvalidator.Requests;

/// <summary>
/// <c>POST /ops/cache/invalidate</c> (scope <see cref="CacheScopes.Invalidate"/>): the direct request over HTTP, through
/// the same path as the message (<see cref="DirectInvalidation"/>); <c>GET /ops/cache/invalidations</c> (scope
/// <see cref="OpsScopes.Admin"/>): the record of every direct request. Both under the ops rate limit; every error a
/// ProblemDetails naming the field.
/// </summary>
public static partial class InvalidationRequestEndpoints
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 1000;
    private const int MaxFilterLength = 200;

    public static IEndpointRouteBuilder MapInvalidationRequests(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/ops/cache").RequireRateLimiting(RateLimiting.OpsPolicy).WithTags("Cache");
        group.MapPost("/invalidate", InvalidateAsync).RequireAuthorization(CacheScopes.Invalidate).WithName("InvalidateCache")
            .Produces<CacheInvalidateResult>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        group.MapGet("/invalidations", ListAsync).RequireAuthorization(OpsScopes.Admin).WithName("ListCacheInvalidations")
            .Produces<InvalidationRecordPage>().ProducesValidationProblem();
        return app;
    }

    internal static Task<IResult> InvalidateAsync(HttpContext context, DirectInvalidation direct, CacheInvalidateRequest? body) =>
        Guard(async () =>
        {
            if (body is null)
            {
                return Problems.Field("body", "send a JSON object: {\"keys\": […], \"tags\": […], \"reason\": \"…\", \"source\": \"…\"}", "Invalid invalidation request");
            }

            var actor = context.User.Identity?.Name ?? "unknown";
            var request = new CacheInvalidationRequested(body.Keys ?? [], body.Tags ?? [], body.Reason ?? "", body.Source ?? "", actor);
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            foreach (var (field, message) in InvalidationRequestValidator.Problems(request))
            {
                errors[field] = errors.TryGetValue(field, out var existing) ? [.. existing, message] : [message];
            }

            if (string.IsNullOrWhiteSpace(body.Reason))
            {
                errors["reason"] = ["reason is required: say why, for the record (e.g. \"price import 2026-12-05 fixed by hand\")"];
            }

            if (errors.Count > 0)
            {
                return Problems.Validation(errors, "Invalid invalidation request");
            }

            // Not the request's token: once asked, the eviction and its record finish even if the caller goes away.
            var recorded = await direct.ApplyAsync(request, InvalidationChannel.Http, null, null, CancellationToken.None);
            var plan = InvalidationConsumer.For(request);
            return TypedResults.Ok(new CacheInvalidateResult(recorded!.Value.Id, recorded.Value.At, actor, plan.Keys, plan.Tags));
        });

    // Query values arrive as strings so a bad one gets a 400 naming the field and the reason, not a bare binding failure.
    internal static Task<IResult> ListAsync(
        InvalidationRequestLog log, TimeProvider time, string? since, string? until, string? source, string? actor, string? channel, string? key, string? tag,
        string? before, string? limit, CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            var filter = ParseFilter(time.GetUtcNow(), since, until, source, actor, channel, key, tag, before, limit, errors);
            return errors.Count > 0
                ? Problems.Validation(errors, "Invalid invalidation record query")
                : TypedResults.Ok(await log.ListAsync(filter, cancellationToken));
        });

    /// <summary>
    /// The record's filter from query text (the JSON API's and the console's): every bad value adds the field and the
    /// reason to <paramref name="errors"/>.
    /// </summary>
    internal static InvalidationRecordFilter ParseFilter(
        DateTimeOffset now, string? since, string? until, string? source, string? actor, string? channel, string? key, string? tag,
        string? before, string? limit, Dictionary<string, string[]> errors) =>
        new(
            Time(since, "since", now, errors),
            Time(until, "until", now, errors),
            Text(source, "source", errors),
            Text(actor, "actor", errors),
            Channel(channel, errors),
            Text(key, "key", errors),
            Text(tag, "tag", errors),
            Number(before, "before", 1, long.MaxValue, errors),
            (int)(Number(limit, "limit", 1, MaxLimit, errors) ?? DefaultLimit));

    private static DateTimeOffset? Time(string? text, string field, DateTimeOffset now, Dictionary<string, string[]> errors)
    {
        if (text is null)
        {
            return null;
        }

        var relative = Relative().Match(text.Trim());
        if (relative.Success && int.TryParse(relative.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            var ago = relative.Groups[2].Value switch
            {
                "m" => TimeSpan.FromMinutes(amount),
                "h" => TimeSpan.FromHours(amount),
                _ => TimeSpan.FromDays(amount),
            };
            if (ago <= TimeSpan.FromDays(3650))
            {
                return now - ago;
            }
        }
        else if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
                 && at.Year is >= 2000 and <= 2999)
        {
            return at;
        }

        errors[field] = [$"'{Clip(text)}' is not a time: give an ISO 8601 time (2026-12-05T09:00:00Z) or an age (15m, 2h, 7d; at most 3650d)"];
        return null;
    }

    private static string? Text(string? text, string field, Dictionary<string, string[]> errors)
    {
        if (text is null)
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(text) || text.Length > MaxFilterLength || text.Any(char.IsControl))
        {
            errors[field] = [$"must be 1-{MaxFilterLength} characters without control characters"];
            return null;
        }

        return text;
    }

    private static string? Channel(string? text, Dictionary<string, string[]> errors)
    {
        if (text is null or InvalidationChannel.MassTransit or InvalidationChannel.PlainJson or InvalidationChannel.Http)
        {
            return text;
        }

        errors["channel"] = [$"'{Clip(text)}' is not one of {InvalidationChannel.MassTransit}, {InvalidationChannel.PlainJson}, {InvalidationChannel.Http}"];
        return null;
    }

    private static long? Number(string? text, string field, long min, long max, Dictionary<string, string[]> errors)
    {
        if (text is null)
        {
            return null;
        }

        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            errors[field] = [$"must be a whole number from {min} to {max}, not '{Clip(text)}'"];
            return null;
        }

        return value;
    }

    private static string Clip(string text) => text.Length > 50 ? text[..50] + "…" : text;

    private static async Task<IResult> Guard(Func<Task<IResult>> handle)
    {
        try
        {
            return await handle();
        }
        catch (NpgsqlException e) when (e is not PostgresException)
        {
            return TypedResults.Problem(Problems.Create(StatusCodes.Status503ServiceUnavailable, "Database unavailable", "PostgreSQL cannot be reached; try again shortly."));
        }
        catch (Exception e) when (e is CacheUnavailableException or RedisException)
        {
            return TypedResults.Problem(Problems.Create(StatusCodes.Status503ServiceUnavailable, "Redis unavailable",
                "The invalidation could not be recorded in Redis, so other nodes may not have seen it; nothing was recorded. Try again shortly."));
        }
    }

    [GeneratedRegex("^([0-9]{1,7})([mhd])$")]
    private static partial Regex Relative();
}
