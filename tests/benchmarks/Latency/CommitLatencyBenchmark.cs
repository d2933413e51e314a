using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Platform.Benchmarks.ReadPath;
using Platform.Benchmarks.Reporting;
using Platform.Benchmarks.Support;
using Platform.Contracts.Catalog;
using Platform.Messaging.Bus;

namespace Platform.Benchmarks.Latency;

/// <summary>
/// <c>commit-latency [--samples 500] [--catalog-dll PATH]</c>: how long after a write commits on one catalog node its
/// event reaches a consumer, when the outbox relay that publishes it runs in another process. Two catalog-api
/// processes (the Release binary of <c>./platform up</c>) on a throwaway database (migrated and seeded by the
/// binary's own verbs) and a bus prefix of the run's own in the test vhost: node A holds the relay lock, every write
/// is <c>POST /api/products/{id}/views</c> to node B, one at a time, each for a product of its own, and a MassTransit
/// consumer in this process stamps the arrival. Target: p99 ≤ 10 ms (a missed target is a figure, not a failure:
/// the exit code is 0 unless the run itself fails). Prints Markdown.
/// </summary>
internal static class CommitLatencyBenchmark
{
    private const int WarmUp = 20;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    public static async Task<int> RunAsync(BenchOptions options, BenchResults results)
    {
        var samples = options.Int("--samples", 500);
        var catalogDll = options.Text("--catalog-dll");
        options.EnsureAllUsed();
        var binary = CatalogNodes.FindBinary(catalogDll);
        var platform = CatalogNodes.ReadEnvironment();
        var rabbit = Environment.GetEnvironmentVariable("PLATFORM_RABBITMQ_TEST") ?? "amqp://guest:guest@127.0.0.1:56720/platform-test";
        var database = "bench_latency_" + Guid.NewGuid().ToString("N")[..12];
        var prefix = "bench" + Guid.NewGuid().ToString("N")[..8];
        var admin = new NpgsqlConnectionStringBuilder(platform.Postgres) { Database = "postgres", Pooling = false }.ConnectionString;
        var connectionString = new NpgsqlConnectionStringBuilder(platform.Postgres) { Database = database }.ConnectionString;
        var environment = platform with
        {
            Postgres = connectionString,
            RabbitMq = rabbit,
            // Database 2 is the benchmarks' (tests flush 1, the running platform uses 0).
            Redis = platform.Redis + ",defaultDatabase=2",
        };
        var settings = new Dictionary<string, string>
        {
            ["Bus__EntityPrefix"] = prefix,
            ["Cache__KeyPrefix"] = $"bench:latency:{prefix}:",
            // The samples are sequential writes from one client: far above the per-client write limit, on purpose.
            ["RateLimiting__PermitsPerSecond"] = "100000",
            ["RateLimiting__Burst"] = "100000",
        };

        await BenchHosts.AdminAsync(admin, $"CREATE DATABASE \"{database}\"");
        var nodes = new List<CatalogNodeProcess>();
        IHost? receiver = null;
        try
        {
            await VerbAsync(binary, environment, "migrate");
            await VerbAsync(binary, environment, "seed", "--categories", "5", "--products", (samples + WarmUp).ToString(CultureInfo.InvariantCulture));
            await using var dataSource = NpgsqlDataSource.Create(connectionString);

            var arrivals = new Arrivals();
            receiver = await StartReceiverAsync(rabbit, prefix, arrivals);

            // A first, alone, so it takes the relay lock; B stands by and takes every write.
            var relayNode = CatalogNodeProcess.Start(binary, "bench-relay", environment, settings);
            nodes.Add(relayNode);
            await relayNode.WaitReadyAsync(StartTimeout);
            await BenchHosts.WaitAsync(async () => await LockHolderAsync(dataSource) == relayNode.Name, StartTimeout, "node A holds the relay lock", TimeSpan.FromMilliseconds(50));
            var writeNode = CatalogNodeProcess.Start(binary, "bench-writer", environment, settings);
            nodes.Add(writeNode);
            await writeNode.WaitReadyAsync(StartTimeout);
            if (await LockHolderAsync(dataSource) != relayNode.Name)
            {
                throw new InvalidOperationException("the relay lock moved to the writing node: the measurement would not cross processes");
            }

            var products = await ProductIdsAsync(dataSource, samples + WarmUp);
            Console.WriteLine("## Commit-to-broker latency across processes");
            Console.WriteLine();
            Console.WriteLine($"- Machine: {Machine.Describe()} at start; both nodes, PostgreSQL, RabbitMQ and the consumer on this machine (loopback)");
            Console.WriteLine($"- {samples} sequential writes after {WarmUp} warm-up ones: POST /api/products/{{id}}/views to node B ({writeNode.BaseAddress}), relay active on node A ({relayNode.BaseAddress}); binary {binary}");
            Console.WriteLine();

            var afterCommit = new List<double>(samples);
            var afterRequest = new List<double>(samples);
            var early = 0;
            for (var i = 0; i < products.Count; i++)
            {
                var arrival = arrivals.Expect(products[i]);
                var sent = Stopwatch.GetTimestamp();
                using var response = await writeNode.Client.PostAsync($"/api/products/{products[i]}/views", null);
                var committed = Stopwatch.GetTimestamp();
                if (response.StatusCode != HttpStatusCode.Accepted)
                {
                    throw new InvalidOperationException($"write {i} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }

                var received = await arrival.WaitAsync(TimeSpan.FromSeconds(30));
                if (i < WarmUp)
                {
                    continue;
                }

                // The relay can beat the HTTP response to the client: such a sample counts as zero after the commit.
                if (received < committed)
                {
                    early++;
                }

                afterCommit.Add(Math.Max(0, Stopwatch.GetElapsedTime(committed, received).TotalMilliseconds));
                afterRequest.Add(Stopwatch.GetElapsedTime(sent, received).TotalMilliseconds);
            }

            const string Section = "Commit → consumer, relay in another process";
            var table = new MarkdownTable("lrrrrr", "interval", "n", "p50 ms", "p90 ms", "p99 ms", "max ms");
            Row(table, results, Section, "HTTP response received (committed) → consumer receives", afterCommit, Target.AtMost(10, "ms"));
            Row(table, results, Section, "request sent → consumer receives (upper bound)", afterRequest, p99Target: null);
            table.Print();
            Console.WriteLine();
            var p99 = Stats.PercentileOf(afterCommit, 0.99);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Target p99 ≤ 10 ms after commit: {(p99 <= 10 ? "met" : "NOT met")} (p99 {p99:0.00} ms; {early} of {afterCommit.Count} events arrived before the HTTP response). Load average at the end: {Machine.LoadAverage()}."));
            Console.WriteLine("Baseline for comparison (not measured here): MassTransit's Entity Framework outbox delivers across processes by polling, every 10 s by default, so a write committed on a node without the delivery service waits up to that long (about half on average).");
            results.Add(Section, "events that arrived before the HTTP response", early, "", samples: afterCommit.Count);
            results.Note("commit-latency baseline (not measured): MassTransit's EF outbox polls every 10 s by default across processes.");
            return 0;
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }

            if (receiver is not null)
            {
                await receiver.StopAsync();
                receiver.Dispose();
            }

            NpgsqlConnection.ClearAllPools();
            await BenchHosts.AdminAsync(admin, $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
        }
    }

    private static void Row(MarkdownTable table, BenchResults results, string section, string name, List<double> values, Target? p99Target)
    {
        var sorted = values.Order().ToArray();
        string F(double ms) => ms.ToString("0.00", CultureInfo.InvariantCulture);
        table.Add(name, values.Count.ToString(CultureInfo.InvariantCulture), F(Stats.Percentile(sorted, 0.5)), F(Stats.Percentile(sorted, 0.9)), F(Stats.Percentile(sorted, 0.99)), F(sorted[^1]));
        results.Add(section, $"{name}, p50", Stats.Percentile(sorted, 0.5), "ms", samples: sorted.Length);
        results.Add(section, $"{name}, p99", Stats.Percentile(sorted, 0.99), "ms", samples: sorted.Length, target: p99Target);
    }

    /// <summary>Runs a verb of the catalog binary (<c>migrate</c>, <c>seed</c>) the way <c>./platform up</c> does.</summary>
    private static async Task VerbAsync(string binary, PlatformEnvironment environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Path.GetDirectoryName(binary)! };
        start.ArgumentList.Add(binary);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ConnectionStrings__Postgres"] = environment.Postgres;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"catalog-api {string.Join(' ', args)} failed ({process.ExitCode}): {await stdout}{await stderr}");
        }
    }

