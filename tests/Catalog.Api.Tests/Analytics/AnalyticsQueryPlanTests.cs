using System.Text.Json;
using Catalog.Api.Analytics;
using Npgsql;
using NpgsqlTypes;

namespace Catalog.Api.Tests.Analytics;

/// <summary>
/// Each analytics read is an index-only scan of its covering index that touches no heap page once VACUUM has run —
/// also after a rollup rewrote today's rows (non-HOT updates: the counters are in the index).
/// </summary>
public sealed class AnalyticsQueryPlanTests(AnalyticsPlanFixture fixture) : IClassFixture<AnalyticsPlanFixture>
{
    public static TheoryData<string, string, string, int> Reads => new()
    {
        { "popular in a category, 7 days", AnalyticsQueries.PopularInCategorySql, "product_daily_pkey", 7 },
        { "popular in a category, 90 days", AnalyticsQueries.PopularInCategorySql, "product_daily_pkey", 90 },
        { "popular across categories, 7 days", AnalyticsQueries.PopularSql, "product_daily_day_idx", 7 },
        { "a category's daily series, 90 days", AnalyticsQueries.CategoryDailySql, "category_daily_pkey", 90 },
    };

    [Theory]
    [MemberData(nameof(Reads))]
    public async Task EachReadIsAnIndexOnlyScanWithNoHeapFetchesAfterVacuum(string read, string sql, string index, int days)
    {
        await fixture.VacuumAsync();

        var scan = await fixture.AnalyticsScanAsync(sql, days);

        Assert.True(scan.GetProperty("Node Type").GetString() == "Index Only Scan", $"{read}: {scan}");
        Assert.Equal(index, scan.GetProperty("Index Name").GetString());
        Assert.True(scan.GetProperty("Actual Rows").GetDouble() > 0, $"{read} read no rows: {scan}");
        Assert.Equal(0, scan.GetProperty("Heap Fetches").GetInt64());
    }

    [Fact]
    public async Task RowsARollupRewroteCostHeapFetchesOnlyUntilTheNextVacuum()
    {
        await fixture.VacuumAsync();
        // What a rollup pass does to today's rows: a new version of each (the changed counter is in the index).
        await fixture.ExecuteAsync("UPDATE analytics.product_daily SET views = views + 1 WHERE day = current_date");

        var churned = await fixture.AnalyticsScanAsync(AnalyticsQueries.PopularInCategorySql, 7);
        await fixture.VacuumAsync();
        var vacuumed = await fixture.AnalyticsScanAsync(AnalyticsQueries.PopularInCategorySql, 7);

        Assert.True(churned.GetProperty("Heap Fetches").GetInt64() > 0, $"expected heap fetches for today's rewritten rows: {churned}");
        Assert.Equal("Index Only Scan", vacuumed.GetProperty("Node Type").GetString());
        Assert.Equal(0, vacuumed.GetProperty("Heap Fetches").GetInt64());
    }
}

/// <summary>The seeded catalog plus 120 days of daily rows for a third of its products each day (about 80,000 rows).</summary>
public sealed class AnalyticsPlanFixture : CatalogFixture
{
    public const long Category = 7;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await SeedAsync(20, 2000);
        await ExecuteAsync("""
            INSERT INTO analytics.product_daily (category_id, day, product_id, views, updates, price_changes)
            SELECT p.category_id, d::date, p.id, 1 + (p.id * 7 + extract(doy FROM d)::int) % 40, (p.id + extract(doy FROM d)::int) % 2, 0
            FROM catalog.products p
            CROSS JOIN generate_series(current_date - 119, current_date, interval '1 day') d
            WHERE (p.id + extract(doy FROM d)::int) % 3 = 0;
            INSERT INTO analytics.category_daily (category_id, day, views, products_viewed, active_products)
            SELECT category_id, day, views, products_viewed, active_products FROM analytics.category_daily_source;
            """);
    }

    /// <summary>
    /// VACUUM until every page is all-visible. One pass is not always enough here: the test server commits
    /// asynchronously, and until the WAL writer has flushed the commits that share a commit-log page group with the
    /// last writes (within about wal_writer_delay), VACUUM may not set their hint bits, nor therefore the pages'
    /// all-visible bits. With synchronous commit (production) the first pass does it.
    /// </summary>
    public Task VacuumAsync() => Platform.Testing.Eventually.TrueAsync(async () =>
    {
        await ExecuteAsync("VACUUM (ANALYZE) analytics.product_daily, analytics.category_daily");
        await using var command = Database.DataSource.CreateCommand(
            "SELECT bool_and(relallvisible = relpages) FROM pg_class WHERE oid IN ('analytics.product_daily'::regclass, 'analytics.category_daily'::regclass)");
        return (bool)(await command.ExecuteScalarAsync())!;
    }, TimeSpan.FromSeconds(30), "every page of the daily tables all-visible");

    public async Task ExecuteAsync(string sql)
    {
        await using var command = Database.DataSource.CreateCommand(sql);
        command.CommandTimeout = 120;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Runs <paramref name="sql"/> under EXPLAIN (ANALYZE, BUFFERS) with real parameters and returns its scan of an analytics table.</summary>
    public async Task<JsonElement> AnalyticsScanAsync(string sql, int days)
    {
        await using var command = Database.DataSource.CreateCommand("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql);
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        if (sql.Contains("@category", StringComparison.Ordinal))
        {
            command.Parameters.Add(new NpgsqlParameter<long>("category", Category));
        }

        command.Parameters.Add(new NpgsqlParameter<DateOnly>("from", today.AddDays(1 - days)) { NpgsqlDbType = NpgsqlDbType.Date });
        command.Parameters.Add(new NpgsqlParameter<DateOnly>("to", today) { NpgsqlDbType = NpgsqlDbType.Date });
        if (sql.Contains("@limit", StringComparison.Ordinal))
        {
            command.Parameters.Add(new NpgsqlParameter<int>("limit", 10));
        }

        var plan = JsonDocument.Parse((string)(await command.ExecuteScalarAsync())!).RootElement[0].GetProperty("Plan");
        return Find(plan) ?? throw new InvalidOperationException($"no scan of an analytics table in {plan}");
    }

    private static JsonElement? Find(JsonElement node)
    {
        if (node.TryGetProperty("Relation Name", out var relation) && relation.GetString() is "product_daily" or "category_daily")
        {
            return node.Clone();
        }

        if (node.TryGetProperty("Plans", out var children))
        {
            foreach (var child in children.EnumerateArray())
            {
                if (Find(child) is { } found)
                {
                    return found;
                }
            }
        }

        return null;
    }
}
