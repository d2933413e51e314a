using Npgsql;

namespace Platform.Messaging.Outbox;

/// <summary>
/// Reads another service's outbox depth from outside its relay (the ops console's status strip): the relay's own
/// statistics query, read-only, over the partial index of undispatched rows.
/// </summary>
public static class OutboxProbe
{
    /// <summary>
    /// Undispatched rows (not moved aside) of <paramref name="schema"/>'s outbox and the age of the oldest; null when that
    /// schema has no outbox table in the database.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="schema"/> is not a lowercase identifier.</exception>
    public static async Task<OutboxDepth?> ReadAsync(NpgsqlDataSource dataSource, string schema, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        OutboxSchema.Validate(schema);
        await using var command = dataSource.CreateCommand(OutboxSql.Stats(schema));
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return new OutboxDepth(schema, reader.GetInt64(0), reader.IsDBNull(1) ? null : TimeSpan.FromSeconds(Math.Max(0, reader.GetDouble(1))));
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
        {
            return null;
        }
    }
}
