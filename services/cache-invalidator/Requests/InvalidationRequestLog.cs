using Npgsql;
using NpgsqlTypes;

namespace CacheInvalidator.Requests;

/// <summary>Reads and writes the record of direct invalidation requests.</summary>
public sealed class InvalidationRequestLog(NpgsqlDataSource db)
{
    /// <summary>Records an applied request; null when its message id is on record already (a redelivery).</summary>
    public async Task<(long Id, DateTimeOffset At)?> AddAsync(
        string channel, string? messageId, string? actor, string source, string reason, IReadOnlyList<string> keys, IReadOnlyList<string> tags,
        CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(InvalidationRequestSql.Insert);
        command.Parameters.AddWithValue("channel", channel);
        command.Parameters.Add(new NpgsqlParameter<string?>("message_id", NpgsqlDbType.Text) { TypedValue = messageId });
        command.Parameters.Add(new NpgsqlParameter<string?>("actor", NpgsqlDbType.Text) { TypedValue = actor });
        command.Parameters.AddWithValue("source", source);
        command.Parameters.AddWithValue("reason", reason);
        command.Parameters.AddWithValue("keys", keys.ToArray());
        command.Parameters.AddWithValue("tags", tags.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1)) : null;
    }

    public async Task<InvalidationRecordPage> ListAsync(InvalidationRecordFilter filter, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(InvalidationRequestSql.List);
        Add(command, "since", NpgsqlDbType.TimestampTz, filter.Since);
        Add(command, "until", NpgsqlDbType.TimestampTz, filter.Until);
        Add(command, "source", NpgsqlDbType.Text, filter.Source);
        Add(command, "actor", NpgsqlDbType.Text, filter.Actor);
        Add(command, "channel", NpgsqlDbType.Text, filter.Channel);
        Add(command, "key", NpgsqlDbType.Text, filter.Key);
        Add(command, "tag", NpgsqlDbType.Text, filter.Tag);
        Add(command, "before", NpgsqlDbType.Bigint, filter.Before);
        // One more than asked: whether a next page exists without a count.
        command.Parameters.AddWithValue("limit", filter.Limit + 1);
        var items = new List<InvalidationRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new InvalidationRecord(
                reader.GetInt64(0),
                reader.GetFieldValue<DateTimeOffset>(1),
                reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.GetString(5),
                reader.GetString(6),
                reader.GetFieldValue<string[]>(7),
                reader.GetFieldValue<string[]>(8)));
        }

        var more = items.Count > filter.Limit;
        if (more)
        {
            items.RemoveAt(items.Count - 1);
        }

        return new InvalidationRecordPage(items, more ? items[^1].Id : null);
    }

    /// <summary>Deletes up to <paramref name="batch"/> rows older than <paramref name="horizon"/>; returns how many.</summary>
    public async Task<int> DeleteOlderAsync(DateTimeOffset horizon, int batch, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(InvalidationRequestSql.DeleteOlder);
        command.Parameters.AddWithValue("horizon", horizon);
        command.Parameters.AddWithValue("batch", batch);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void Add<T>(NpgsqlCommand command, string name, NpgsqlDbType type, T? value) =>
        command.Parameters.Add(new NpgsqlParameter(name, type) { Value = (object?)value ?? DBNull.Value });
}
