using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;
using Platform.Benchmarks.Reporting;
using Platform.Benchmarks.Support;
using Platform.Contracts.Catalog;
using Platform.Hosting.Connections;
using Platform.Hosting.Migrations;
using Platform.Messaging.Bus;
using Platform.Messaging.Outbox;

namespace Platform.Benchmarks.Relay;

/// <summary>
/// <c>relay [--events 50000] [--rounds 3] [--samples 500] [--batch 500] [--concurrent-batches 1] [--analyze]</c>: outbox relay
/// throughput from a pre-filled outbox against a same-run baseline of raw MassTransit publishes of the same messages,
/// interleaved round by round (the machine is shared, so each round prints its load average and the table reports
/// medians), then commit-to-consumer latency. Uses the local servers (<c>./platform servers</c>): a throwaway database
/// and a unique prefix in the test vhost. Prints Markdown.
/// </summary>
internal static class RelayBenchmark
{
    private const string Schema = "catalog";

    public static async Task<int> RunAsync(BenchOptions options, BenchResults results)
    {
        var events = options.Int("--events", 50_000);
        var samples = options.Int("--samples", 500);
        var rounds = options.Int("--rounds", 3);
        var batch = options.Int("--batch", new OutboxOptions().BatchSize);
        var concurrentBatches = options.Int("--concurrent-batches", new OutboxOptions().MaxConcurrentBatches);
        var analyze = options.Flag("--analyze");
        options.EnsureAllUsed();
        var pg = Environment.GetEnvironmentVariable("PLATFORM_PG") ?? "Host=127.0.0.1;Port=55432;Username=postgres";
        var rabbit = Environment.GetEnvironmentVariable("PLATFORM_RABBITMQ_TEST") ?? "amqp://guest:guest@127.0.0.1:56720/platform-test";
        var database = "bench_relay_" + Guid.NewGuid().ToString("N")[..12];
        var prefix = "bench" + Guid.NewGuid().ToString("N")[..8];
        var admin = new NpgsqlConnectionStringBuilder(pg) { Database = "postgres", Pooling = false }.ConnectionString;
        var connectionString = new NpgsqlConnectionStringBuilder(pg) { Database = database, MaxPoolSize = 20 }.ConnectionString;

        Console.WriteLine("## Outbox relay throughput");
        Console.WriteLine();
        Console.WriteLine($"- Machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}; load average {Machine.LoadAverage()} at start");
        Console.WriteLine($"- {events:N0} events per round, {rounds} rounds (relay and raw interleaved, after a warm-up of both), batch {batch}, {concurrentBatches} batch(es) publishing at once; outbox {(analyze ? "analyzed after each fill (--analyze)" : "not analyzed (as autovacuum leaves it)")}; relay, consumer, PostgreSQL and RabbitMQ on this machine");
        await BenchHosts.AdminAsync(admin, $"CREATE DATABASE \"{database}\"");
        try
        {
            await using (var migrations = NpgsqlDataSource.Create(connectionString))
            {
                await new SqlMigrator(migrations, NullLogger<SqlMigrator>.Instance)
                    .MigrateAsync(Schema, MigrationSource.FromDirectory(Path.Combine(Repository.Root(), "services/catalog-api/Migrations")));
            }

            var sink = new Sink();
            using var receiver = await BenchHosts.StartAsync(BuildReceiver(rabbit, prefix, sink));
            using var relayHost = await BenchHosts.StartAsync(BuildRelay(connectionString, rabbit, prefix, batch, concurrentBatches));
            var dataSource = relayHost.Services.GetRequiredService<NpgsqlDataSource>();
            var status = relayHost.Services.GetRequiredKeyedService<OutboxRelayStatus>(Schema);
            var bus = relayHost.Services.GetRequiredService<IBus>();
            await WaitAsync(() => status.IsActive, TimeSpan.FromSeconds(60), "relay active");

            // Both paths once before measuring, so neither pays for the JIT's tiering of MassTransit's publish path.
            var warmUp = Math.Min(5_000, events);
            await RelayRoundAsync(dataSource, sink, warmUp, analyze);
            await RawRoundAsync(bus, sink, warmUp, batch);

            var relayRuns = new List<Run>();
            var rawRuns = new List<Run>();
            for (var round = 0; round < rounds; round++)
            {
                relayRuns.Add(await RelayRoundAsync(dataSource, sink, events, analyze));
                rawRuns.Add(await RawRoundAsync(bus, sink, events, batch));
            }

            // Latency: one event per transaction on one connection, commit to the consumer's receive.
            var latencies = await MeasureLatencyAsync(dataSource, sink, samples);

            var relayRate = Stats.Median(relayRuns.Select(r => r.Rate));
            var rawRate = Stats.Median(rawRuns.Select(r => r.Rate));
            var relayName = "outbox relay, release commit → last event received";
            var rawName = $"raw MassTransit publish, {batch} in flight per chunk";
            Console.WriteLine();
            new MarkdownTable("lrrl", "run", "events/s (median)", "vs raw", "each round (events/s @ load average)")
                .Add(relayName, relayRate.ToString("N0", CultureInfo.InvariantCulture), (relayRate / rawRate).ToString("0.00", CultureInfo.InvariantCulture), string.Join(", ", relayRuns))
                .Add(rawName, rawRate.ToString("N0", CultureInfo.InvariantCulture), "1.00", string.Join(", ", rawRuns))
                .Print();
            Console.WriteLine();
            var p50 = Stats.Percentile(latencies, 0.50);
            var p99 = Stats.Percentile(latencies, 0.99);
            Console.WriteLine($"Filling the outbox (COPY, not timed): {Stats.Median(relayRuns.Select(r => r.FillRate)):N0} rows/s; releasing the held rows (one UPDATE, not timed): {relayRuns.Average(r => r.Release.TotalSeconds):0.00} s on average.");
            Console.WriteLine($"Commit-to-consumer latency, one event per transaction, {latencies.Length} samples: p50 {p50:0.00} ms, p99 {p99:0.00} ms, max {latencies[^1]:0.00} ms.");
            Console.WriteLine($"Targets: relay >= 10,000 events/s: {(relayRate >= 10_000 ? "met" : "NOT met")}; p99 <= 10 ms: {(p99 <= 10 ? "met" : "NOT met")}. Load average at the end: {Machine.LoadAverage()}.");

            const string Throughput = "Outbox relay throughput (pre-filled outbox, median of rounds)";
            results.Add(Throughput, relayName, relayRate, "events/s", samples: rounds, baseline: new Baseline(rawName, rawRate),
                target: Target.AtLeast(10_000, "events/s"), note: $"{events:N0} events per round: {string.Join(", ", relayRuns)}");
            results.Add(Throughput, rawName, rawRate, "events/s", samples: rounds, note: string.Join(", ", rawRuns));
            const string Latency = "Commit → consumer, relay in the same process, one event per transaction";
            results.Add(Latency, "p50", p50, "ms", samples: latencies.Length);
            results.Add(Latency, "p99", p99, "ms", samples: latencies.Length, target: Target.AtMost(10, "ms"));

            await relayHost.StopAsync();
            await receiver.StopAsync();
            return 0;
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await BenchHosts.AdminAsync(admin, $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
        }
    }

    /// <summary>
    /// Fills an empty outbox with rows held back (next_attempt_at = infinity), releases them in one UPDATE, and times
    /// from that commit (the first moment the relay may see them) until the consumer has every one and none is left
    /// undispatched.
    /// </summary>
    private static async Task<Run> RelayRoundAsync(NpgsqlDataSource dataSource, Sink sink, int events, bool analyze)
    {
        await ExecuteAsync(dataSource, $"TRUNCATE {Schema}.outbox");
        var messages = Enumerable.Range(1, events).Select(i => OutboxMessage.Create(new ProductViewed(i, i % 50, DateTimeOffset.UtcNow), "bench")).ToList();
        var fill = Stopwatch.StartNew();
        await CopyAsync(dataSource, messages);
        fill.Stop();
        if (analyze)
        {
            // Statistics that know the backlog: the planner's best case. Without them (a queue table is rarely
            // analyzed when a burst arrives) the claim's plan is up to PostgreSQL's guess.
            await ExecuteAsync(dataSource, $"ANALYZE {Schema}.outbox");
        }

        sink.Expect(events);
        var release = Stopwatch.StartNew();
        await ExecuteAsync(dataSource, $"UPDATE {Schema}.outbox SET next_attempt_at = NULL; NOTIFY {Schema}_outbox");
        release.Stop();
        var relayTime = Stopwatch.StartNew();
        using (var watching = new CancellationTokenSource())
        {
            var watchdog = ReportStallsAsync(dataSource, sink, watching.Token);
            await sink.AllReceived.WaitAsync(TimeSpan.FromMinutes(10));
            await WaitAsync(() => Scalar(dataSource, $"SELECT count(*) FROM {Schema}.outbox WHERE dispatched_at IS NULL") == 0, TimeSpan.FromMinutes(2), "all dispatched");
            relayTime.Stop();
            await watching.CancelAsync();
            await watchdog;
        }
        return new Run(events / relayTime.Elapsed.TotalSeconds, Machine.LoadAverage(), events / fill.Elapsed.TotalSeconds, release.Elapsed);
    }

    /// <summary>
    /// Prints what the database sessions of the run do whenever nothing arrives for two seconds: a stalled relay is
    /// a finding, not noise to average away.
    /// </summary>
    private static async Task ReportStallsAsync(NpgsqlDataSource dataSource, Sink sink, CancellationToken cancellationToken)
    {
        var last = sink.Count;
        var since = Stopwatch.StartNew();
        try
        {
            while (true)
            {
                await Task.Delay(250, cancellationToken);
                if (sink.Count != last)
                {
                    last = sink.Count;
                    since.Restart();
                    continue;
                }

                if (since.Elapsed < TimeSpan.FromSeconds(2))
                {
                    continue;
                }

                since.Restart();
                await using var command = dataSource.CreateCommand(
                    $"""
                    SELECT (SELECT count(*) FROM {Schema}.outbox WHERE dispatched_at IS NULL),
                           coalesce(string_agg(format('%s/%s/%s %s', state, wait_event_type, wait_event, left(query, 70)), ' | '), '')
                    FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
                    """);
                await using var reader = await command.ExecuteReaderAsync(CancellationToken.None);
                await reader.ReadAsync(CancellationToken.None);
                Console.WriteLine($"stall: {last:N0} received, nothing for 2 s; {reader.GetInt64(0):N0} undispatched; load {Machine.LoadAverage()}; sessions: {reader.GetString(1)}");
            }
        }
        catch (OperationCanceledException)
        {
            // The round is over.
        }
    }

    /// <summary>The same messages published straight through MassTransit, as many in flight as a relay batch.</summary>
    private static async Task<Run> RawRoundAsync(IBus bus, Sink sink, int events, int batch)
    {
        var payloads = Enumerable.Range(1, events).Select(i => new ProductViewed(i, i % 50, DateTimeOffset.UtcNow)).ToList();
        sink.Expect(events);
        var rawTime = Stopwatch.StartNew();
        foreach (var chunk in payloads.Chunk(batch))
        {
            await Task.WhenAll(chunk.Select(p => bus.Publish(p)));
        }

        await sink.AllReceived.WaitAsync(TimeSpan.FromMinutes(10));
        rawTime.Stop();
        return new Run(events / rawTime.Elapsed.TotalSeconds, Machine.LoadAverage(), 0, TimeSpan.Zero);
    }

    private static async Task<double[]> MeasureLatencyAsync(NpgsqlDataSource dataSource, Sink sink, int samples)
    {
        var writer = new OutboxWriter(Schema, "bench");
        await using var connection = await dataSource.OpenConnectionAsync();
        var warmUp = Math.Min(20, samples);
        var latencies = new List<double>(samples);
        for (var i = 0; i < samples + warmUp; i++)
        {
            await using var transaction = await connection.BeginTransactionAsync();
            var id = await writer.WriteAsync(connection, transaction, new ProductViewed(i, 1, DateTimeOffset.UtcNow));
            var arrival = sink.Watch(id);
            var start = Stopwatch.GetTimestamp();
            await transaction.CommitAsync();
            var received = await arrival.WaitAsync(TimeSpan.FromSeconds(30));
            if (i >= warmUp)
            {
                latencies.Add(Stopwatch.GetElapsedTime(start, received).TotalMilliseconds);
            }
        }

        return [.. latencies.Order()];
    }

    private static async Task CopyAsync(NpgsqlDataSource dataSource, List<OutboxMessage> messages)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var import = await connection.BeginBinaryImportAsync(
            $"COPY {Schema}.outbox (message_id, message_type, payload, headers, next_attempt_at) FROM STDIN (FORMAT BINARY)");
        foreach (var message in messages)
        {
            await import.StartRowAsync();
            await import.WriteAsync(message.MessageId, NpgsqlDbType.Uuid);
            await import.WriteAsync(message.MessageType, NpgsqlDbType.Text);
            await import.WriteAsync(message.Payload, NpgsqlDbType.Jsonb);
            await import.WriteAsync(message.Headers!, NpgsqlDbType.Jsonb);
            await import.WriteAsync(DateTime.MaxValue, NpgsqlDbType.TimestampTz);
        }

        await import.CompleteAsync();
    }

