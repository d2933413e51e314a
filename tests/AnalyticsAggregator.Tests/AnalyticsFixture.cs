using System.Text.Json;
using AnalyticsAggregator.Ingest;
using AnalyticsAggregator.Retention;
using AnalyticsAggregator.Rollups;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Messaging.Outbox;
using Platform.Testing;

namespace AnalyticsAggregator.Tests;

/// <summary>
/// An analytics database of the class's own, the aggregator's parts built over it (as a node would build them), and
/// helpers that read the daily tables. Tests of one class share the database, so each uses categories of its own
/// (<see cref="NewCategory"/>) and asserts only on those.
/// </summary>
public class AnalyticsFixture : ServiceFixture
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static long nextCategory = Random.Shared.NextInt64(1_000, 1_000_000_000) * 1000;

    public static DateOnly Today => DateOnly.FromDateTime(DateTime.UtcNow);

    /// <summary>A category id no other test of this process uses.</summary>
    public static long NewCategory() => Interlocked.Increment(ref nextCategory);

    /// <summary>Noon UTC of <paramref name="daysAgo"/> days before today.</summary>
    public static DateTimeOffset At(int daysAgo, int minute = 0) =>
        new DateTimeOffset(Today.ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero).AddDays(-daysAgo).AddMinutes(minute);

    public static RawEvent View(long category, long product, int daysAgo = 0) =>
        new(Guid.CreateVersion7(), EventKind.ProductViewed, At(daysAgo), category, product);

    public static RawEvent Event(EventKind kind, long category, long? product, int daysAgo = 0) =>
        new(Guid.CreateVersion7(), kind, At(daysAgo), category, product);

    public AnalyticsOptions Options { get; } = new();

    public RawEventPartitions Partitions(TimeProvider? time = null, AnalyticsOptions? options = null) =>
        new(Database.DataSource, time ?? TimeProvider.System, Microsoft.Extensions.Options.Options.Create(options ?? Options), NullLogger<RawEventPartitions>.Instance);

    public RawEventWriter Writer(TimeProvider? time = null, AnalyticsOptions? options = null) =>
        new(Database.DataSource, Partitions(time, options), new AnalyticsMetrics(), NullLogger<RawEventWriter>.Instance);

    /// <summary>A rollup job as a (new) node would build it.</summary>
    public RollupJob Job(long? maxEventsPerPass = null) =>
        new(Database.DataSource, new OutboxWriter(AnalyticsAggregatorCommands.Schema, "tests"), new AnalyticsMetrics(), TimeProvider.System, NullLogger<RollupJob>.Instance)
        {
            MaxEventsPerPass = maxEventsPerPass ?? RollupJob.DefaultMaxEventsPerPass,
        };

    public Task<IngestResult> IngestAsync(params RawEvent[] events) => Writer().WriteAsync(events, CancellationToken.None);

    /// <summary>Rolls up everything committed so far.</summary>
    public Task<RollupResult> RollupAsync() => Job().CatchUpAsync(Deadline, CancellationToken.None);

    /// <summary>Product rows of <paramref name="categories"/>: (category, day, product) → (views, updates, price changes).</summary>
    public async Task<SortedDictionary<string, (int Views, int Updates, int PriceChanges)>> ProductDailyAsync(params long[] categories)
    {
        await using var command = Database.DataSource.CreateCommand("""
            SELECT category_id, day, product_id, views, updates, price_changes
            FROM analytics.product_daily WHERE category_id = ANY(@categories)
            """);
        command.Parameters.AddWithValue("categories", categories);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new SortedDictionary<string, (int, int, int)>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            rows[$"{reader.GetInt64(0)}/{reader.GetFieldValue<DateOnly>(1):yyyy-MM-dd}/{reader.GetInt64(2)}"] = (reader.GetInt32(3), reader.GetInt32(4), reader.GetInt32(5));
        }

        return rows;
    }

    /// <summary>Category rows of <paramref name="categories"/>: (category, day) → (views, products viewed, active products).</summary>
    public async Task<SortedDictionary<string, (long Views, int ProductsViewed, int ActiveProducts)>> CategoryDailyAsync(params long[] categories)
    {
        await using var command = Database.DataSource.CreateCommand("""
            SELECT category_id, day, views, products_viewed, active_products
            FROM analytics.category_daily WHERE category_id = ANY(@categories)
            """);
        command.Parameters.AddWithValue("categories", categories);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new SortedDictionary<string, (long, int, int)>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            rows[$"{reader.GetInt64(0)}/{reader.GetFieldValue<DateOnly>(1):yyyy-MM-dd}"] = (reader.GetInt64(2), reader.GetInt32(3), reader.GetInt32(4));
        }

        return rows;
    }

    public async Task<int> ViewsAsync(long category, long product, DateOnly day)
    {
        await using var command = Database.DataSource.CreateCommand(
            "SELECT coalesce(sum(views), 0)::int FROM analytics.product_daily WHERE category_id = @c AND product_id = @p AND day = @d");
        command.Parameters.AddWithValue("c", category);
        command.Parameters.AddWithValue("p", product);
        command.Parameters.AddWithValue("d", day);
        return (int)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The AnalyticsRollupCompleted payloads in the outbox that name <paramref name="category"/>, oldest first.</summary>
    public async Task<List<JsonElement>> RollupEventsAsync(long category)
    {
        await using var command = Database.DataSource.CreateCommand("""
            SELECT payload::text FROM analytics.outbox
            WHERE message_type = 'analytics.rollup-completed.v1' AND payload -> 'categoryIds' @> to_jsonb(ARRAY[@category])
            ORDER BY id
            """);
        command.Parameters.AddWithValue("category", category);
        await using var reader = await command.ExecuteReaderAsync();
        var events = new List<JsonElement>();
        while (await reader.ReadAsync())
        {
            events.Add(JsonDocument.Parse(reader.GetString(0)).RootElement.Clone());
        }

        return events;
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = Database.DataSource.CreateCommand(sql);
        var value = await command.ExecuteScalarAsync();
        return value is DBNull ? default! : (T)value!;
    }

    public async Task<ulong> WatermarkAsync() => await ScalarAsync<ulong>("SELECT watermark FROM analytics.rollup_state");

    /// <summary>An aggregator node over this fixture's servers; rollups run by hand unless <paramref name="overrides"/> say otherwise.</summary>
    public ServiceHost<Program> StartAggregator(IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var settings = new Dictionary<string, string?>(Settings)
        {
            ["Analytics:RollupEnabled"] = "false",
            ["Analytics:BatchTimeLimit"] = "00:00:00.020",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return new ServiceHost<Program>(settings);
    }

    /// <summary>Inserts <paramref name="e"/> like the writer does, but on <paramref name="connection"/>'s open transaction.</summary>
    public static async Task InsertInTransactionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RawEvent e)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO analytics.raw_events (message_id, kind, day, occurred_at, category_id, product_id)
            VALUES (@id, @kind, @day, @at, @category, @product)
            """, connection, transaction);
        command.Parameters.AddWithValue("id", e.MessageId);
        command.Parameters.AddWithValue("kind", (short)e.Kind);
        command.Parameters.AddWithValue("day", e.Day);
        command.Parameters.AddWithValue("at", e.OccurredAt);
        command.Parameters.AddWithValue("category", e.CategoryId);
        command.Parameters.AddWithValue("product", (object?)e.ProductId ?? DBNull.Value);
        await command.ExecuteNonQueryAsync();
    }
}
