using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Platform.Benchmarks.Support;

namespace Platform.Benchmarks.Analytics;

/// <summary>The read side of the analytics benchmark: history, vacuum, plans and timed queries.</summary>
internal static partial class AnalyticsBenchmark
{
    private static async Task HistoryAsync(NpgsqlDataSource db, DateOnly today, int days)
    {
        // Older days than the benchmark's events: a third of the products have a row each day.
        await using var command = db.CreateCommand("""
            INSERT INTO analytics.product_daily (category_id, day, product_id, views, updates, price_changes)
            SELECT p.category_id, d::date, p.id, 1 + (p.id * 7 + extract(doy FROM d)::int) % 40, 0, 0
            FROM catalog.products p
            CROSS JOIN generate_series(@from::date, @to::date, interval '1 day') d
            WHERE (p.id + extract(doy FROM d)::int) % 3 = 0
            ON CONFLICT DO NOTHING;
            INSERT INTO analytics.category_daily (category_id, day, views, products_viewed, active_products)
            SELECT category_id, day, views, products_viewed, active_products FROM analytics.category_daily_source
            ON CONFLICT (category_id, day) DO UPDATE SET views = excluded.views, products_viewed = excluded.products_viewed, active_products = excluded.active_products;
            """);
        command.CommandTimeout = 600;
        command.Parameters.Add(new NpgsqlParameter<DateOnly>("from", today.AddDays(1 - days)) { NpgsqlDbType = NpgsqlDbType.Date });
        command.Parameters.Add(new NpgsqlParameter<DateOnly>("to", today.AddDays(-7)) { NpgsqlDbType = NpgsqlDbType.Date });
        await command.ExecuteNonQueryAsync();
    }

    private static async Task VacuumAsync(NpgsqlDataSource db)
    {
        // Until every page is all-visible: with asynchronous commit the first pass may not be able to set them yet.
        await BenchHosts.WaitAsync(async () =>
        {
            await using (var vacuum = db.CreateCommand("VACUUM (ANALYZE) analytics.product_daily, analytics.category_daily"))
            {
                vacuum.CommandTimeout = 600;
                await vacuum.ExecuteNonQueryAsync();
            }

            return await ScalarAsync(db, """
                SELECT count(*) FROM pg_class
                WHERE oid IN ('analytics.product_daily'::regclass, 'analytics.category_daily'::regclass) AND relallvisible < relpages
                """) == 0;
        }, TimeSpan.FromMinutes(2), "daily tables all-visible");
    }

    private static async Task<double[]> TimeQueriesAsync(NpgsqlDataSource db, string sql, long[] categories, DateOnly today, int days)
    {
        await using var connection = await db.OpenConnectionAsync();
        var times = new List<double>(categories.Length);
        for (var i = -Math.Min(100, categories.Length); i < categories.Length; i++)
        {
            await using var command = Command(connection, sql, categories[Math.Abs(i) % categories.Length], today, days);
            var start = Stopwatch.GetTimestamp();
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                }
            }

            if (i >= 0)
            {
                times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }

        return [.. times.Order()];
    }

    private static async Task<(string Plan, string HeapFetches)> PlanAsync(NpgsqlDataSource db, string sql, long category, DateOnly today, int days)
    {
        await using var connection = await db.OpenConnectionAsync();
        await using var command = Command(connection, "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, category, today, days);
        var plan = JsonDocument.Parse((string)(await command.ExecuteScalarAsync())!).RootElement[0].GetProperty("Plan");
        var scan = Find(plan) ?? plan;
        var index = scan.TryGetProperty("Index Name", out var name) ? $" {name.GetString()}" : "";
        // A plain Index Scan reports no heap fetches: it visits the heap for every row it returns.
        var heap = scan.TryGetProperty("Heap Fetches", out var fetches) ? fetches.GetInt64().ToString(CultureInfo.InvariantCulture) : $"all {scan.GetProperty("Actual Rows").GetDouble():0}";
        return ($"{scan.GetProperty("Node Type").GetString()}{index}", heap);
    }

    private static JsonElement? Find(JsonElement node)
    {
        if (node.TryGetProperty("Relation Name", out var relation) && relation.GetString() is "product_daily" or "category_daily")
        {
            return node;
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

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, long category, DateOnly today, int days)
    {
        var command = new NpgsqlCommand(sql, connection);
        if (sql.Contains("@category", StringComparison.Ordinal))
        {
            command.Parameters.Add(new NpgsqlParameter<long>("category", category));
        }

        command.Parameters.Add(new NpgsqlParameter<DateOnly>("from", today.AddDays(1 - days)) { NpgsqlDbType = NpgsqlDbType.Date });
        command.Parameters.Add(new NpgsqlParameter<DateOnly>("to", today) { NpgsqlDbType = NpgsqlDbType.Date });
        if (sql.Contains("@limit", StringComparison.Ordinal))
        {
            command.Parameters.Add(new NpgsqlParameter<int>("limit", 10));
        }

        return command;
    }
}
