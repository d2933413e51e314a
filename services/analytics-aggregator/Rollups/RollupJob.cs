using System.Data;
using Npgsql;
using NpgsqlTypes;
using Platform.Contracts.Analytics;
using Platform.Messaging.Outbox;

namespace AnalyticsAggregator.Rollups;

/// <summary>
/// Incremental rollups of raw events into the daily tables, exactly once: each pass folds the raw rows of
/// [watermark, safe point) and moves the watermark to the safe point in the same transaction, together with the
/// <see cref="AnalyticsRollupCompleted"/> for its outbox. A crash before the commit leaves nothing behind; after it,
/// the next pass starts where this one ended. One pass runs at a time across every node (a session advisory lock,
/// backed by the state row's lock). See docs/adr/008-analytics-rollups.md.
/// </summary>
public sealed partial class RollupJob(
    NpgsqlDataSource db,
    [FromKeyedServices(AnalyticsAggregatorCommands.Schema)] OutboxWriter outbox,
    AnalyticsMetrics metrics,
    TimeProvider time,
    ILogger<RollupJob> logger)
{
    /// <summary>Longest range <see cref="RecomputeAsync"/> replaces at once.</summary>
    public const int MaxRecomputeDays = 366;

    // Bounds one pass (its transaction, its memory, how long it holds back vacuum) when a backlog built up; a backlog
    // is then worked off in several passes, each still exactly once.
    public const long DefaultMaxEventsPerPass = 1_000_000;

    private static readonly long LockKey = AdvisoryLocks.Key("platform.analytics-rollup");
    private static readonly TimeSpan CatchUpPoll = TimeSpan.FromMilliseconds(50);

    private const string PassLimitSql = """
        SELECT ingest_xid FROM analytics.raw_events
        WHERE ingest_xid >= @from AND ingest_xid < @to
        ORDER BY ingest_xid
        OFFSET @max LIMIT 1
        """;

    /// <summary>Events folded per pass at most (approximately: a pass ends on a transaction boundary).</summary>
    public long MaxEventsPerPass { get; init; } = DefaultMaxEventsPerPass;

    /// <summary>One pass if no other node is rolling up; null when one is (it will have done the work).</summary>
    public async Task<RollupResult?> TryRunAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        if (!await ScalarAsync<bool>(connection, $"SELECT pg_try_advisory_lock({LockKey})", cancellationToken))
        {
            metrics.Rollup("busy");
            return null;
        }

        return await PassHoldingLockAsync(connection, cancellationToken);
    }

    /// <summary>One pass, after waiting for another node's pass to finish.</summary>
    public async Task<RollupResult> RunAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await ScalarAsync<object>(connection, $"SELECT pg_advisory_lock({LockKey})", cancellationToken, timeoutSeconds: 0);
        return await PassHoldingLockAsync(connection, cancellationToken);
    }

    /// <summary>
    /// Passes until every event committed before this call is folded in: waits (up to <paramref name="timeout"/>) for
    /// transactions older than the call to end, since their rows may still appear below the safe point.
    /// </summary>
    /// <exception cref="TimeoutException">An old transaction still holds the safe point back; the message names it.</exception>
    public async Task<RollupResult> CatchUpAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        ulong target;
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        {
            target = await ScalarAsync<ulong>(connection, RollupSql.Now, cancellationToken);
        }

        var started = time.GetTimestamp();
        RollupResult? total = null;
        while (true)
        {
            var pass = await RunAsync(cancellationToken);
            total = total is null ? pass : total.Then(pass);
            if (pass.To >= target)
            {
                return total;
            }

            if (pass.More)
            {
                continue;
            }

            if (time.GetElapsedTime(started) > timeout)
            {
                await using var connection = await db.OpenConnectionAsync(cancellationToken);
                var holder = await ScalarAsync<string?>(connection, RollupSql.OldestTransaction, cancellationToken);
                throw new TimeoutException(
                    $"rollup caught up to xid {pass.To} of {target} in {timeout.TotalSeconds:0.#} s; held back by an older open transaction: {holder ?? "(ended)"}");
            }

            await Task.Delay(CatchUpPoll, time, cancellationToken);
        }
    }

    private async Task<RollupResult> PassHoldingLockAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            return await PassAsync(connection, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            metrics.Rollup("failed");
            throw;
        }
        finally
        {
            await UnlockAsync(connection);
        }
    }

    private async Task<RollupResult> PassAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        // Repeatable read: every statement below sees the one snapshot whose xmin is the safe point.
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        ulong from, safe;
        await using (var positions = new NpgsqlCommand(RollupSql.Positions, connection, transaction))
        await using (var reader = await positions.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            from = reader.GetFieldValue<ulong>(0);
            safe = reader.GetFieldValue<ulong>(1);
        }

        if (safe <= from)
        {
            await transaction.CommitAsync(cancellationToken);
            metrics.Rollup("empty");
            return RollupResult.Nothing(from);
        }

        var to = safe;
        var more = false;
        await using (var limit = new NpgsqlCommand(PassLimitSql, connection, transaction))
        {
            limit.Parameters.Add(XidParameter("from", from));
            limit.Parameters.Add(XidParameter("to", safe));
            limit.Parameters.Add(new NpgsqlParameter<long>("max", MaxEventsPerPass));
            if (await limit.ExecuteScalarAsync(cancellationToken) is ulong cut)
            {
                // Ends the pass before the transaction holding event number max + 1 (or just after it, should one
                // transaction alone hold more): ranges stay whole transactions, so nothing is split or skipped.
                to = cut > from ? cut : cut + 1;
                more = to < safe;
            }
        }

        var pairs = new List<(long CategoryId, DateOnly Day)>();
        long events = 0;
        await using (var fold = new NpgsqlCommand(RollupSql.FoldProducts, connection, transaction) { CommandTimeout = 0 })
        {
            fold.Parameters.Add(XidParameter("from", from));
            fold.Parameters.Add(XidParameter("to", to));
            await using var reader = await fold.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                pairs.Add((reader.GetInt64(0), reader.GetFieldValue<DateOnly>(1)));
                events = reader.GetInt64(2);
            }
        }

        if (pairs.Count > 0)
        {
            await using var categories = new NpgsqlCommand(RollupSql.FoldCategories, connection, transaction) { CommandTimeout = 0 };
            categories.Parameters.Add(new NpgsqlParameter<long[]>("category_ids", [.. pairs.Select(p => p.CategoryId)]));
            categories.Parameters.Add(new NpgsqlParameter<DateOnly[]>("days", [.. pairs.Select(p => p.Day)]) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Date });
            await categories.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var advance = new NpgsqlCommand(RollupSql.Advance, connection, transaction))
        {
            advance.Parameters.Add(XidParameter("to", to));
            advance.Parameters.Add(new NpgsqlParameter<long>("events", events));
            await advance.ExecuteNonQueryAsync(cancellationToken);
        }

        var categoryIds = pairs.Select(p => p.CategoryId).Distinct().Order().ToList();
        var days = pairs.Select(p => p.Day).Distinct().Order().ToList();
        if (pairs.Count > 0)
        {
            await outbox.WriteAsync(connection, transaction, new AnalyticsRollupCompleted(categoryIds, days, (long)to, time.GetUtcNow()), cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);

        var result = new RollupResult(from, to, events, pairs.Count, categoryIds, days, more, time.GetElapsedTime(started));
        metrics.Rollup(pairs.Count > 0 ? "applied" : "empty", events, result.Duration);
        if (events > 0)
        {
            logger.LogInformation("Rolled up {Events} events into {CategoryDays} category-days ({Categories} categories, {FirstDay} to {LastDay}) in {Duration}",
                events, pairs.Count, categoryIds.Count, days[0], days[^1], result.Duration);
        }

        return result;
    }

    private async Task UnlockAsync(NpgsqlConnection connection)
    {
        try
        {
            await ScalarAsync<bool>(connection, $"SELECT pg_advisory_unlock({LockKey})", CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // The session is broken, and the lock went with it (the pool discards a broken connection).
            logger.LogDebug(e, "Releasing the rollup lock failed; its session is gone");
        }
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, int timeoutSeconds = 30)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = timeoutSeconds };
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is DBNull ? default! : (T)value!;
    }

    private static NpgsqlParameter<ulong> XidParameter(string name, ulong value) => new(name, value) { NpgsqlDbType = NpgsqlDbType.Xid8 };

    private static NpgsqlParameter<DateOnly> DateParameter(string name, DateOnly value) => new(name, value) { NpgsqlDbType = NpgsqlDbType.Date };
}
