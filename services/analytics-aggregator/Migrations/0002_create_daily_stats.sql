-- Daily statistics, shaped for the catalog's reads (docs/adr/008-analytics-rollups.md). Each table's primary key
-- is the covering index of one read, so the reads are index-only scans; autovacuum keeps the visibility map fresh.
--
-- Counters that are INCLUDEd in an index make an update that changes them non-HOT (a new index entry per row
-- version). The rollup bounds that churn: it writes each touched row once per pass, in one batch, whatever the
-- number of events, and only today's (and late days') rows are touched; closed days stay all-visible.
--
-- Storage settings, for both tables:
--   fillfactor < 100              room on each page for the next version of its rows, so a non-HOT update still
--                                 lands on the same page and today's churn stays on today's pages;
--   autovacuum_*_scale_factor = 0 vacuum after a fixed number of changed rows, not a fraction of an ever-growing
--                                 table: the visibility map (what makes index-only scans skip the heap) is
--                                 restored within minutes instead of after 20% of the table changed;
--   autovacuum_vacuum_insert_*    the same for inserted rows (new days), which are not all-visible until vacuumed;
--   vacuum_index_cleanup = on     never skip index vacuuming: with the default (auto) a vacuum that finds few dead
--                                 rows leaves their line pointers, and pages holding one are not marked all-visible.

-- One row per product, category (the one the product was in when the events happened) and UTC day.
CREATE TABLE analytics.product_daily (
    category_id   bigint  NOT NULL,
    day           date    NOT NULL,
    product_id    bigint  NOT NULL,
    views         integer NOT NULL DEFAULT 0,
    updates       integer NOT NULL DEFAULT 0,   -- ProductCreated, ProductUpdated, ProductDeleted
    price_changes integer NOT NULL DEFAULT 0,   -- ProductPriceChanged
    -- Serves: popular products of a category over N days (category_id = c AND day BETWEEN …, sum(views) by
    -- product). Only views is included: a pass that changes updates or price_changes alone stays HOT.
    CONSTRAINT product_daily_pkey PRIMARY KEY (category_id, day, product_id) INCLUDE (views)
) WITH (
    fillfactor = 80,
    autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000,
    autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 5000,
    autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 10000,
    vacuum_index_cleanup = on
);

-- Serves: popular products across every category over N days (day BETWEEN …, sum(views) by product), and
-- recompute's delete of a day range.
CREATE INDEX product_daily_day_idx ON analytics.product_daily (day) INCLUDE (product_id, views) WITH (fillfactor = 80);

-- One row per category and UTC day, derived from product_daily (distinct counts do not add up across passes).
CREATE TABLE analytics.category_daily (
    category_id     bigint  NOT NULL,
    day             date    NOT NULL,
    views           bigint  NOT NULL,
    products_viewed integer NOT NULL,   -- distinct products with at least one view that day
    active_products integer NOT NULL,   -- distinct products with any event that day (view, update, price change)
    -- Serves: a category's daily series (category_id = c AND day BETWEEN … ORDER BY day).
    CONSTRAINT category_daily_pkey PRIMARY KEY (category_id, day) INCLUDE (views, products_viewed, active_products)
) WITH (
    fillfactor = 70,
    autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 1000,
    autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 1000,
    vacuum_index_cleanup = on
);

-- The one definition of a category's day from its products' rows, used by the incremental rollup (for the
-- category-days a pass touched) and by recompute (for whole days).
CREATE VIEW analytics.category_daily_source AS
SELECT category_id,
       day,
       sum(views)::bigint                    AS views,
       (count(*) FILTER (WHERE views > 0))::integer AS products_viewed,
       count(*)::integer                     AS active_products
FROM analytics.product_daily
GROUP BY category_id, day;
