extern alias aggregator;
extern alias catalog;

using System.Diagnostics;
using System.Globalization;
using System.Text;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Platform.Benchmarks.Reporting;
using Platform.Benchmarks.Support;
using Platform.Contracts.Catalog;
using Platform.Hosting.Connections;
using Platform.Hosting.Migrations;
using Platform.Messaging.Bus;
using AggregatorOptions = aggregator::AnalyticsAggregator.AnalyticsOptions;
using AggregatorSetup = aggregator::AnalyticsAggregator.AnalyticsAggregatorExtensions;
using AnalyticsQueries = catalog::Catalog.Api.Analytics.AnalyticsQueries;
using DemoSeeder = catalog::Catalog.Api.Seeding.DemoSeeder;
using EventKind = aggregator::AnalyticsAggregator.Ingest.EventKind;
using IngestStatus = aggregator::AnalyticsAggregator.Ingest.IngestStatus;
using RawEvent = aggregator::AnalyticsAggregator.Ingest.RawEvent;
using RawEventWriter = aggregator::AnalyticsAggregator.Ingest.RawEventWriter;
using RollupJob = aggregator::AnalyticsAggregator.Rollups.RollupJob;

namespace Platform.Benchmarks.Analytics;

/// <summary>
/// <c>analytics [--events 1000000] [--bus-events 200000] [--queries 2000] [--categories 50] [--products 20000]
/// [--history-days 120] [--classic-queue] [--batch-size 1000] [--batch-concurrency 4]</c>: the aggregator's ingest (through RabbitMQ, and the raw writer alone),
/// a rollup of the written raw events, and the catalog's popular and daily-series queries uncached, index-only
/// against the same query forced onto the heap. Uses the local servers (<c>./platform servers</c>): a throwaway
/// database and a unique prefix in the test vhost. Prints Markdown tables.
/// </summary>
internal static partial class AnalyticsBenchmark
{
    private const int Batch = 1000;
    private const int Writers = 4;

