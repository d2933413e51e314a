-- Every direct invalidation request the invalidator applied (docs/publishing.md, ADR 016): CacheInvalidationRequested
-- messages (MassTransit envelope or plain JSON) and POST /ops/cache/invalidate. Written after the eviction succeeded;
-- read by GET /ops/cache/invalidations; rows older than InvalidationAudit:RetentionDays are deleted in batches.
-- The SQL that reads and writes it is in services/cache-invalidator/Requests/InvalidationRequestSql.cs.
CREATE TABLE invalidator.invalidation_requests (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    -- 'masstransit' (envelope), 'plain-json' (application/json body) or 'http' (the ops endpoint).
    channel     text        NOT NULL,
    -- The transport message id; a redelivery of an applied message (retried after the row was written) adds no row.
    -- Null over HTTP and for a plain message sent without one.
    message_id  text,
    -- The person: the message's actor (e.g. the ops console's signed-in key) or the API key's name over HTTP.
    actor       text,
    source      text        NOT NULL,
    reason      text        NOT NULL,
    keys        text[]      NOT NULL,
    tags        text[]      NOT NULL,
    CONSTRAINT invalidation_requests_message_key UNIQUE (message_id),
    CONSTRAINT invalidation_requests_channel_known CHECK (channel IN ('masstransit', 'plain-json', 'http'))
);

-- The list, newest first (keyset on at, id), and retention's range delete.
CREATE INDEX invalidation_requests_at_idx ON invalidator.invalidation_requests (at DESC, id DESC);

-- "Who invalidated this key / tag?": containment (keys @> ARRAY[…]) without a scan.
CREATE INDEX invalidation_requests_keys_idx ON invalidator.invalidation_requests USING gin (keys);
CREATE INDEX invalidation_requests_tags_idx ON invalidator.invalidation_requests USING gin (tags);
