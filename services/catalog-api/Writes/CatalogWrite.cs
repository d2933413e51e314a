using Catalog.Api.Caching;
using Catalog.Api.Data;
using Catalog.Api.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Platform.Hosting.Errors;
using Platform.Messaging.Outbox;

namespace Catalog.Api.Writes;

/// <summary>
/// The one pipeline of every catalog write: validate → load → If-Match → mutate → outbox → one SaveChanges → evict → ETag.
/// Bound per request (<see cref="BindAsync"/>), so a handler takes it as one parameter.
/// </summary>
/// <remarks>
/// Why it is shaped so: a row and its events must commit together or not at all (the invalidator and the analytics only
/// ever learn of a change through its event). One SaveChanges is one transaction and one statement batch, so there is no
/// explicit transaction to get wrong; a create takes its id from the table's identity sequence first, so its event can
/// carry the id in that same batch (an id taken and then rolled back is only a gap). Everything the client can get wrong
/// is refused before the database is touched (400, 428), the version is compared on the loaded row (412 with the current
/// ETag) and again by the UPDATE's version guard (a writer in between gets 412, never a lost update); unique values and
/// references are checked by their constraints inside the batch (409 / 400 naming the field). Eviction comes only after
/// the commit — never evict for a change that may roll back — and cannot fail the write (ADR 009); the ETag returned is
/// the committed version.
/// </remarks>
public sealed class CatalogWrite
{
    private static readonly Dictionary<string, ConstraintRefusal> NoConstraints = [];

    private readonly HttpContext _context;
    private readonly WriteEviction _eviction;

    private CatalogWrite(HttpContext context, CatalogDbContext db, WriteEviction eviction, TimeProvider time)
    {
        _context = context;
        _eviction = eviction;
        Db = db;
        Now = time.GetUtcNow();
    }

    /// <summary>The request's unit of work.</summary>
    public CatalogDbContext Db { get; }

    /// <summary>The write's timestamp: one per request, so the row and its events agree.</summary>
    public DateTimeOffset Now { get; }

    /// <summary>The request's cancellation (not used for the eviction: <see cref="WriteEviction"/>).</summary>
    public CancellationToken Aborted => _context.RequestAborted;

