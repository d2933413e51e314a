using System.Text;
using Npgsql;
using NpgsqlTypes;
using Platform.DeadLetters.Operations;

namespace Platform.DeadLetters.Storage;

/// <summary>The dead-letter store's SQL, in one place (tables: schema invalidator, created by services/cache-invalidator/Migrations/0001_create_dead_letters.sql).</summary>
internal static class DeadLetterSql
{
    /// <summary>
    /// New failure → insert (failure_count 1). The same message again after it was replayed or purged → stored again,
    /// failure_count + 1, replay_count kept. Already stored → nothing, no row returned: a redelivery after a crash
    /// between commit and ack, acked as a duplicate. A replay's row lock makes this wait until the replay commits.
    /// </summary>
    public const string Save = """
        INSERT INTO invalidator.dead_letters AS d (
            source_queue, original_queue, message_id, message_type, content_type, properties, headers, body,
            exception_type, exception_message, exception_stack, consumer_type, fingerprint, first_failed_at, last_failed_at)
        VALUES (@source_queue, @original_queue, @message_id, @message_type, @content_type, @properties, @headers, @body,
            @exception_type, @exception_message, @exception_stack, @consumer_type, @fingerprint, @failed_at, @failed_at)
        ON CONFLICT (source_queue, message_id) DO UPDATE SET
            status = 'stored',
            failure_count = d.failure_count + 1,
            last_failed_at = EXCLUDED.last_failed_at,
            original_queue = EXCLUDED.original_queue,
            message_type = EXCLUDED.message_type,
            content_type = EXCLUDED.content_type,
            properties = EXCLUDED.properties,
            headers = EXCLUDED.headers,
            body = EXCLUDED.body,
            exception_type = EXCLUDED.exception_type,
            exception_message = EXCLUDED.exception_message,
            exception_stack = EXCLUDED.exception_stack,
            consumer_type = EXCLUDED.consumer_type,
            fingerprint = EXCLUDED.fingerprint,
            purged_at = NULL,
            purged_by = NULL
        WHERE d.status <> 'stored'
        RETURNING d.id, d.failure_count
        """;

    public const string SummaryColumns = """
        id, status, source_queue, original_queue, message_id, message_type, exception_type, exception_message, consumer_type,
        fingerprint, first_failed_at, last_failed_at, failure_count, replay_count, last_replayed_at, last_replayed_by
        """;

    public const string Find = $"""
        SELECT {SummaryColumns}, content_type, properties, headers, body, exception_stack, stored_at, purged_at, purged_by
        FROM invalidator.dead_letters WHERE id = @id
        """;

    /// <summary>One row per fingerprint with stored rows, largest first, with the newest member's details.</summary>
    public const string Groups = """
        WITH g AS (
            SELECT fingerprint, count(*) AS count, min(first_failed_at) AS first_seen, max(last_failed_at) AS last_seen,
                   array_agg(DISTINCT source_queue ORDER BY source_queue) AS queues
            FROM invalidator.dead_letters
            WHERE status = 'stored'
            GROUP BY fingerprint)
        SELECT g.fingerprint, g.count, g.first_seen, g.last_seen, latest.exception_type, latest.message_type, latest.consumer_type,
               g.queues, latest.id, latest.exception_message
        FROM g
        CROSS JOIN LATERAL (
            SELECT d.id, d.exception_type, d.message_type, d.consumer_type, d.exception_message
            FROM invalidator.dead_letters d
            WHERE d.status = 'stored' AND d.fingerprint = g.fingerprint
            ORDER BY d.last_failed_at DESC, d.id DESC
            LIMIT 1) latest
        ORDER BY g.count DESC, g.last_seen DESC
        """;

    /// <summary>The sender-written fault address a replay's destination came from (checked by ReplayDestinations).</summary>
    public const string InputAddress = "headers ->> 'MT-Fault-InputAddress'";

    public const string Statuses = $"SELECT id, status, message_id, original_queue, source_queue, {InputAddress} FROM invalidator.dead_letters WHERE id = ANY(@ids)";

    public const string GroupExists = "SELECT EXISTS (SELECT 1 FROM invalidator.dead_letters WHERE fingerprint = @group)";

    /// <summary>A replay batch: the rows still stored, locked until the batch's publishes are confirmed and marked.</summary>
    public const string LockForReplay = """
        SELECT id, source_queue, original_queue, message_id, properties, headers, body
        FROM invalidator.dead_letters
        WHERE id = ANY(@ids) AND status = 'stored'
        ORDER BY id
        FOR UPDATE SKIP LOCKED
        """;

    public const string MarkReplayed = """
        UPDATE invalidator.dead_letters
        SET status = 'replayed', replay_count = replay_count + 1, last_replayed_at = @at, last_replayed_by = @actor
        WHERE id = ANY(@ids)
        """;

