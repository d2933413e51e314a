using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AnalyticsAggregator.Retention;

/// <summary>
/// The day partitions of <c>analytics.raw_events</c> (<c>raw_events_yyyymmdd</c>): made ahead of time and on demand
/// for late events, and dropped whole once their day is past the retention horizon and fully rolled up.
/// </summary>
/// <remarks>
/// Creation and drops take one advisory lock, so nodes never race each other, and read <c>raw_retention.horizon</c>
/// under it: a dropped day is never made again, so a redelivery of an event whose row was dropped cannot come back
/// as new. Partitions are created with <c>CREATE TABLE … LIKE</c> and <c>ATTACH PARTITION</c>, which takes only a SHARE
/// UPDATE EXCLUSIVE lock on the parent (<c>CREATE TABLE … PARTITION OF</c> would block every insert meanwhile).
/// </remarks>
public sealed class RawEventPartitions(NpgsqlDataSource db, TimeProvider time, IOptions<AnalyticsOptions> options, ILogger<RawEventPartitions> logger)
{
    private const string Prefix = "raw_events_";

    // Distinct from the rollup's lock and the outbox relay's: FNV-1a of "platform.analytics-partitions".
    private static readonly long LockKey = AdvisoryLocks.Key("platform.analytics-partitions");

    private const string ListSql = """
        SELECT c.relname
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'analytics.raw_events'::regclass
        """;

    public DateOnly Today => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

    /// <summary>The first raw day kept by retention today.</summary>
    public DateOnly RetentionHorizon => Today.AddDays(-options.Value.RawRetentionDays);

    /// <summary>Table name of <paramref name="day"/>'s partition.</summary>
    public static string NameOf(DateOnly day) => Prefix + day.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    /// <summary>Days that have a partition now.</summary>
    public async Task<IReadOnlyList<DateOnly>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await ListAsync(connection, null, cancellationToken);
    }

    /// <summary>
    /// Creates the missing partitions of <paramref name="days"/> that may exist (not before the dropped horizon, not
    /// more than <see cref="AnalyticsOptions.PartitionsAhead"/> days after today) and returns the days that have one.
    /// </summary>
    public async Task<IReadOnlySet<DateOnly>> EnsureAsync(IEnumerable<DateOnly> days, CancellationToken cancellationToken)
    {
        var last = Today.AddDays(options.Value.PartitionsAhead);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({LockKey})", cancellationToken);
        var horizon = await DroppedHorizonAsync(connection, transaction, cancellationToken);
        var existing = (await ListAsync(connection, transaction, cancellationToken)).ToHashSet();
        var result = new HashSet<DateOnly>();
        foreach (var day in days.Distinct().Order())
        {
            if (existing.Contains(day))
            {
                result.Add(day);
                continue;
            }

            if ((horizon is { } h && day < h) || day > last)
            {
                continue;
            }

            var name = NameOf(day);
            var from = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            var to = day.AddDays(1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            await ExecuteAsync(connection, transaction, $"""
                CREATE TABLE analytics.{name} (LIKE analytics.raw_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
                ALTER TABLE analytics.raw_events ATTACH PARTITION analytics.{name} FOR VALUES FROM ('{from}') TO ('{to}')
                """, cancellationToken);
            result.Add(day);
        }

        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    /// <summary>Makes today's partition and those of the next <see cref="AnalyticsOptions.PartitionsAhead"/> days.</summary>
    public Task<IReadOnlySet<DateOnly>> EnsureUpcomingAsync(CancellationToken cancellationToken) =>
        EnsureAsync(Enumerable.Range(0, options.Value.PartitionsAhead + 1).Select(Today.AddDays), cancellationToken);

    /// <summary>
    /// Drops the partitions of days before <see cref="RetentionHorizon"/>, oldest first, each only when every row in
    /// it is rolled up (below the watermark); stops at the first that is not, to try again later. Returns the days dropped.
    /// </summary>
    public async Task<IReadOnlyList<DateOnly>> DropExpiredAsync(CancellationToken cancellationToken)
    {
        var horizon = RetentionHorizon;
        var expired = (await ListAsync(cancellationToken)).Where(d => d < horizon).Order().ToList();
        var dropped = new List<DateOnly>();
        foreach (var day in expired)
        {
            if (!await TryDropAsync(day, cancellationToken))
            {
                break;
            }

            dropped.Add(day);
        }

        if (dropped.Count > 0)
        {
            logger.LogInformation("Dropped raw event partitions {First} to {Last} (retention {Days} days)", dropped[0], dropped[^1], options.Value.RawRetentionDays);
        }

        return dropped;
    }

    private async Task<bool> TryDropAsync(DateOnly day, CancellationToken cancellationToken)
    {
        var name = NameOf(day);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            // DROP needs ACCESS EXCLUSIVE on the parent too, which queues every insert behind it: give up quickly
            // (and retry at the next check) rather than stall ingest behind a long rollup.
            await ExecuteAsync(connection, transaction, "SET LOCAL lock_timeout = '2s'", cancellationToken);
            await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({LockKey})", cancellationToken);
            // With the partition locked no insert into it is in flight, so "nothing at or above the watermark" is final.
            await ExecuteAsync(connection, transaction, $"LOCK TABLE analytics.{name} IN ACCESS EXCLUSIVE MODE", cancellationToken);
            await using (var pending = new NpgsqlCommand(
                $"SELECT EXISTS (SELECT 1 FROM analytics.{name} WHERE ingest_xid >= (SELECT watermark FROM analytics.rollup_state))", connection, transaction))
            {
                if ((bool)(await pending.ExecuteScalarAsync(cancellationToken))!)
                {
                    logger.LogInformation("Raw partition {Partition} is past retention but not fully rolled up yet; dropping it later", name);
                    return false;
                }
            }

            await using (var horizon = new NpgsqlCommand(
                "UPDATE analytics.raw_retention SET horizon = greatest(horizon, @next)", connection, transaction))
            {
                horizon.Parameters.AddWithValue("next", day.AddDays(1));
                await horizon.ExecuteNonQueryAsync(cancellationToken);
            }

            await ExecuteAsync(connection, transaction, $"DROP TABLE analytics.{name}", cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return true;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            logger.LogInformation("Raw partition {Partition} is busy; dropping it later", name);
            return false;
        }
    }

    private static async Task<DateOnly?> DroppedHorizonAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT horizon FROM analytics.raw_retention", connection, transaction);
        return await command.ExecuteScalarAsync(cancellationToken) is DateOnly day ? day : null;
    }

    private static async Task<IReadOnlyList<DateOnly>> ListAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(ListSql, connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var days = new List<DateOnly>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var name = reader.GetString(0);
            if (name.StartsWith(Prefix, StringComparison.Ordinal)
                && DateOnly.TryParseExact(name.AsSpan(Prefix.Length), "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            {
                days.Add(day);
            }
        }

        return days;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
