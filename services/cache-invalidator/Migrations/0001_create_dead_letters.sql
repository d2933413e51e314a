-- Dead-letter store of the invalidator (docs/operations.md). The mover drains MassTransit's `<queue>_error` queues
-- into dead_letters (ack only after commit); ops list, group, replay and purge them through DeadLetterService.
-- The SQL that reads and writes these tables is in services/cache-invalidator/DeadLetters/DeadLetterSql.cs.
CREATE TABLE invalidator.dead_letters (
    id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The `_error` queue it was drained from, and the queue a replay sends it back to (MT-Fault-InputAddress).
    source_queue      text        NOT NULL,
    original_queue    text        NOT NULL,
    -- The transport message id; a raw publish without one gets 'sha256:' + a hash of its body and headers,
    -- so the same bytes failing again land on the same row.
    message_id        text        NOT NULL,
    message_type      text,
    content_type      text,
    -- AMQP basic properties other than headers (message id, correlation id, delivery mode …) and the headers as
    -- received, fault headers included; byte strings that are not UTF-8 are kept as {"$base64": …}.
    properties        jsonb       NOT NULL DEFAULT '{}',
    headers           jsonb       NOT NULL DEFAULT '{}',
    -- The body exactly as received: a replay publishes these bytes, whatever they are.
    body              bytea       NOT NULL,
    exception_type    text,
    exception_message text,
    exception_stack   text,
    consumer_type     text,
    -- First 16 hex digits of SHA-256(exception type, message type, consumer type): one group per cause.
    fingerprint       text        NOT NULL,
    status            text        NOT NULL DEFAULT 'stored',
    first_failed_at   timestamptz NOT NULL,
    last_failed_at    timestamptz NOT NULL,
    stored_at         timestamptz NOT NULL DEFAULT now(),
    failure_count     integer     NOT NULL DEFAULT 1,
    replay_count      integer     NOT NULL DEFAULT 0,
    last_replayed_at  timestamptz,
    last_replayed_by  text,
    purged_at         timestamptz,
    purged_by         text,
    -- Short names (after the last '.', ':' or '+') so `--type ProductUpdated` and `--exception TimeoutException`
    -- match without a leading-wildcard scan.
    message_name      text        GENERATED ALWAYS AS (regexp_replace(message_type, '^.*[.:+]', '')) STORED,
    exception_name    text        GENERATED ALWAYS AS (regexp_replace(exception_type, '^.*[.:+]', '')) STORED,
    -- A redelivery of a stored message (the mover died between commit and ack) hits this and is acked as a duplicate.
    CONSTRAINT dead_letters_source_message_key UNIQUE (source_queue, message_id),
    CONSTRAINT dead_letters_status_known CHECK (status IN ('stored', 'replayed', 'purged')),
    CONSTRAINT dead_letters_counts CHECK (failure_count >= 1 AND replay_count >= 0)
);

-- `dlq list` of any status, newest failure first.
CREATE INDEX dead_letters_status_time_idx ON invalidator.dead_letters (status, last_failed_at DESC, id DESC);

-- Filters and group-by work on what is still stored; replayed and purged rows only grow the table.
CREATE INDEX dead_letters_stored_type_idx ON invalidator.dead_letters (message_type, last_failed_at DESC) WHERE status = 'stored';
CREATE INDEX dead_letters_stored_type_name_idx ON invalidator.dead_letters (message_name, last_failed_at DESC) WHERE status = 'stored';
CREATE INDEX dead_letters_stored_exception_idx ON invalidator.dead_letters (exception_type, last_failed_at DESC) WHERE status = 'stored';
CREATE INDEX dead_letters_stored_exception_name_idx ON invalidator.dead_letters (exception_name, last_failed_at DESC) WHERE status = 'stored';
CREATE INDEX dead_letters_stored_fingerprint_idx ON invalidator.dead_letters (fingerprint, last_failed_at DESC, id DESC) WHERE status = 'stored';
CREATE INDEX dead_letters_stored_queue_idx ON invalidator.dead_letters (source_queue) WHERE status = 'stored';

-- Audit of every replay and purge (dry runs change nothing, so they are not recorded).
CREATE TABLE invalidator.dead_letter_history (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT now(),
    -- The --actor or OS user of the CLI, the API key's name over HTTP.
    actor           text        NOT NULL,
    origin          text        NOT NULL,
    action          text        NOT NULL,
    -- What was asked: {"ids": […]}, {"group": "…"} or {"all": true} plus any filters.
    selection       jsonb       NOT NULL,
    selected        integer     NOT NULL,
    succeeded       integer     NOT NULL DEFAULT 0,
    failed          integer     NOT NULL DEFAULT 0,
    -- The rows actually replayed or purged; a replay appends each confirmed batch in that batch's transaction.
    dead_letter_ids bigint[]    NOT NULL DEFAULT '{}',
    -- Null while a replay runs, and forever if its process died part way (its counts still say how far it got).
    finished_at     timestamptz,
    CONSTRAINT dead_letter_history_action_known CHECK (action IN ('replay', 'purge')),
    CONSTRAINT dead_letter_history_origin_known CHECK (origin IN ('cli', 'http'))
);

CREATE INDEX dead_letter_history_at_idx ON invalidator.dead_letter_history (at DESC, id DESC);
