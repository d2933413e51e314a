namespace CacheInvalidator.Requests;

/// <summary>The SQL of the request record (table from Migrations/0004_create_invalidation_requests.sql).</summary>
internal static class InvalidationRequestSql
{
    // A redelivered message (retried after this row committed) finds its id and adds nothing.
    public const string Insert = """
        INSERT INTO invalidator.invalidation_requests (channel, message_id, actor, source, reason, keys, tags)
        VALUES (@channel, @message_id, @actor, @source, @reason, @keys, @tags)
        ON CONFLICT (message_id) DO NOTHING
        RETURNING id, at
        """;

    // Each filter is off when its parameter is null; keys/tags by containment so the GIN indexes serve them.
    public const string List = """
        SELECT id, at, channel, message_id, actor, source, reason, keys, tags
        FROM invalidator.invalidation_requests
        WHERE (@since::timestamptz IS NULL OR at >= @since)
          AND (@until::timestamptz IS NULL OR at < @until)
          AND (@source::text IS NULL OR source = @source)
          AND (@actor::text IS NULL OR actor = @actor)
          AND (@channel::text IS NULL OR channel = @channel)
          AND (@key::text IS NULL OR keys @> ARRAY[@key::text])
          AND (@tag::text IS NULL OR tags @> ARRAY[@tag::text])
          AND (@before::bigint IS NULL OR id < @before)
        ORDER BY id DESC
        LIMIT @limit
        """;

    public const string DeleteOlder = """
        DELETE FROM invalidator.invalidation_requests
        WHERE id IN (
            SELECT id FROM invalidator.invalidation_requests
            WHERE at < @horizon
            LIMIT @batch
            FOR UPDATE SKIP LOCKED)
        """;
}
