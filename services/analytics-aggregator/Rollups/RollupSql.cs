namespace AnalyticsAggregator.Rollups;

/// <summary>
/// The rollup's SQL. Every statement runs inside one repeatable-read transaction, so all of them see the snapshot whose
/// xmin is the pass's safe point (docs/adr/008-analytics-rollups.md).
/// </summary>
internal static class RollupSql
{
    /// <summary>
    /// The pass's range: from the watermark up to the snapshot's xmin. Every transaction with an xid below xmin has
    /// ended, so every raw row below it is visible now and no row below it can still appear. The row lock makes a
    /// second roller that bypassed the advisory lock fail instead of counting the same range again.
    /// </summary>
    public const string Positions = """
        SELECT watermark, pg_snapshot_xmin(pg_current_snapshot())
        FROM analytics.rollup_state
        FOR UPDATE
        """;

    /// <summary>
    /// Folds the raw events of [@from, @to) into product_daily: one upsert per touched row, in key order, however many
    /// events it had. Returns the touched (category, day) pairs and the number of events folded.
    /// </summary>
    public const string FoldProducts = """
        WITH delta AS (
            SELECT category_id, day, product_id,
                   (count(*) FILTER (WHERE kind = 5))::integer          AS views,
                   (count(*) FILTER (WHERE kind IN (1, 2, 3)))::integer AS updates,
                   (count(*) FILTER (WHERE kind = 4))::integer          AS price_changes
            FROM analytics.raw_events
            WHERE ingest_xid >= @from AND ingest_xid < @to AND product_id IS NOT NULL
            GROUP BY category_id, day, product_id
        ), written AS (
            INSERT INTO analytics.product_daily AS p (category_id, day, product_id, views, updates, price_changes)
            SELECT category_id, day, product_id, views, updates, price_changes
            FROM delta
            ORDER BY category_id, day, product_id
            ON CONFLICT (category_id, day, product_id) DO UPDATE
            SET views = p.views + excluded.views,
                updates = p.updates + excluded.updates,
                price_changes = p.price_changes + excluded.price_changes
            RETURNING category_id, day
        )
        SELECT category_id, day, (SELECT sum(views + updates + price_changes) FROM delta)::bigint
        FROM written
        GROUP BY category_id, day
        """;

    /// <summary>
    /// Recomputes the touched category-days from their product rows (distinct counts do not add up across passes).
    /// The ANY filters reach into the view's scan; the join keeps exactly the touched pairs. Unchanged rows are not
    /// rewritten, which saves a dead row version (and an index entry) each.
    /// </summary>
    public const string FoldCategories = """
        INSERT INTO analytics.category_daily AS c (category_id, day, views, products_viewed, active_products)
        SELECT s.category_id, s.day, s.views, s.products_viewed, s.active_products
        FROM analytics.category_daily_source s
        JOIN unnest(@category_ids, @days) AS touched (category_id, day)
            ON touched.category_id = s.category_id AND touched.day = s.day
        WHERE s.category_id = ANY(@category_ids) AND s.day = ANY(@days)
        ORDER BY s.category_id, s.day
        ON CONFLICT (category_id, day) DO UPDATE
        SET views = excluded.views,
            products_viewed = excluded.products_viewed,
            active_products = excluded.active_products
        WHERE (c.views, c.products_viewed, c.active_products)
              IS DISTINCT FROM (excluded.views, excluded.products_viewed, excluded.active_products)
        """;

    /// <summary>Moves the watermark to the safe point, in the transaction that wrote what lies below it.</summary>
    public const string Advance = """
        UPDATE analytics.rollup_state
        SET watermark = @to, rolled_up_at = now(), events_total = events_total + @events
        """;

    /// <summary>Where the next pass will start, and whether anything committed before now could still be missing.</summary>
    public const string Now = "SELECT pg_snapshot_xmax(pg_current_snapshot())";

    public const string Watermark = "SELECT watermark FROM analytics.rollup_state";

    /// <summary>
    /// The oldest transaction holding the safe point back, for the message of a catch-up that timed out. Its
    /// application name rather than its query text: the query may carry data that has no place in an error message.
    /// </summary>
    public const string OldestTransaction = """
        SELECT format('pid %s in database %s (%s, %s, open for %s)', pid, coalesce(datname, '?'),
                      coalesce(nullif(application_name, ''), 'no application name'), coalesce(state, '?'),
                      coalesce(to_char(now() - xact_start, 'HH24:MI:SS'), '?'))
        FROM pg_stat_activity
        WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()
        ORDER BY age(backend_xid) DESC
        LIMIT 1
        """;

    public const string RecomputePositions = """
        SELECT s.watermark, r.horizon
        FROM analytics.rollup_state s CROSS JOIN analytics.raw_retention r
        FOR UPDATE OF s
        """;

    /// <summary>Replaces the product rows of whole days with the fold of their raw events below the watermark (the ones the incremental passes counted).</summary>
    public const string RecomputeProducts = """
        DELETE FROM analytics.product_daily WHERE day BETWEEN @from AND @to;
        INSERT INTO analytics.product_daily (category_id, day, product_id, views, updates, price_changes)
        SELECT category_id, day, product_id,
               (count(*) FILTER (WHERE kind = 5))::integer,
               (count(*) FILTER (WHERE kind IN (1, 2, 3)))::integer,
               (count(*) FILTER (WHERE kind = 4))::integer
        FROM analytics.raw_events
        WHERE day BETWEEN @from AND @to AND ingest_xid < @watermark AND product_id IS NOT NULL
        GROUP BY category_id, day, product_id
        ORDER BY category_id, day, product_id
        """;

    /// <summary>Removes the category rows of whole days; returns their (category, day) pairs.</summary>
    public const string RemoveCategoryDays = """
        DELETE FROM analytics.category_daily WHERE day BETWEEN @from AND @to
        RETURNING category_id, day
        """;

    /// <summary>Rebuilds the category rows of whole days from their (recomputed) product rows; returns their pairs.</summary>
    public const string RebuildCategoryDays = """
        INSERT INTO analytics.category_daily (category_id, day, views, products_viewed, active_products)
        SELECT category_id, day, views, products_viewed, active_products
        FROM analytics.category_daily_source
        WHERE day BETWEEN @from AND @to
        ORDER BY category_id, day
        RETURNING category_id, day
        """;
}