    public static async Task<int> RunAsync(BenchOptions options, BenchResults results)
    {
        var writerEvents = options.Int("--events", 1_000_000);
        var busEvents = options.Int("--bus-events", 200_000);
        var queries = options.Int("--queries", 2000);
        var categories = options.Int("--categories", 50);
        var products = options.Int("--products", 20_000);
        var historyDays = options.Int("--history-days", 120);
        var quorum = !options.Flag("--classic-queue");
        var batchSize = options.Int("--batch-size", 1000);
        var batchConcurrency = options.Int("--batch-concurrency", 4);
        options.EnsureAllUsed();
        var pg = Environment.GetEnvironmentVariable("PLATFORM_PG") ?? "Host=127.0.0.1;Port=55432;Username=postgres";
        var rabbit = Environment.GetEnvironmentVariable("PLATFORM_RABBITMQ_TEST") ?? "amqp://guest:guest@127.0.0.1:56720/platform-test";
        var database = "bench_analytics_" + Guid.NewGuid().ToString("N")[..12];
        var prefix = "bench" + Guid.NewGuid().ToString("N")[..8];
        var admin = new NpgsqlConnectionStringBuilder(pg) { Database = "postgres", Pooling = false }.ConnectionString;
        var connectionString = new NpgsqlConnectionStringBuilder(pg) { Database = database, MaxPoolSize = 20 }.ConnectionString;
        var today = DateOnly.FromDateTime(DateTime.UtcNow);

        Console.WriteLine($"analytics benchmark: {writerEvents:N0} written + {busEvents:N0} through RabbitMQ ({(quorum ? "quorum" : "classic")} queue), "
            + $"{categories} categories, {products:N0} products, {historyDays} days of history, {queries:N0} queries per shape, {Environment.ProcessorCount} cores");
        await BenchHosts.AdminAsync(admin, $"CREATE DATABASE \"{database}\"");
        try
        {
            await using var db = NpgsqlDataSource.Create(connectionString);
            var migrator = new SqlMigrator(db, NullLogger<SqlMigrator>.Instance);
            await migrator.MigrateAsync("catalog", MigrationSource.FromDirectory(Path.Combine(Repository.Root(), "services/catalog-api/Migrations")));
            await migrator.MigrateAsync("analytics", MigrationSource.FromDirectory(Path.Combine(Repository.Root(), "services/analytics-aggregator/Migrations")));
            await new DemoSeeder(db, NullLogger<DemoSeeder>.Instance).SeedAsync(categories, products, CancellationToken.None);
            var catalog = await ProductsAsync(db);
            var report = new StringBuilder();

            using (var aggregator = await BenchHosts.StartAsync(BuildAggregator(connectionString, rabbit, prefix, quorum, batchSize, batchConcurrency)))
            {
                // 1. The raw writer alone, shaped like the consumer (batches of 1,000, four at a time): these rows are the rollup's input.
                var events = Generate(catalog, writerEvents, today, daysBack: 7, new Random(20261122));
                var writer = aggregator.Services.GetRequiredService<RawEventWriter>();
                var written = Stopwatch.StartNew();
                await Parallel.ForEachAsync(events.Chunk(Batch), new ParallelOptions { MaxDegreeOfParallelism = Writers },
                    async (batch, ct) => await writer.WriteAsync(batch, ct));
                written.Stop();

                // 2. Rollup of everything written.
                var rollup = Stopwatch.StartNew();
                var result = await aggregator.Services.GetRequiredService<RollupJob>().CatchUpAsync(TimeSpan.FromMinutes(10), CancellationToken.None);
                rollup.Stop();
                var productRows = await ScalarAsync(db, "SELECT count(*) FROM analytics.product_daily");

                // The bus measurement needs the queue (and its bindings) but no consumer while the queue fills.
                var ingest = aggregator.Services.GetRequiredService<IngestStatus>();
                await BenchHosts.WaitAsync(() => Task.FromResult(ingest.IsConsuming), TimeSpan.FromMinutes(1), "ingest queue declared");
                await aggregator.StopAsync();

                // 3. Through RabbitMQ: fill the queue, then time a consumer draining it into the raw table.
                var busDay = today.AddDays(-20);
                var published = await PublishAsync(rabbit, prefix, catalog, busEvents, busDay);
                using var consumer = await BenchHosts.StartAsync(BuildAggregator(connectionString, rabbit, prefix, quorum, batchSize, batchConcurrency));
                var drained = Stopwatch.StartNew();
                var counted = $"SELECT count(*) FROM analytics.raw_events WHERE day = '{busDay:yyyy-MM-dd}'";
                await BenchHosts.WaitAsync(async () => await ScalarAsync(db, counted) >= busEvents, TimeSpan.FromMinutes(10), "queue drained");
                drained.Stop();
                await consumer.StopAsync();

                report.AppendLine(CultureInfo.InvariantCulture, $"| measure | events | seconds | rate |");
                report.AppendLine("|---|---:|---:|---:|");
                report.AppendLine(CultureInfo.InvariantCulture, $"| ingest: RabbitMQ ({(quorum ? "quorum" : "classic")} queue) → ingest consumer → raw table, batches of {batchSize} × {batchConcurrency} | {busEvents:N0} | {drained.Elapsed.TotalSeconds:0.00} | **{busEvents / drained.Elapsed.TotalSeconds:N0} events/s** |");
                report.AppendLine(CultureInfo.InvariantCulture, $"| ingest: raw writer alone (one INSERT … unnest … ON CONFLICT DO NOTHING per batch), {Writers} writers | {writerEvents:N0} | {written.Elapsed.TotalSeconds:0.00} | {writerEvents / written.Elapsed.TotalSeconds:N0} events/s |");
                report.AppendLine(CultureInfo.InvariantCulture, $"| (filling the queue: MassTransit publish with confirms, not ingest) | {busEvents:N0} | {published.TotalSeconds:0.00} | {busEvents / published.TotalSeconds:N0} msg/s |");
                report.AppendLine(CultureInfo.InvariantCulture, $"| rollup of {result.Events:N0} raw events → {productRows:N0} product-day rows, {result.CategoryDays:N0} category-days | {result.Events:N0} | {rollup.Elapsed.TotalSeconds:0.00} | **{result.Events / rollup.Elapsed.TotalSeconds:N0} events/s** |");
                report.AppendLine();
                const string Ingest = "Analytics ingest and rollup";
                results.Add(Ingest, "ingest: RabbitMQ → ingest consumer → raw table", busEvents / drained.Elapsed.TotalSeconds, "events/s", samples: busEvents,
                    target: Target.AtLeast(20_000, "events/s"), note: $"{(quorum ? "quorum" : "classic")} queue, batches of {batchSize} × {batchConcurrency}");
                results.Add(Ingest, $"ingest: raw writer alone, {Writers} writers", writerEvents / written.Elapsed.TotalSeconds, "events/s", samples: writerEvents);
                results.Add(Ingest, "filling the queue (MassTransit publish with confirms, not ingest)", busEvents / published.TotalSeconds, "msg/s", samples: busEvents);
                results.Add(Ingest, $"rollup of the raw events → {productRows:N0} product-day rows", result.Events / rollup.Elapsed.TotalSeconds, "events/s", samples: (int)result.Events);
            }

            // 4. Read queries at demo volume with history: index-only against the same query forced onto the heap.
            await HistoryAsync(db, today, historyDays);
            await VacuumAsync(db);
            var forced = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString)
            {
                // The same index, read as a plain Index Scan: every row's visibility checked on its heap page (and no
                // sequential or bitmap scan instead, so only the heap visits differ).
                Options = "-c enable_indexonlyscan=off -c enable_bitmapscan=off -c enable_seqscan=off",
            }.ConnectionString);
            await using (forced)
            {
                var table = new MarkdownTable("llrrrr", "query (uncached, SQL only)", "plan", "heap fetches", "p50 ms", "p99 ms", "heap ÷ index-only (p50)");
                var random = new Random(7);
                foreach (var (name, sql, days) in new[]
                {
                    ("popular in a category, 7 days", AnalyticsQueries.PopularInCategorySql, 7),
                    ("popular in a category, 30 days", AnalyticsQueries.PopularInCategorySql, 30),
                    ("popular across categories, 7 days", AnalyticsQueries.PopularSql, 7),
                    ("a category's daily series, 90 days", AnalyticsQueries.CategoryDailySql, 90),
                })
                {
                    var sample = Enumerable.Range(0, queries).Select(_ => (long)random.Next(1, categories + 1)).ToArray();
                    var (plan, fetches) = await PlanAsync(db, sql, sample[0], today, days);
                    var fast = await TimeQueriesAsync(db, sql, sample, today, days);
                    var (heapPlan, heapFetches) = await PlanAsync(forced, sql, sample[0], today, days);
                    var slow = await TimeQueriesAsync(forced, sql, sample, today, days);
                    string F(double ms) => ms.ToString("0.000", CultureInfo.InvariantCulture);
                    var (fast50, fast99, slow50, slow99) = (Stats.Percentile(fast, 0.5), Stats.Percentile(fast, 0.99), Stats.Percentile(slow, 0.5), Stats.Percentile(slow, 0.99));
                    table.Add(name, plan, fetches, F(fast50), F(fast99), "");
                    table.Add("… forced onto the heap", heapPlan, heapFetches, F(slow50), F(slow99), $"{(slow50 / fast50).ToString("0.0", CultureInfo.InvariantCulture)}×");
                    const string Queries = "Analytics queries, uncached (SQL only)";
                    results.Add(Queries, $"{name}, p50", fast50, "ms", samples: fast.Length, baseline: new Baseline("same query forced onto the heap", slow50), note: $"{plan}, heap fetches {fetches}");
                    results.Add(Queries, $"{name}, p99", fast99, "ms", samples: fast.Length, baseline: new Baseline("same query forced onto the heap", slow99));
                }

                report.Append(table);
            }