    private static async Task<string?> LockHolderAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """);
        return await command.ExecuteScalarAsync() as string;
    }

    private static async Task<List<long>> ProductIdsAsync(NpgsqlDataSource dataSource, int count)
    {
        await using var command = dataSource.CreateCommand("SELECT id FROM catalog.products ORDER BY id LIMIT @count");
        command.Parameters.AddWithValue("count", count);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<long>(count);
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids.Count == count ? ids : throw new InvalidOperationException($"seeded {ids.Count} products, {count} needed");
    }

    private static async Task<IHost> StartReceiverAsync(string rabbit, string prefix, Arrivals arrivals)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration["ConnectionStrings:RabbitMq"] = rabbit;
        builder.Configuration["Bus:EntityPrefix"] = prefix;
        builder.Services.AddSingleton(arrivals);
        builder.AddPlatformBus(x => x.AddConsumer<ArrivalConsumer>().Endpoint(e => e.Temporary = true));
        return await BenchHosts.StartAsync(builder, StartTimeout);
    }

    /// <summary>Stopwatch time at which the view of each awaited product arrived.</summary>
    internal sealed class Arrivals
    {
        private readonly ConcurrentDictionary<long, TaskCompletionSource<long>> _waiting = new();

        public Task<long> Expect(long productId) =>
            _waiting.GetOrAdd(productId, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

        public void Arrived(long productId)
        {
            var at = Stopwatch.GetTimestamp();
            if (_waiting.TryRemove(productId, out var waiter))
            {
                waiter.TrySetResult(at);
            }
        }
    }

    internal sealed class ArrivalConsumer(Arrivals arrivals) : IConsumer<ProductViewed>
    {
        public Task Consume(ConsumeContext<ProductViewed> context)
        {
            arrivals.Arrived(context.Message.ProductId);
            return Task.CompletedTask;
        }
    }
}
