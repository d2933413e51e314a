using System.Reflection;
using Npgsql;
using NpgsqlTypes;

namespace Platform.Messaging.Outbox;

/// <summary>
/// Writes events into <c>&lt;schema&gt;.outbox</c> on a caller's Npgsql connection and transaction, for services without
/// EF Core: the events commit exactly when the caller's transaction commits. Thread-safe; one per schema.
/// </summary>
/// <param name="schema">The service schema that owns the outbox table.</param>
/// <param name="source">The <c>source</c> header of every message; defaults to <see cref="DefaultSource"/>.</param>
public sealed class OutboxWriter(string schema, string? source = null)
{
    /// <summary>The entry assembly's name (the service binary, e.g. <c>Catalog.Api</c>).</summary>
    public static string DefaultSource { get; } = Assembly.GetEntryAssembly()?.GetName().Name ?? "unknown";

    private readonly string _insert = OutboxSql.Insert(OutboxSchema.Validate(schema));
    private readonly string _source = string.IsNullOrEmpty(source) ? DefaultSource : source;

    /// <summary>The schema this writer writes to.</summary>
    public string Schema { get; } = schema;

    /// <summary>Inserts one row per event (one round trip) inside <paramref name="transaction"/>.</summary>
    /// <returns>The message ids, in the order of <paramref name="events"/>.</returns>
    /// <exception cref="ArgumentException">An event's type is not a registered contract.</exception>
    public async Task<IReadOnlyList<Guid>> WriteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, IEnumerable<object> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(events);
        var messages = events.Select(e => OutboxMessage.Create(e, _source)).ToList();
        if (messages.Count == 0)
        {
            return [];
        }

        await using var command = new NpgsqlCommand(_insert, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", messages.Select(m => m.MessageId).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<string[]>("types", messages.Select(m => m.MessageType).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<string[]>("payloads", messages.Select(m => m.Payload).ToArray()) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter<string?[]>("headers", messages.Select(m => m.Headers).ToArray()) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        await command.ExecuteNonQueryAsync(cancellationToken);
        return messages.Select(m => m.MessageId).ToList();
    }

    /// <summary>Inserts one event inside <paramref name="transaction"/> and returns its message id.</summary>
    public async Task<Guid> WriteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, object @event, CancellationToken cancellationToken = default) =>
        (await WriteAsync(connection, transaction, [@event], cancellationToken))[0];
}