    private static HostApplicationBuilder BuildReceiver(string rabbit, string prefix, Sink sink)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration["ConnectionStrings:RabbitMq"] = rabbit;
        builder.Configuration["Bus:EntityPrefix"] = prefix;
        builder.Configuration["Bus:PrefetchCount"] = "1000";
        builder.Services.AddSingleton(sink);
        builder.AddPlatformBus(x => x.AddConsumer<SinkConsumer>().Endpoint(e => e.Temporary = true));
        return builder;
    }

    private static HostApplicationBuilder BuildRelay(string connectionString, string rabbit, string prefix, int batch, int concurrentBatches)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration["ConnectionStrings:Postgres"] = connectionString;
        builder.Configuration["ConnectionStrings:RabbitMq"] = rabbit;
        builder.Configuration["Bus:EntityPrefix"] = prefix;
        builder.AddPlatformPostgres();
        builder.AddPlatformBus();
        builder.AddOutboxRelay(Schema, o =>
        {
            o.BatchSize = batch;
            o.MaxConcurrentBatches = concurrentBatches;
        });
        return builder;
    }

    private static Task WaitAsync(Func<bool> condition, TimeSpan timeout, string what) =>
        BenchHosts.WaitAsync(() => Task.FromResult(condition()), timeout, what, TimeSpan.FromMilliseconds(5));

    private static long Scalar(NpgsqlDataSource dataSource, string sql)
    {
        using var command = dataSource.CreateCommand(sql);
        return (long)command.ExecuteScalar()!;
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private sealed record Run(double Rate, string Load, double FillRate, TimeSpan Release)
    {
        public override string ToString() => $"{Rate.ToString("N0", CultureInfo.InvariantCulture)} @ {Load.Split(' ')[0]}";
    }

    /// <summary>Counts distinct arrivals and timestamps the ones the latency phase watches.</summary>
    internal sealed class Sink
    {
        private readonly ConcurrentDictionary<Guid, byte> _seen = new();
        private readonly ConcurrentDictionary<Guid, TaskCompletionSource<long>> _watched = new();
        private int _expected;
        private TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task AllReceived => _all.Task;

        public int Count => _seen.Count;

        public void Expect(int count)
        {
            _seen.Clear();
            _all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _expected, count);
        }

        public Task<long> Watch(Guid id) =>
            _watched.GetOrAdd(id, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

        public void Received(Guid id)
        {
            var at = Stopwatch.GetTimestamp();
            if (_watched.TryRemove(id, out var watcher))
            {
                watcher.TrySetResult(at);
            }

            if (_seen.TryAdd(id, 0) && _seen.Count >= Volatile.Read(ref _expected))
            {
                _all.TrySetResult();
            }
        }
    }

    internal sealed class SinkConsumer(Sink sink) : IConsumer<ProductViewed>
    {
        public Task Consume(ConsumeContext<ProductViewed> context)
        {
            sink.Received(context.MessageId ?? Guid.Empty);
            return Task.CompletedTask;
        }
    }
}
