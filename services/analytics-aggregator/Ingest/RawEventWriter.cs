using System.Globalization;
using AnalyticsAggregator.Retention;
using Npgsql;
using NpgsqlTypes;

namespace AnalyticsAggregator.Ingest;

/// <summary>
/// Appends batches of events to <c>analytics.raw_events</c> with one statement each. A message id already stored
/// (a redelivery: the broker lost our ack, or the producer's relay published twice) is ignored by the unique key, so
/// writing the same batch again changes nothing. Thread-safe.
/// </summary>
public sealed class RawEventWriter(NpgsqlDataSource db, RawEventPartitions partitions, AnalyticsMetrics metrics, ILogger<RawEventWriter> logger)
{
    // unnest turns the six arrays into rows: one round trip and one plan for the whole batch, and no temp table to
    // create per connection as COPY + INSERT … SELECT would need (COPY itself cannot skip duplicates).
    private const string InsertSql = """
        INSERT INTO analytics.{0} (message_id, kind, day, occurred_at, category_id, product_id)
        SELECT * FROM unnest(@message_ids, @kinds, @days, @occurred_at, @category_ids, @product_ids)
        ON CONFLICT DO NOTHING
        """;

    /// <summary>Stores <paramref name="events"/> (at most once per message id); returns how many were new.</summary>
    public async Task<IngestResult> WriteAsync(IReadOnlyList<RawEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return new IngestResult(0, 0, 0);
        }

        var kept = events;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var stored = attempt == 1
                    ? await InsertAsync(kept, cancellationToken)
                    : await InsertIntoPartitionsAsync(kept, cancellationToken);
                var dropped = events.Count - kept.Count;
                metrics.Ingested(stored, kept.Count - stored);
                return new IngestResult(stored, kept.Count - stored, dropped);
            }
            catch (PostgresException e) when ((IsMissingPartition(e) || IsDroppedPartition(e)) && attempt <= MaxPartitionAttempts)
            {
                // First event of a new day (partitions are made ahead, so: a late event of a day not seen yet), or of
                // a day that retention dropped. Make what may be made, drop the rest, and write again, this time into
                // the day partitions by name: CI twice saw an insert through the parent miss a partition whose ATTACH
                // had committed before it started (four times in a row once; never reproduced here, see
                // NewDayRaceTests), and an insert into the partition itself does not depend on the parent's routing.
                if (attempt > 1)
                {
                    logger.LogWarning("A raw event insert found a day partition dropped after it was made (attempt {Attempt}); making partitions again", attempt);
                }

                var accepted = await partitions.EnsureAsync(kept.Select(r => r.Day).Distinct(), cancellationToken);
                var rejected = kept.Where(r => !accepted.Contains(r.Day)).ToList();
                if (rejected.Count > 0)
                {
                    logger.LogWarning("Dropped {Count} events dated {Days}: before the raw retention horizon or too far ahead",
                        rejected.Count, string.Join(", ", rejected.Select(r => r.Day).Distinct().Order()));
                    metrics.Dropped(rejected.Count, "out_of_range");
                    kept = kept.Where(r => accepted.Contains(r.Day)).ToList();
                }

                if (kept.Count == 0)
                {
                    metrics.Ingested(0, 0);
                    return new IngestResult(0, 0, events.Count);
                }
            }
        }
    }

    private const int MaxPartitionAttempts = 3;

    private async Task<int> InsertAsync(IReadOnlyList<RawEvent> events, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(string.Format(CultureInfo.InvariantCulture, InsertSql, "raw_events"));
        AddParameters(command.Parameters, events);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // One statement per day, into that day's partition, in one transaction: the batch is stored whole or not at all.
    private async Task<int> InsertIntoPartitionsAsync(IReadOnlyList<RawEvent> events, CancellationToken cancellationToken)
    {
        await using var batch = db.CreateBatch();
        foreach (var day in events.GroupBy(e => e.Day))
        {
            var command = batch.CreateBatchCommand();
            command.CommandText = string.Format(CultureInfo.InvariantCulture, InsertSql, RawEventPartitions.NameOf(day.Key));
            AddParameters(command.Parameters, [.. day]);
            batch.BatchCommands.Add(command);
        }

        // A batch of several commands runs in one implicit transaction.
        return await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void AddParameters(NpgsqlParameterCollection parameters, IReadOnlyList<RawEvent> events)
    {
        var count = events.Count;
        var ids = new Guid[count];
        var kinds = new short[count];
        var days = new DateOnly[count];
        var occurred = new DateTime[count];
        var categories = new long[count];
        var products = new long?[count];
        for (var i = 0; i < count; i++)
        {
            var e = events[i];
            ids[i] = e.MessageId;
            kinds[i] = (short)e.Kind;
            days[i] = e.Day;
            occurred[i] = e.OccurredAt.UtcDateTime;
            categories[i] = e.CategoryId;
            products[i] = e.ProductId;
        }

        parameters.Add(new NpgsqlParameter<Guid[]>("message_ids", ids));
        parameters.Add(new NpgsqlParameter<short[]>("kinds", kinds));
        parameters.Add(new NpgsqlParameter<DateOnly[]>("days", days) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Date });
        parameters.Add(new NpgsqlParameter<DateTime[]>("occurred_at", occurred) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        parameters.Add(new NpgsqlParameter<long[]>("category_ids", categories));
        parameters.Add(new NpgsqlParameter<long?[]>("product_ids", products) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
    }

    // "no partition of relation … found for row" has no error code of its own.
    private static bool IsMissingPartition(PostgresException e) =>
        e.SqlState == PostgresErrorCodes.CheckViolation && e.ConstraintName is null
        && e.MessageText.StartsWith("no partition of relation", StringComparison.Ordinal);

    // A day partition written by name that retention dropped since it was made.
    private static bool IsDroppedPartition(PostgresException e) =>
        e.SqlState == PostgresErrorCodes.UndefinedTable && e.MessageText.Contains("raw_events_", StringComparison.Ordinal);
}

/// <summary>What a write did: new rows, redeliveries ignored, events dropped as out of the accepted day range.</summary>
public readonly record struct IngestResult(int Stored, int Duplicates, int Dropped);
