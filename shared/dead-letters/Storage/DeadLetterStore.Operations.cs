using Npgsql;
using NpgsqlTypes;
using Platform.DeadLetters.Operations;

namespace Platform.DeadLetters.Storage;

/// <summary>The writes of replay and purge, and their history entries.</summary>
internal sealed partial class DeadLetterStore
{
    /// <summary>Starts the history entry of a replay (committed at once, so an interrupted replay still shows up).</summary>
    public Task<long> BeginHistoryAsync(HistoryStart start, CancellationToken cancellationToken) =>
        InsertHistoryAsync(dataSource.CreateCommand(DeadLetterSql.InsertHistory), start, 0, [], finishedAt: null, cancellationToken);

    public async Task FinishHistoryAsync(long history, int failed, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(DeadLetterSql.FinishHistory);
        command.Parameters.AddWithValue("history", history);
        command.Parameters.AddWithValue("failed", failed);
        command.Parameters.AddWithValue("at", at);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// One replay batch in one transaction: locks the rows still stored, lets <paramref name="publish"/> send them and
    /// report which were confirmed, then marks exactly those replayed and adds them to the history entry.
    /// Rows another replay holds, or that left 'stored', are left out (the caller reports them skipped).
    /// </summary>
    public async Task<IReadOnlyList<ReplayRow>> ReplayBatchAsync(
        IReadOnlyList<long> ids,
        Func<IReadOnlyList<ReplayRow>, Task<IReadOnlyList<long>>> publish,
        string actor,
        long history,
        DateTimeOffset at,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var rows = new List<ReplayRow>();
        await using (var select = new NpgsqlCommand(DeadLetterSql.LockForReplay, connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = ids.ToArray() });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(new ReplayRow(
                    reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                    JsonObject(reader, 4), JsonObject(reader, 5), reader.GetFieldValue<byte[]>(6)));
            }
        }

        var confirmed = rows.Count == 0 ? [] : (await publish(rows)).ToArray();

        // Confirmed publishes are recorded even if the caller is cancelling now: otherwise they would be replayed twice.
        await using (var mark = new NpgsqlCommand(DeadLetterSql.MarkReplayed, connection, transaction))
        {
            mark.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = confirmed });
            mark.Parameters.AddWithValue("at", at);
            mark.Parameters.AddWithValue("actor", actor);
            await mark.ExecuteNonQueryAsync(CancellationToken.None);
        }

        await using (var add = new NpgsqlCommand(DeadLetterSql.AddToHistory, connection, transaction))
        {
            add.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = confirmed });
            add.Parameters.AddWithValue("succeeded", confirmed.Length);
            add.Parameters.AddWithValue("failed", rows.Count - confirmed.Length);
            add.Parameters.AddWithValue("history", history);
            await add.ExecuteNonQueryAsync(CancellationToken.None);
        }

        await transaction.CommitAsync(CancellationToken.None);
        return rows;
    }

    /// <summary>Marks the rows still stored purged and records the history entry, in one transaction.</summary>
    public async Task<(List<SelectedRow> Purged, long History)> PurgeAsync(IReadOnlyList<long> ids, HistoryStart start, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var purged = new List<SelectedRow>();
        await using (var command = new NpgsqlCommand(DeadLetterSql.Purge, connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = ids.ToArray() });
            command.Parameters.AddWithValue("at", at);
            command.Parameters.AddWithValue("actor", start.Actor);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                purged.Add(new SelectedRow(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), DeadLetterStatus.Purged, NullableString(reader, 4)));
            }
        }

        var history = await InsertHistoryAsync(
            new NpgsqlCommand(DeadLetterSql.InsertHistory, connection, transaction), start, purged.Count, [.. purged.Select(r => r.Id)], at, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (purged, history);
    }

    private static async Task<long> InsertHistoryAsync(
        NpgsqlCommand command, HistoryStart start, int succeeded, long[] ids, DateTimeOffset? finishedAt, CancellationToken cancellationToken)
    {
        await using (command)
        {
            command.Parameters.AddWithValue("at", start.At);
            command.Parameters.AddWithValue("actor", start.Actor);
            command.Parameters.AddWithValue("origin", start.Origin);
            command.Parameters.AddWithValue("action", start.Action);
            command.Parameters.Add(new NpgsqlParameter("selection", NpgsqlDbType.Jsonb) { Value = start.Selection.ToJsonString() });
            command.Parameters.AddWithValue("selected", start.Selected);
            command.Parameters.AddWithValue("succeeded", succeeded);
            command.Parameters.AddWithValue("failed", 0);
            command.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = ids });
            command.Parameters.Add(new NpgsqlParameter("finished_at", NpgsqlDbType.TimestampTz) { Value = finishedAt is { } f ? f : DBNull.Value });
            command.Parameters.AddWithValue("refused", start.Refusals?.Count ?? 0);
            command.Parameters.Add(new NpgsqlParameter("refusals", NpgsqlDbType.Jsonb) { Value = (start.Refusals ?? []).ToJsonString() });
            return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }
    }
}