    public const string Purge = $"""
        UPDATE invalidator.dead_letters
        SET status = 'purged', purged_at = @at, purged_by = @actor
        WHERE id = ANY(@ids) AND status = 'stored'
        RETURNING id, message_id, original_queue, source_queue, {InputAddress}
        """;

    public const string InsertHistory = """
        INSERT INTO invalidator.dead_letter_history (at, actor, origin, action, selection, selected, succeeded, failed, dead_letter_ids, finished_at, refused, refusals)
        VALUES (@at, @actor, @origin, @action, @selection, @selected, @succeeded, @failed, @ids, @finished_at, @refused, @refusals)
        RETURNING id
        """;

    /// <summary>Runs in each replay batch's transaction, so history never claims a replay whose row was not marked.</summary>
    public const string AddToHistory = """
        UPDATE invalidator.dead_letter_history
        SET succeeded = succeeded + @succeeded, failed = failed + @failed, dead_letter_ids = dead_letter_ids || @ids
        WHERE id = @history
        """;

    public const string FinishHistory = "UPDATE invalidator.dead_letter_history SET finished_at = @at, failed = failed + @failed WHERE id = @history";

    public const string History = """
        SELECT id, at, actor, origin, action, selection, selected, succeeded, failed, dead_letter_ids, finished_at, refused, refusals
        FROM invalidator.dead_letter_history
        ORDER BY at DESC, id DESC
        LIMIT @limit
        """;

    /// <summary>
    /// The ops console's status strip: stored rows and the oldest first failure among them (over the status index), and what
    /// replays did since <c>@since</c> (over the history's time index).
    /// </summary>
    public const string Status = """
        SELECT (SELECT count(*) FROM invalidator.dead_letters WHERE status = 'stored'),
               (SELECT min(first_failed_at) FROM invalidator.dead_letters WHERE status = 'stored'),
               coalesce(sum(succeeded), 0)::bigint, coalesce(sum(failed), 0)::bigint
        FROM invalidator.dead_letter_history
        WHERE action = 'replay' AND at >= @since
        """;

    /// <summary>The stored-count and oldest-age gauges, per error queue.</summary>
    public const string StoredCounts = "SELECT source_queue, count(*), min(last_failed_at) FROM invalidator.dead_letters WHERE status = 'stored' GROUP BY source_queue";

    /// <summary>
    /// A list, or (with <paramref name="idsOnly"/>) the ids a group/all selection covers. Only the filters given become
    /// predicates, so each query can use its partial index; values are always parameters.
    /// </summary>
    public static NpgsqlCommand Select(DeadLetterFilter filter, int? limit, bool idsOnly)
    {
        var command = new NpgsqlCommand();
        var where = new List<string>();
        void Add(string predicate, string name, object value, NpgsqlDbType type)
        {
            where.Add(predicate);
            command.Parameters.Add(new NpgsqlParameter(name, type) { Value = value });
        }

        if (filter.Status is { } status)
        {
            Add("status = @status", "status", status, NpgsqlDbType.Text);
        }

        if (filter.Type is { } type)
        {
            Add("(message_type = @type OR message_name = @type)", "type", type, NpgsqlDbType.Text);
        }

        if (filter.Exception is { } exception)
        {
            Add("(exception_type = @exception OR exception_name = @exception)", "exception", exception, NpgsqlDbType.Text);
        }

        if (filter.Since is { } since)
        {
            Add("last_failed_at >= @since", "since", since, NpgsqlDbType.TimestampTz);
        }

        if (filter.Queue is { } queue)
        {
            Add("(source_queue = @queue OR original_queue = @queue)", "queue", queue, NpgsqlDbType.Text);
        }

        if (filter.Group is { } group)
        {
            Add("fingerprint = @group", "group", group, NpgsqlDbType.Text);
        }

        var sql = new StringBuilder(idsOnly
            ? $"SELECT id, message_id, original_queue, source_queue, {InputAddress} FROM invalidator.dead_letters"
            : $"SELECT {SummaryColumns}, count(*) OVER () AS total FROM invalidator.dead_letters");
        if (where.Count > 0)
        {
            sql.Append(" WHERE ").AppendJoin(" AND ", where);
        }

        sql.Append(idsOnly ? " ORDER BY id" : " ORDER BY last_failed_at DESC, id DESC");
        if (limit is { } rows)
        {
            sql.Append(" LIMIT @limit");
            command.Parameters.Add(new NpgsqlParameter("limit", NpgsqlDbType.Integer) { Value = rows });
        }

        command.CommandText = sql.ToString();
        return command;
    }
}
