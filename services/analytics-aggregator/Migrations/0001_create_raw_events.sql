-- Append-only log of every catalog event the aggregator ingested (docs/adr/008-analytics-rollups.md).
-- Partitioned by the event's UTC day: retention drops whole days instead of deleting rows (no dead tuples, no
-- vacuum debt), and recompute reads only the partitions of its days. The unique key may include the day because a
-- redelivery carries the same payload, hence the same day, as the original.
-- Partitions (raw_events_yyyymmdd) are created by the service (RawEventPartitions), never here: days move.
CREATE TABLE analytics.raw_events (
    message_id  uuid        NOT NULL,   -- MassTransit MessageId = the producer's outbox message id: the dedupe key
    kind        smallint    NOT NULL,   -- 1 created, 2 updated, 3 deleted, 4 price changed, 5 viewed, 6 category changed
    day         date        NOT NULL,   -- UTC day of occurred_at: the day its statistics belong to, however late it arrives
    occurred_at timestamptz NOT NULL,
    category_id bigint      NOT NULL,
    product_id  bigint,                 -- null for category events
    -- The ingesting transaction: the rollup's position. Identity values are taken at insert and committed in any
    -- order, so "every id below N is committed" cannot be known; "every xid below the snapshot's xmin is finished"
    -- can (pg_snapshot_xmin). See analytics.rollup_state.
    ingest_xid  xid8        NOT NULL DEFAULT pg_current_xact_id(),
    received_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT raw_events_kind_known CHECK (kind BETWEEN 1 AND 6),
    CONSTRAINT raw_events_message_key UNIQUE (message_id, day)
) PARTITION BY RANGE (day);

-- Serves: the incremental rollup, which reads ingest_xid in [watermark, safe point) of every partition.
CREATE INDEX raw_events_ingest_xid_idx ON analytics.raw_events (ingest_xid);

-- One row: where the incremental rollup stands.
CREATE TABLE analytics.rollup_state (
    id           smallint    PRIMARY KEY DEFAULT 1 CONSTRAINT rollup_state_single_row CHECK (id = 1),
    -- Every raw event with ingest_xid < watermark is counted in the daily tables, and none at or above it.
    -- Advanced in the same transaction as the rollup's writes, so a crash keeps both or neither.
    watermark    xid8        NOT NULL DEFAULT '0',
    rolled_up_at timestamptz,
    events_total bigint      NOT NULL DEFAULT 0
);

INSERT INTO analytics.rollup_state DEFAULT VALUES;

-- One row: how far retention has dropped raw days. A table of its own so that retention never writes the row a
-- rollup transaction (repeatable read) is about to update.
CREATE TABLE analytics.raw_retention (
    id      smallint PRIMARY KEY DEFAULT 1 CONSTRAINT raw_retention_single_row CHECK (id = 1),
    -- Raw days before this were dropped: their events are no longer accepted (a redelivery could not be told from
    -- a new event any more) and those days can no longer be recomputed. Null: nothing dropped yet.
    horizon date
);

INSERT INTO analytics.raw_retention DEFAULT VALUES;
