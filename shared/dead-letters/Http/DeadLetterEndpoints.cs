using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using Platform.DeadLetters.Operations;
using Platform.Hosting.Errors;
using Platform.Hosting.Security;

namespace Platform.DeadLetters.Http;

/// <summary>
/// The ops API under <c>/ops/dead-letters</c> (policy <see cref="OpsScopes.Admin"/>, rate limit <see cref="RateLimiting.OpsPolicy"/> per key).
/// Every error is a ProblemDetails: 400 names each bad field and why, 404 names what was not found, 503 says which server is down.
/// </summary>
internal static class DeadLetterEndpoints
{
    public static IEndpointRouteBuilder Map(IEndpointRouteBuilder app)
    {
        // The limiter applies where the host runs UseRateLimiter (the service does; a bare test host may not).
        var group = app.MapGroup("/ops/dead-letters").RequireAuthorization(OpsScopes.Admin).RequireRateLimiting(RateLimiting.OpsPolicy).WithTags("Dead letters");
        group.MapGet("/", ListAsync).WithName("ListDeadLetters").Produces<DeadLetterPage>().ProducesValidationProblem();
        group.MapGet("/groups", GroupsAsync).WithName("ListDeadLetterGroups").Produces<IReadOnlyList<DeadLetterGroup>>();
        group.MapGet("/history", HistoryAsync).WithName("ListDeadLetterHistory").Produces<IReadOnlyList<DeadLetterHistoryEntry>>().ProducesValidationProblem();
        group.MapGet("/{id}", ShowAsync).WithName("ShowDeadLetter").Produces<DeadLetterDetail>().ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/replay", ReplayAsync).WithName("ReplayDeadLetters").Produces<DeadLetterOperationResult>().ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        group.MapPost("/purge", PurgeAsync).WithName("PurgeDeadLetters").Produces<DeadLetterOperationResult>().ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    // Query values arrive as strings so a bad one gets a 400 naming the field and the reason, not a bare binding failure.
    internal static Task<IResult> ListAsync(
        DeadLetterService service, string? type, string? exception, string? since, string? queue, string? group, string? status, string? limit,
        CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            var errors = new InputErrors();
            var filter = DeadLetterInput.ParseFilter(status, type, exception, since, queue, group, service.Time.GetUtcNow(), errors);
            var rows = DeadLetterInput.ParseLimit(limit, errors);
            return errors.Count > 0 ? Invalid(errors) : TypedResults.Ok(await service.ListAsync(filter, rows, cancellationToken));
        });

    internal static Task<IResult> GroupsAsync(DeadLetterService service, CancellationToken cancellationToken) =>
        Guard(async () => TypedResults.Ok(await service.GroupsAsync(cancellationToken)));

    internal static Task<IResult> HistoryAsync(DeadLetterService service, string? limit, CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            var errors = new InputErrors();
            var rows = DeadLetterInput.ParseLimit(limit, errors);
            return errors.Count > 0 ? Invalid(errors) : TypedResults.Ok(await service.HistoryAsync(rows, cancellationToken));
        });

    internal static Task<IResult> ShowAsync(DeadLetterService service, string id, CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            var errors = new InputErrors();
            var parsed = DeadLetterInput.ParseId(id, errors);
            if (errors.Count > 0)
            {
                return Invalid(errors);
            }

            return await service.FindAsync(parsed, cancellationToken) is { } detail
                ? TypedResults.Ok(detail)
                : NotFound("id", $"no dead letter has id {parsed}");
        });

    internal static Task<IResult> ReplayAsync(HttpContext context, DeadLetterService service, ReplayRequest? request, CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            if (request is null)
            {
                return Invalid(new InputErrors { ["body"] = ["send a JSON object: {\"ids\": [1, 2]}, {\"group\": \"…\"} or {\"all\": true}"] });
            }

            var errors = new InputErrors();
            var selection = DeadLetterInput.ParseSelection(
                request.Ids, request.Group, request.All, request.Type, request.Exception, request.Since, request.Queue, service.Time.GetUtcNow(), errors);
            if (errors.Count > 0)
            {
                return Invalid(errors);
            }

            var result = await service.ReplayAsync(selection, request.DryRun, Actor(context), null, cancellationToken);
            return result.Refused > 0 && !result.DryRun ? Refused(result) : TypedResults.Ok(result);
        });

    internal static Task<IResult> PurgeAsync(HttpContext context, DeadLetterService service, PurgeRequest? request, CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            if (request is null)
            {
                return Invalid(new InputErrors { ["body"] = ["send a JSON object: {\"ids\": [1, 2]}, {\"group\": \"…\", \"confirm\": true} or {\"all\": true, \"confirm\": true}"] });
            }

            var errors = new InputErrors();
            var selection = DeadLetterInput.ParseSelection(
                request.Ids, request.Group, request.All, request.Type, request.Exception, request.Since, request.Queue, service.Time.GetUtcNow(), errors);
            if ((request.All || request.Group is not null) && !request.Confirm && !request.DryRun)
            {
                errors.Report("confirm", "purging a group or all needs \"confirm\": true (try \"dryRun\": true first)");
            }

            if (errors.Count > 0)
            {
                return Invalid(errors);
            }

            return TypedResults.Ok(await service.PurgeAsync(selection, request.DryRun, Actor(context), cancellationToken));
        });

    /// <summary>
    /// 422 when a replay refused rows (destination outside this deployment): the problem names each id and why; the
    /// rest of the selection was replayed as usual, and <c>result</c> says what happened to every row.
    /// </summary>
    private static ProblemHttpResult Refused(DeadLetterOperationResult result)
    {
        var refused = result.Items.Where(i => i.Outcome == "refused").ToList();
        var problem = Problems.Create(
            StatusCodes.Status422UnprocessableEntity,
            "Replay refused",
            $"{result.Refused} dead letter(s) not replayed, they stay stored: "
            + string.Join("; ", refused.Take(10).Select(i => $"id {i.Id}: {i.Reason}"))
            + (refused.Count > 10 ? $"; and {result.Refused - 10} more (see result.items)" : "")
            + $". {result.Succeeded} replayed (history #{result.HistoryId}).");
        problem.Extensions["refused"] = refused.Select(i => new { id = i.Id, queue = i.Queue, reason = i.Reason }).ToList();
        problem.Extensions["result"] = result;
        return TypedResults.Problem(problem);
    }

    private static DeadLetterActor Actor(HttpContext context) => new(context.User.Identity?.Name ?? "unknown", "http");

    private static async Task<IResult> Guard(Func<Task<IResult>> handle)
    {
        try
        {
            return await handle();
        }
        catch (DeadLetterNotFoundException e)
        {
            return NotFound(e.Field, e.Message);
        }
        catch (NpgsqlException e) when (e is not PostgresException)
        {
            return TypedResults.Problem(Problems.Create(StatusCodes.Status503ServiceUnavailable, "Database unavailable", "PostgreSQL cannot be reached; try again shortly."));
        }
    }

    private static ValidationProblem Invalid(InputErrors errors) => Problems.Validation(errors, "Invalid dead-letter request");

    private static ProblemHttpResult NotFound(string field, string message) =>
        Problems.FieldRefused(StatusCodes.Status404NotFound, "Dead letter not found", field, message);
}
