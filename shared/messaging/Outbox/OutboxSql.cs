namespace Platform.Messaging.Outbox;

/// <summary>
/// Every statement the outbox runs, in one place. <c>{schema}</c> is validated by <see cref="OutboxSchema"/> before it
/// is spliced in. The table's DDL is in the owning service's migrations and in docs/adr/005-outbox-relay.md.
/// </summary>
internal static class OutboxSql
{
    public static string Insert(string schema) => $"""
        INSERT INTO {schema}.outbox (message_id, message_type, payload, headers)
        SELECT * FROM unnest(@ids, @types, @payloads, @headers)
        """;

    // Claims and marks in one statement: walks the partial index (id) WHERE dispatched_at IS NULL AND failed_at IS NULL
    // in id order and stamps the rows dispatched inside the batch's transaction, which commits only after the broker
    // confirmed them (rows it could not publish are un-marked first, see Unmark and MarkFailed). Until that commit
    // nobody else sees the stamp, and a crash rolls it back, so an unconfirmed row never looks dispatched. One
    // statement instead of SELECT … FOR UPDATE plus a later UPDATE: each row is locked and rewritten once, and a batch
    // needs one round trip less (claim and mark were about half of each batch's time, measured). The row locks mean a
    // second relay that thinks it is active (its lock connection died but it has not noticed yet), or the relay's own
    // next batch, skips these rows instead of publishing them twice. MATERIALIZED: the locking subquery runs exactly
    // once. RETURNING has no order: the relay sorts by id.
    // SET LOCAL (this batch's transaction only): without fresh statistics, which a queue table rarely has (a burst or an
    // outage grows the backlog long before autovacuum analyzes it), the planner estimates one pending row and picks a
    // bitmap scan that reads and sorts the whole backlog for every batch: 25 ms per claim at 50,000 waiting, growing
    // with the backlog. The ordered index scan stops after @limit rows whatever the statistics say.
    // synchronous_commit off (this transaction only): the batch's commit records what the broker already confirmed, so
    // it need not wait for the disk. A database crash can lose only the last ~0.6 s of such commits; their rows are
    // then waiting again and published once more with the same MessageIds, which at-least-once delivery allows
    // (ADR 005). Everything the catalog writes, outbox rows included, still commits synchronously. Measured: relay
    // 24.4-25.9k against 18.9-22.5k events/s, three interleaved pairs.
    public static string ClaimAndMark(string schema) => $"""
        SET LOCAL enable_bitmapscan = off;
        SET LOCAL synchronous_commit = off;
        WITH claimed AS MATERIALIZED (
            SELECT id FROM {schema}.outbox
            WHERE dispatched_at IS NULL AND failed_at IS NULL
              AND (next_attempt_at IS NULL OR next_attempt_at <= now())
            ORDER BY id
            LIMIT @limit
            FOR UPDATE SKIP LOCKED)
        UPDATE {schema}.outbox AS o SET dispatched_at = now()
        FROM claimed
        WHERE o.id = claimed.id
        RETURNING o.id, o.message_id, o.message_type, o.payload::text, o.headers::text
        """;

    // For claimed rows the broker did not confirm (outage, host stopping): back to waiting, without counting an attempt.
    public static string Unmark(string schema) => $"""
        UPDATE {schema}.outbox SET dispatched_at = NULL WHERE id = ANY(@ids)
        """;

    // Backoff doubles per attempt from @base_s up to @max_s; the last allowed attempt moves the row aside instead.
    // Also undoes the claim's dispatched stamp (same transaction).
    public static string MarkFailed(string schema) => $"""
        UPDATE {schema}.outbox AS o
        SET dispatched_at = NULL,
            attempts = o.attempts + 1,
            last_error = f.error,
            next_attempt_at = now() + make_interval(secs => least(@base_s * power(2, o.attempts), @max_s)),
            failed_at = CASE WHEN o.attempts + 1 >= @max_attempts THEN now() END
        FROM unnest(@ids, @errors) AS f(id, error)
        WHERE o.id = f.id
        RETURNING o.id, o.message_id, o.message_type, o.attempts, o.failed_at IS NOT NULL
        """;

    // Counted over the partial index. The third column (seconds until the earliest retry, negative when one is already
    // due, capped at a day so an 'infinity' hold stays a number) bounds the relay's sleep, so a backed-off message is retried on time rather than at the next poll.
    public static string Stats(string schema) => $"""
        SELECT count(*),
               extract(epoch FROM now() - min(created_at))::float8,
               least(extract(epoch FROM min(next_attempt_at)) - extract(epoch FROM now()), 86400)::float8
        FROM {schema}.outbox
        WHERE dispatched_at IS NULL AND failed_at IS NULL
        """;

    // Oldest ids first along the primary key: dispatched rows past the retention sit at the low end, so each batch
    // finds its rows at once without an index on dispatched_at.
    public static string Cleanup(string schema) => $"""
        DELETE FROM {schema}.outbox
        WHERE id IN (
            SELECT id FROM {schema}.outbox
            WHERE dispatched_at < now() - make_interval(secs => @retention_s)
            ORDER BY id
            LIMIT @limit)
        """;
}
