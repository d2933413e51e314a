using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using Platform.DeadLetters.Mover;
using Platform.DeadLetters.Operations;

namespace Platform.DeadLetters.Storage;

/// <summary>Reads and writes <c>invalidator.dead_letters</c> and its history; every statement is in <see cref="DeadLetterSql"/>.</summary>
internal sealed partial class DeadLetterStore(NpgsqlDataSource dataSource)
{
    /// <summary>Saves and commits one delivery; the caller acks only after this returns.</summary>
    public async Task<(SaveOutcome Outcome, long? Id)> SaveAsync(DeadLetterRecord record, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(DeadLetterSql.Save);
        var p = command.Parameters;
        p.AddWithValue("source_queue", record.SourceQueue);
        p.AddWithValue("original_queue", record.OriginalQueue);
        p.AddWithValue("message_id", record.MessageId);
        p.Add(Text("message_type", record.MessageType));
        p.Add(Text("content_type", record.ContentType));
        p.Add(new NpgsqlParameter("properties", NpgsqlDbType.Jsonb) { Value = record.Properties.ToJsonString() });
        p.Add(new NpgsqlParameter("headers", NpgsqlDbType.Jsonb) { Value = record.Headers.ToJsonString() });
        p.Add(new NpgsqlParameter("body", NpgsqlDbType.Bytea) { Value = record.Body });
        p.Add(Text("exception_type", record.ExceptionType));
        p.Add(Text("exception_message", record.ExceptionMessage));
        p.Add(Text("exception_stack", record.ExceptionStack));
        p.Add(Text("consumer_type", record.ConsumerType));
        p.AddWithValue("fingerprint", record.Fingerprint);
        p.AddWithValue("failed_at", record.FailedAt);

        // A single statement commits on its own: returning means committed.
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return (SaveOutcome.Duplicate, null);
        }

        return (reader.GetInt32(1) == 1 ? SaveOutcome.Stored : SaveOutcome.StoredAgain, reader.GetInt64(0));
    }

    public async Task<DeadLetterPage> ListAsync(DeadLetterFilter filter, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = DeadLetterSql.Select(filter, limit, idsOnly: false);
        command.Connection = connection;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<DeadLetterSummary>();
        long total = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(ReadSummary(reader));
            total = reader.GetInt64(16);
        }

        return new DeadLetterPage(total, items);
    }

    public async Task<DeadLetterDetail?> FindAsync(long id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(DeadLetterSql.Find);
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var body = reader.GetFieldValue<byte[]>(19);
        return new DeadLetterDetail(
            ReadSummary(reader),
            NullableString(reader, 16),
            JsonObject(reader, 17),
            JsonObject(reader, 18),
            body.Length,
            Utf8OrNull(body),
            Convert.ToBase64String(body),
            NullableString(reader, 20),
            reader.GetFieldValue<DateTimeOffset>(21),
            reader.IsDBNull(22) ? null : reader.GetFieldValue<DateTimeOffset>(22),
            NullableString(reader, 23));
    }

    public async Task<IReadOnlyList<DeadLetterGroup>> GroupsAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(DeadLetterSql.Groups);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var groups = new List<DeadLetterGroup>();
        while (await reader.ReadAsync(cancellationToken))
        {
            groups.Add(new DeadLetterGroup(
                reader.GetString(0),
                reader.GetInt64(1),
                reader.GetFieldValue<DateTimeOffset>(2),
                reader.GetFieldValue<DateTimeOffset>(3),
                NullableString(reader, 4),
                NullableString(reader, 5),
                NullableString(reader, 6),
                reader.GetFieldValue<string[]>(7),
                reader.GetInt64(8),
                NullableString(reader, 9)));
        }

        return groups;
    }

    /// <summary>The named rows that exist, whatever their status.</summary>
    public async Task<List<SelectedRow>> FindRowsAsync(IReadOnlyList<long> ids, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(DeadLetterSql.Statuses);
        command.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = ids.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<SelectedRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new SelectedRow(reader.GetInt64(0), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(1), NullableString(reader, 5)));
        }

        return rows;
    }

    /// <summary>The stored rows a group or all selection covers, in id order.</summary>
    public async Task<List<SelectedRow>> SelectStoredAsync(DeadLetterFilter filter, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = DeadLetterSql.Select(filter with { Status = DeadLetterStatus.Stored }, null, idsOnly: true);
        command.Connection = connection;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<SelectedRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new SelectedRow(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), DeadLetterStatus.Stored, NullableString(reader, 4)));
        }

        return rows;
    }

    public async Task<bool> GroupExistsAsync(string group, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(DeadLetterSql.GroupExists);
        command.Parameters.AddWithValue("group", group);
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    public async Task<DeadLetterOverview> OverviewAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(DeadLetterSql.Status);
        command.Parameters.AddWithValue("since", since);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new DeadLetterOverview(
            reader.GetInt64(0),
            reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1),
            since,
            reader.GetInt64(2),
            reader.GetInt64(3));
    }

    /// <summary>Per error queue with stored dead letters: how many, and when the one waiting longest last failed.</summary>
    public async Task<IReadOnlyDictionary<string, (long Count, DateTimeOffset OldestFailedAt)>> StoredCountsAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(DeadLetterSql.StoredCounts);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var counts = new Dictionary<string, (long, DateTimeOffset)>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.GetString(0)] = (reader.GetInt64(1), reader.GetFieldValue<DateTimeOffset>(2));
        }

        return counts;
    }

    public async Task<IReadOnlyList<DeadLetterHistoryEntry>> HistoryAsync(int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(DeadLetterSql.History);
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new List<DeadLetterHistoryEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new DeadLetterHistoryEntry(
                reader.GetInt64(0),
                reader.GetFieldValue<DateTimeOffset>(1),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetString(4),
                JsonObject(reader, 5),
                reader.GetInt32(6),
                reader.GetInt32(7),
                reader.GetInt32(8),
                reader.GetFieldValue<long[]>(9),
                reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10),
                reader.GetInt32(11),
                JsonNode.Parse(reader.GetString(12))!.AsArray()));
        }

        return entries;
    }

    private static DeadLetterSummary ReadSummary(NpgsqlDataReader reader) => new(
        reader.GetInt64(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetString(4),
        NullableString(reader, 5),
        NullableString(reader, 6),
        NullableString(reader, 7),
        NullableString(reader, 8),
        reader.GetString(9),
        reader.GetFieldValue<DateTimeOffset>(10),
        reader.GetFieldValue<DateTimeOffset>(11),
        reader.GetInt32(12),
        reader.GetInt32(13),
        reader.IsDBNull(14) ? null : reader.GetFieldValue<DateTimeOffset>(14),
        NullableString(reader, 15));

    private static NpgsqlParameter Text(string name, string? value) => new(name, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value };

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static JsonObject JsonObject(NpgsqlDataReader reader, int ordinal) =>
        JsonNode.Parse(reader.GetString(ordinal)) as JsonObject ?? [];

    private static string? Utf8OrNull(byte[] body)
    {
        try
        {
            return new System.Text.UTF8Encoding(false, true).GetString(body);
        }
        catch (System.Text.DecoderFallbackException)
        {
            return null;
        }
    }
}