    /// <summary>Minimal APIs bind a handler parameter of this type through this method.</summary>
    public static ValueTask<CatalogWrite?> BindAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var services = context.RequestServices;
        return ValueTask.FromResult<CatalogWrite?>(new CatalogWrite(
            context, services.GetRequiredService<CatalogDbContext>(), services.GetRequiredService<WriteEviction>(), services.GetRequiredService<TimeProvider>()));
    }

    /// <summary>Creates a row: 201 with its location and ETag.</summary>
    /// <param name="create">The new row with the given id and time, and its events.</param>
    public async Task<Results<Created<TDto>, ValidationProblem, ProblemHttpResult>> CreateAsync<TBody, TRow, TDto>(
        WriteTarget<TRow, TDto> target, TBody? body, Func<TBody, Dictionary<string, string[]>> validate, Func<TBody, long, DateTimeOffset, (TRow Row, WriteEvents Events)> create)
        where TBody : class
        where TRow : class, IVersionedRow
    {
        if (Refusal(body, validate, target.InvalidTitle) is { } invalid)
        {
            return invalid;
        }

        var id = (await Db.Database.SqlQuery<long>($"SELECT nextval(pg_get_serial_sequence({target.Table}, 'id')) AS \"Value\"").ToListAsync(Aborted))[0];
        var (row, events) = create(body!, id, Now);
        Db.Add(row);
        if (await CommitAsync(events, target) is { } refused)
        {
            return refused;
        }

        _context.Response.Headers.ETag = ETags.ForVersion(row.Version);
        return TypedResults.Created($"{target.Path}/{row.Id}", target.ToDto(row));
    }

    /// <summary>Replaces the state of a row: If-Match required (428 without, 412 on a stale one); 200 with the new ETag.</summary>
    /// <param name="apply">Sets the row from the body (its version is already the new one) and returns the events.</param>
    public async Task<Results<Ok<TDto>, ValidationProblem, ProblemHttpResult>> UpdateAsync<TBody, TRow, TDto>(
        WriteTarget<TRow, TDto> target, long id, string? ifMatch, TBody? body, Func<TBody, Dictionary<string, string[]>> validate, Func<TRow, TBody, DateTimeOffset, WriteEvents> apply)
        where TBody : class
        where TRow : class, IVersionedRow
    {
        if (Refusal(body, validate, target.InvalidTitle) is { } invalid)
        {
            return invalid;
        }

        if (string.IsNullOrEmpty(ifMatch))
        {
            return Problems.PreconditionRequired();
        }

        var (row, refusal) = await LoadAsync(target, id, ifMatch);
        if (refusal is not null)
        {
            return refusal;
        }

        row!.Version++;
        if (await CommitAsync(apply(row, body!, Now), target) is { } refused)
        {
            return refused;
        }

        _context.Response.Headers.ETag = ETags.ForVersion(row.Version);
        return TypedResults.Ok(target.ToDto(row));
    }

    /// <summary>Deletes a row: If-Match optional (a stale one is 412); 204.</summary>
    /// <param name="delete">The events of the deletion (the row is removed by the pipeline).</param>
    public async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync<TRow, TDto>(
        WriteTarget<TRow, TDto> target, long id, string? ifMatch, Func<TRow, DateTimeOffset, WriteEvents> delete)
        where TRow : class, IVersionedRow
    {
        var (row, refusal) = await LoadAsync(target, id, ifMatch);
        if (refusal is not null)
        {
            return refusal;
        }

        Db.Remove(row!);
        if (await CommitAsync(delete(row!, Now), target) is { } refused)
        {
            return refused;
        }

        return TypedResults.NoContent();
    }

    /// <summary>Commits events that change no versioned row (a view), through the same outbox, save and eviction.</summary>
    public async Task RecordAsync(WriteEvents events) =>
        _ = await CommitAsync(events, NoConstraints, "Invalid request");

    private static ValidationProblem? Refusal<TBody>(TBody? body, Func<TBody, Dictionary<string, string[]>> validate, string title)
        where TBody : class =>
        body is null ? Problems.BodyRequired() : validate(body) is { Count: > 0 } errors ? Problems.Validation(errors, title) : null;

    private async Task<(TRow? Row, ProblemHttpResult? Refusal)> LoadAsync<TRow, TDto>(WriteTarget<TRow, TDto> target, long id, string? ifMatch)
        where TRow : class, IVersionedRow
    {
        var row = await Db.Set<TRow>().FindAsync([id], Aborted);
        if (row is null)
        {
            return (null, Problems.NotFound(target.Name, id));
        }

        if (!string.IsNullOrEmpty(ifMatch) && !ETags.Matches(ifMatch, row.Version))
        {
            // The current ETag, so the client can tell a stale read from a malformed header without reading again.
            _context.Response.Headers.ETag = ETags.ForVersion(row.Version);
            return (null, Problems.PreconditionFailed());
        }

        return (row, null);
    }

    private Task<ProblemHttpResult?> CommitAsync<TRow, TDto>(WriteEvents events, WriteTarget<TRow, TDto> target)
        where TRow : class, IVersionedRow =>
        CommitAsync(events, target.Constraints, target.InvalidTitle);

    private async Task<ProblemHttpResult?> CommitAsync(WriteEvents events, IReadOnlyDictionary<string, ConstraintRefusal> constraints, string invalidTitle)
    {
        foreach (var @event in events.Events)
        {
            Db.AddOutboxMessage(@event);
        }

        try
        {
            await Db.SaveChangesAsync(Aborted);
        }
        catch (DbUpdateConcurrencyException)
        {
            return Problems.PreconditionFailed();
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { ConstraintName: { } name } && constraints.TryGetValue(name, out var refusal))
        {
            return Problems.FieldRefused(refusal.Status, refusal.Status == StatusCodes.Status409Conflict ? "Conflict" : invalidTitle, refusal.Field, refusal.Reason);
        }

        await _eviction.EvictAsync(events.Evicts);
        return null;
    }
}
