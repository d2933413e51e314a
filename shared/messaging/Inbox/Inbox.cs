using Npgsql;
using Platform.Messaging.Outbox;

namespace Platform.Messaging.Inbox;

/// <summary>
/// Idempotent consumers for effects that are not idempotent by themselves: inside the transaction that applies the
/// effect, <see cref="TryBeginAsync"/> records (consumer, message id) in <c>&lt;schema&gt;.inbox</c> and tells whether
/// this is the first delivery. A rollback removes the record with the effect, so a redelivery is processed again.
/// </summary>
/// <remarks>
/// The table lives in the consuming service's migrations:
/// <code>
/// CREATE TABLE &lt;schema&gt;.inbox (
///     consumer     text        NOT NULL,
///     message_id   uuid        NOT NULL,
///     processed_at timestamptz NOT NULL DEFAULT now(),
///     PRIMARY KEY (consumer, message_id));
/// CREATE INDEX inbox_processed_at_idx ON &lt;schema&gt;.inbox (processed_at);
/// </code>
/// </remarks>
/// <param name="schema">The consuming service's schema.</param>
public sealed class Inbox(string schema)
{
    private readonly string _insert = $"""
        INSERT INTO {OutboxSchema.Validate(schema)}.inbox (consumer, message_id) VALUES (@consumer, @message_id)
        ON CONFLICT DO NOTHING
        """;

    // Bounded batches along the processed_at index: short transactions, no long lock on a busy table.
    private readonly string _cleanup = $"""
        DELETE FROM {schema}.inbox
        WHERE (consumer, message_id) IN (
            SELECT consumer, message_id FROM {schema}.inbox
            WHERE processed_at < now() - make_interval(secs => @retention_s)
            ORDER BY processed_at
            LIMIT @limit)
        """;

    /// <summary>The schema whose inbox table this uses.</summary>
    public string Schema { get; } = schema;

    /// <summary>
    /// True the first time <paramref name="consumer"/> sees <paramref name="messageId"/> (apply the effect, then
    /// commit); false for a duplicate (skip the effect). Call it inside the effect's transaction: a concurrent
    /// duplicate waits on the first one's row lock and then returns false once it commits.
    /// </summary>
    public async Task<bool> TryBeginAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string consumer, Guid messageId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentException.ThrowIfNullOrEmpty(consumer);
        await using var command = new NpgsqlCommand(_insert, connection, transaction);
        command.Parameters.AddWithValue("consumer", consumer);
        command.Parameters.AddWithValue("message_id", messageId);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>
    /// Deletes records older than <paramref name="retention"/>, <paramref name="batchSize"/> rows per statement, and
    /// returns how many. Keep the retention longer than any redelivery can take (broker retries, dead-letter replays):
    /// a duplicate that arrives after its record is gone is processed again.
    /// </summary>
    public async Task<long> CleanupAsync(NpgsqlDataSource dataSource, TimeSpan retention, int batchSize, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        long total = 0;
        while (true)
        {
            await using var command = dataSource.CreateCommand(_cleanup);
            command.Parameters.AddWithValue("retention_s", retention.TotalSeconds);
            command.Parameters.AddWithValue("limit", batchSize);
            var deleted = await command.ExecuteNonQueryAsync(cancellationToken);
            total += deleted;
            if (deleted < batchSize)
            {
                return total;
            }
        }
    }
}