            Console.WriteLine();
            Console.WriteLine(report.ToString());
            Console.WriteLine($"load average: {Machine.LoadAverage()}");
            return 0;
        }
        finally
        {
            await DeleteQueuesAsync(rabbit, prefix);
            NpgsqlConnection.ClearAllPools();
            await BenchHosts.AdminAsync(admin, $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
        }
    }

    private static RawEvent[] Generate(List<(long Id, long Category)> catalog, int count, DateOnly today, int daysBack, Random random)
    {
        var events = new RawEvent[count];
        for (var i = 0; i < count; i++)
        {
            // Skewed towards a head of popular products, as views are.
            var (product, category) = catalog[(int)(Math.Pow(random.NextDouble(), 2) * catalog.Count)];
            var roll = random.Next(100);
            var kind = roll < 90 ? EventKind.ProductViewed : roll < 96 ? EventKind.ProductUpdated : EventKind.ProductPriceChanged;
            var at = new DateTimeOffset(today.AddDays(-random.Next(daysBack)).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddSeconds(random.Next(86_400));
            events[i] = new RawEvent(Guid.CreateVersion7(), kind, at, category, product);
        }

        return events;
    }

    private static async Task<TimeSpan> PublishAsync(string rabbit, string prefix, List<(long Id, long Category)> catalog, int count, DateOnly day)
    {
        using var publisher = await BenchHosts.StartAsync(BuildPublisher(rabbit, prefix));
        var bus = publisher.Services.GetRequiredService<IBus>();
        var random = new Random(11);
        var at = new DateTimeOffset(day.ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero);
        var clock = Stopwatch.StartNew();
        for (var sent = 0; sent < count; sent += Batch)
        {
            var chunk = Enumerable.Range(0, Math.Min(Batch, count - sent)).Select(_ =>
            {
                var (product, category) = catalog[random.Next(catalog.Count)];
                return bus.Publish(new ProductViewed(product, category, at));
            });
            await Task.WhenAll(chunk);
        }

        clock.Stop();
        await publisher.StopAsync();
        return clock.Elapsed;
    }

    private static async Task<List<(long Id, long Category)>> ProductsAsync(NpgsqlDataSource db)
    {
        await using var command = db.CreateCommand("SELECT id, category_id FROM catalog.products WHERE status = 'active' ORDER BY id");
        await using var reader = await command.ExecuteReaderAsync();
        var products = new List<(long, long)>();
        while (await reader.ReadAsync())
        {
            products.Add((reader.GetInt64(0), reader.GetInt64(1)));
        }

        return products;
    }

    private static HostApplicationBuilder BuildAggregator(string connectionString, string rabbit, string prefix, bool quorum, int batchSize, int batchConcurrency)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration["ConnectionStrings:Postgres"] = connectionString;
        builder.Configuration["ConnectionStrings:RabbitMq"] = rabbit;
        builder.Configuration["Bus:EntityPrefix"] = prefix;
        builder.Configuration["Analytics:QuorumQueue"] = quorum ? "true" : "false";
        builder.Configuration["Analytics:BatchSize"] = batchSize.ToString(CultureInfo.InvariantCulture);
        builder.Configuration["Analytics:BatchConcurrency"] = batchConcurrency.ToString(CultureInfo.InvariantCulture);
        builder.AddPlatformPostgres();
        builder.AddPlatformBus();
        AggregatorSetup.AddAnalyticsCore(builder);
        AggregatorSetup.AddAnalyticsIngest(builder);
        return builder;
    }

    private static HostApplicationBuilder BuildPublisher(string rabbit, string prefix)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration["ConnectionStrings:RabbitMq"] = rabbit;
        builder.Configuration["Bus:EntityPrefix"] = prefix;
        builder.AddPlatformBus();
        return builder;
    }

    private static async Task<long> ScalarAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    // MassTransit declares durable queues and never deletes them; a benchmark run should leave none behind.
    private static async Task DeleteQueuesAsync(string rabbit, string prefix)
    {
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(rabbit) };
        await using var connection = await factory.CreateConnectionAsync();
        foreach (var suffix in new[] { "", "_error", "_skipped" })
        {
            await using var channel = await connection.CreateChannelAsync();
            await channel.QueueDeleteAsync($"{prefix}-{new AggregatorOptions().QueueName}{suffix}", ifUnused: false, ifEmpty: false);
        }
    }
}
