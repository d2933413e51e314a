using System.Data;
using Npgsql;
using Platform.Contracts.Analytics;

namespace AnalyticsAggregator.Rollups;

/// <summary>Recompute: whole days rebuilt from raw events, landing exactly where the incremental passes did.</summary>
public sealed partial class RollupJob
{
    /// <summary>
    /// Replaces the daily rows of [<paramref name="from"/>, <paramref name="to"/>] with the fold of their raw events below
    /// the watermark — exactly what the incremental passes counted for those days, so the result equals theirs and
    /// running it twice changes nothing. Later events are left to the next incremental pass.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is reversed or longer than <see cref="MaxRecomputeDays"/>.</exception>
    /// <exception cref="InvalidOperationException">Part of the range is before the retention horizon (its raw events are gone).</exception>
    public async Task<RecomputeResult> RecomputeAsync(DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(from, to);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(to.DayNumber - from.DayNumber + 1, MaxRecomputeDays, nameof(to));

        var started = time.GetTimestamp();
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await ScalarAsync<object>(connection, $"SELECT pg_advisory_lock({LockKey})", cancellationToken, timeoutSeconds: 0);
        try
        {
            await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
            ulong watermark;
            await using (var positions = new NpgsqlCommand(RollupSql.RecomputePositions, connection, transaction))
            await using (var reader = await positions.ExecuteReaderAsync(cancellationToken))
            {
                await reader.ReadAsync(cancellationToken);
                watermark = reader.GetFieldValue<ulong>(0);
                if (!reader.IsDBNull(1) && reader.GetFieldValue<DateOnly>(1) is var horizon && from < horizon)
                {
                    throw new InvalidOperationException(
                        $"raw events before {horizon:yyyy-MM-dd} were dropped by retention (Analytics:RawRetentionDays); recompute from {horizon:yyyy-MM-dd} or later");
                }
            }

            int productRows;
            await using (var batch = new NpgsqlBatch(connection, transaction))
            {
                foreach (var sql in RollupSql.RecomputeProducts.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    var command = new NpgsqlBatchCommand(sql);
                    command.Parameters.Add(DateParameter("from", from));
                    command.Parameters.Add(DateParameter("to", to));
                    if (sql.Contains("@watermark", StringComparison.Ordinal))
                    {
                        command.Parameters.Add(XidParameter("watermark", watermark));
                    }

                    batch.BatchCommands.Add(command);
                }

                batch.Timeout = 0;
                await batch.ExecuteNonQueryAsync(cancellationToken);
                productRows = batch.BatchCommands[^1].RecordsAffected;
            }

            var removed = await PairsAsync(connection, transaction, RollupSql.RemoveCategoryDays, from, to, cancellationToken);
            var rebuilt = await PairsAsync(connection, transaction, RollupSql.RebuildCategoryDays, from, to, cancellationToken);
            var touched = removed.Union(rebuilt).ToList();
            var categories = touched.Select(p => p.CategoryId).Distinct().Order().ToList();
            var days = touched.Select(p => p.Day).Distinct().Order().ToList();
            if (touched.Count > 0)
            {
                await outbox.WriteAsync(connection, transaction, new AnalyticsRollupCompleted(categories, days, (long)watermark, time.GetUtcNow()), cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            var result = new RecomputeResult(from, to, productRows, rebuilt.Count, categories, days, time.GetElapsedTime(started));
            logger.LogInformation("Recomputed {From} to {To}: {ProductRows} product rows, {CategoryRows} category rows, in {Duration}",
                from, to, result.ProductRows, result.CategoryRows, result.Duration);
            return result;
        }
        finally
        {
            await UnlockAsync(connection);
        }
    }

    private static async Task<List<(long CategoryId, DateOnly Day)>> PairsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = 0 };
        command.Parameters.Add(DateParameter("from", from));
        command.Parameters.Add(DateParameter("to", to));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var pairs = new List<(long, DateOnly)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            pairs.Add((reader.GetInt64(0), reader.GetFieldValue<DateOnly>(1)));
        }

        return pairs;
    }
}
