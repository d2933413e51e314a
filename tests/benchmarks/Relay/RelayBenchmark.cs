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
using Platform.Messaging.Wire;
using RabbitMQ.Client;

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
    private const double TargetRate = 30_000;
    private const double TargetRatio = 2.5;

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

            using var relayHost = await BenchHosts.StartAsync(BuildRelay(connectionString, rabbit, prefix, batch, concurrentBatches));
            var dataSource = relayHost.Services.GetRequiredService<NpgsqlDataSource>();
            var status = relayHost.Services.GetRequiredKeyedService<OutboxRelayStatus>(Schema);
            var bus = relayHost.Services.GetRequiredService<IBus>();
            await WaitAsync(() => status.IsActive, TimeSpan.FromSeconds(60), "relay active");

            // Throughput is the publisher's: every message confirmed by the broker into a queue that nothing consumes
            // while the round runs (counted and purged after it). A consumer in this process would share the two cores
            // with the publisher and make the consumer the ceiling of both paths (it did: relay 0.98x raw, 2026-12-03).
            await using var counter = await CountingQueue.CreateAsync(rabbit, bus, prefix);

            // Both paths once before measuring, so neither pays for the JIT's tiering of its publish path.
            var warmUp = Math.Min(5_000, events);
            await RelayRoundAsync(dataSource, counter, warmUp, analyze);
            await RawRoundAsync(bus, counter, warmUp, batch);

            await counter.DirectRoundAsync(warmUp, batch);

            var relayRuns = new List<Run>();
            var rawRuns = new List<Run>();
            var directRuns = new List<Run>();
            for (var round = 0; round < rounds; round++)
            {
                relayRuns.Add(await RelayRoundAsync(dataSource, counter, events, analyze));
                rawRuns.Add(await RawRoundAsync(bus, counter, events, batch));
                directRuns.Add(await counter.DirectRoundAsync(events, batch));
            }

            await counter.DisposeAsync();

            // End to end: the same relay with MassTransit's consumer in this process receiving every message, once;
            // then commit-to-consumer latency, one event per transaction on one connection.
            var sink = new Sink();
            using var receiver = await BenchHosts.StartAsync(BuildReceiver(rabbit, prefix, sink));
            var endToEnd = await EndToEndRoundAsync(dataSource, sink, events, analyze);
            var latencies = await MeasureLatencyAsync(dataSource, sink, samples);

            var relayRate = Stats.Median(relayRuns.Select(r => r.Rate));
            var rawRate = Stats.Median(rawRuns.Select(r => r.Rate));
            var relayName = "outbox relay, release commit → every row confirmed by the broker and marked dispatched";
            var rawName = $"raw MassTransit publish with confirms, {batch} in flight per chunk";
            var directRate = Stats.Median(directRuns.Select(r => r.Rate));
            var directName = $"RabbitMQ.Client alone, pre-built messages, confirms, {batch} in flight (the broker's ceiling here)";
            var endToEndName = "outbox relay, release commit → last event received by a MassTransit consumer in the same process (one round)";
            Console.WriteLine();
            new MarkdownTable("lrrl", "run", "events/s (median)", "vs raw", "each round (events/s @ load average)")
                .Add(relayName, relayRate.ToString("N0", CultureInfo.InvariantCulture), (relayRate / rawRate).ToString("0.00", CultureInfo.InvariantCulture), string.Join(", ", relayRuns))
                .Add(rawName, rawRate.ToString("N0", CultureInfo.InvariantCulture), "1.00", string.Join(", ", rawRuns))
                .Add(directName, directRate.ToString("N0", CultureInfo.InvariantCulture), (directRate / rawRate).ToString("0.00", CultureInfo.InvariantCulture), string.Join(", ", directRuns))
                .Add(endToEndName, endToEnd.Rate.ToString("N0", CultureInfo.InvariantCulture), (endToEnd.Rate / rawRate).ToString("0.00", CultureInfo.InvariantCulture), endToEnd.ToString())
                .Print();
            Console.WriteLine();
            var p50 = Stats.Percentile(latencies, 0.50);
            var p99 = Stats.Percentile(latencies, 0.99);
            Console.WriteLine($"Filling the outbox (COPY, not timed): {Stats.Median(relayRuns.Select(r => r.FillRate)):N0} rows/s; releasing the held rows (one UPDATE, not timed): {relayRuns.Average(r => r.Release.TotalSeconds):0.00} s on average.");
            Console.WriteLine($"Commit-to-consumer latency, one event per transaction, {latencies.Length} samples: p50 {p50:0.00} ms, p99 {p99:0.00} ms, max {latencies[^1]:0.00} ms.");
            Console.WriteLine($"Targets: relay >= {TargetRate:N0} events/s: {(relayRate >= TargetRate ? "met" : "NOT met")}; >= {TargetRatio}x raw: {(relayRate >= TargetRatio * rawRate ? "met" : "NOT met")}; p99 <= 10 ms: {(p99 <= 10 ? "met" : "NOT met")}. Load average at the end: {Machine.LoadAverage()}.");

            const string Throughput = "Outbox relay throughput (pre-filled outbox, median of rounds)";
            results.Add(Throughput, relayName, relayRate, "events/s", samples: rounds, baseline: new Baseline(rawName, rawRate),
                target: Target.AtLeast(TargetRate, "events/s"), note: $"{events:N0} events per round: {string.Join(", ", relayRuns)}");
            results.Add(Throughput, $"{relayName}, against raw MassTransit", relayRate, "events/s", samples: rounds,
                baseline: new Baseline(rawName, rawRate), target: Target.RatioAtLeast(TargetRatio), note: "the same run's medians");
            results.Add(Throughput, rawName, rawRate, "events/s", samples: rounds, note: string.Join(", ", rawRuns));
            results.Add(Throughput, directName, directRate, "events/s", samples: rounds, baseline: new Baseline(rawName, rawRate),
                note: $"no database, no envelope work: what any publisher could reach on this machine; {string.Join(", ", directRuns)}");
            results.Add(Throughput, endToEndName, endToEnd.Rate, "events/s", samples: 1, baseline: new Baseline(rawName, rawRate),
                note: "bounded by the consumer sharing the two cores, not by the relay");
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
    /// from that commit (the first moment the relay may see them) until none is left undispatched — the relay marks a
    /// row dispatched only after the broker confirmed it — then checks that the queue holds every one.
    /// </summary>
    private static async Task<Run> RelayRoundAsync(NpgsqlDataSource dataSource, CountingQueue counter, int events, bool analyze)
    {
        var (fillRate, release) = await FillAndReleaseAsync(dataSource, events, analyze);
        var relayTime = Stopwatch.StartNew();
        using (var watching = new CancellationTokenSource())
        {
            // The queue's count is cheap to ask (the broker's, not a scan of the outbox); the rows are marked in the
            // commit that follows their confirms.
            var watchdog = ReportStallsAsync(dataSource, () => (int)counter.LastCount, watching.Token);
            await counter.WaitForAsync(events, TimeSpan.FromMinutes(10));
            await WaitAsync(() => Scalar(dataSource, Undispatched) == 0, TimeSpan.FromMinutes(2), "all dispatched");
            relayTime.Stop();
            await watching.CancelAsync();
            await watchdog;
        }

        await counter.ExpectAndPurgeAsync(events);
        return new Run(events / relayTime.Elapsed.TotalSeconds, Machine.LoadAverage(), fillRate, release);
    }

    /// <summary>The relay once more, timed until a MassTransit consumer has received every message.</summary>
    private static async Task<Run> EndToEndRoundAsync(NpgsqlDataSource dataSource, Sink sink, int events, bool analyze)
    {
        sink.Expect(events);
        var (fillRate, release) = await FillAndReleaseAsync(dataSource, events, analyze);
        var relayTime = Stopwatch.StartNew();
        using (var watching = new CancellationTokenSource())
        {
            var watchdog = ReportStallsAsync(dataSource, () => sink.Count, watching.Token);
            await sink.AllReceived.WaitAsync(TimeSpan.FromMinutes(10));
            relayTime.Stop();
            await watching.CancelAsync();
            await watchdog;
        }

        return new Run(events / relayTime.Elapsed.TotalSeconds, Machine.LoadAverage(), fillRate, release);
    }

    private static async Task<(double FillRate, TimeSpan Release)> FillAndReleaseAsync(NpgsqlDataSource dataSource, int events, bool analyze)
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

        var release = Stopwatch.StartNew();
        await ExecuteAsync(dataSource, $"UPDATE {Schema}.outbox SET next_attempt_at = NULL; NOTIFY {Schema}_outbox");
        release.Stop();
        return (events / fill.Elapsed.TotalSeconds, release.Elapsed);
    }

    /// <summary>
    /// Prints what the database sessions of the run do whenever nothing arrives for two seconds: a stalled relay is
    /// a finding, not noise to average away.
    /// </summary>
    private static async Task ReportStallsAsync(NpgsqlDataSource dataSource, Func<int> progress, CancellationToken cancellationToken)
    {
        var last = progress();
        var since = Stopwatch.StartNew();
        try
        {
            while (true)
            {
                await Task.Delay(250, cancellationToken);
                if (progress() is var now && now != last)
                {
                    last = now;
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
                Console.WriteLine($"stall: {last:N0} done, nothing for 2 s; {reader.GetInt64(0):N0} undispatched; load {Machine.LoadAverage()}; sessions: {reader.GetString(1)}");
            }
        }
        catch (OperationCanceledException)
        {
            // The round is over.
        }
    }

    /// <summary>
    /// The same messages published straight through MassTransit (publisher confirms on, as configured for every
    /// service), as many in flight as a relay batch, timed until every publish is confirmed.
    /// </summary>
    private static async Task<Run> RawRoundAsync(IBus bus, CountingQueue counter, int events, int batch)
    {
        var payloads = Enumerable.Range(1, events).Select(i => new ProductViewed(i, i % 50, DateTimeOffset.UtcNow)).ToList();
        var rawTime = Stopwatch.StartNew();
        foreach (var chunk in payloads.Chunk(batch))
        {
            await Task.WhenAll(chunk.Select(p => bus.Publish(p)));
        }

        rawTime.Stop();
        await counter.ExpectAndPurgeAsync(events);
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

    private const string Undispatched = $"SELECT count(*) FROM {Schema}.outbox WHERE dispatched_at IS NULL";

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

    /// <summary>
    /// A queue of the run's own bound to the message type's publish exchange, with no consumer: a round's messages
    /// wait there, are counted (a round that lost or duplicated one fails the runner) and purged.
    /// </summary>
    private sealed class CountingQueue(IConnection connection, IChannel channel, IChannel publisher, string exchange, string queue) : IAsyncDisposable
    {
        private bool _disposed;

        public static async Task<CountingQueue> CreateAsync(string rabbit, IBus bus, string prefix)
        {
            // MassTransit declares the type's exchange on its first publish (to no queue yet, so it is dropped).
            await bus.Publish(new ProductViewed(0, 0, DateTimeOffset.UtcNow));
            var exchange = PublishPathBenchmark.PublishExchange<ProductViewed>(bus);
            var connection = await new ConnectionFactory { Uri = new Uri(rabbit) }.CreateConnectionAsync("bench-relay-counter");
            var channel = await connection.CreateChannelAsync();
            var publisher = await connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true, outstandingPublisherConfirmationsRateLimiter: null));
            var queue = $"{prefix}-relay-count";
            // Quorum, as the queues the relay's events land in (the invalidator's and the aggregator's, ADR 017): on this
            // machine a classic durable queue takes persistent messages at about 12-13k/s with confirms, a quorum queue
            // at about 30k/s (RabbitMQ.Client alone, 2026-12-06), so the queue type decides what a publisher can reach.
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });
            await channel.QueueBindAsync(queue, exchange, "");
            return new CountingQueue(connection, channel, publisher, exchange, queue);
        }

        public uint LastCount { get; private set; }

        public async Task WaitForAsync(int events, TimeSpan timeout)
        {
            var deadline = Stopwatch.StartNew();
            while ((LastCount = await channel.MessageCountAsync(queue)) < events)
            {
                if (deadline.Elapsed > timeout)
                {
                    throw new TimeoutException($"the queue holds {LastCount:N0} of {events:N0} messages after {timeout}");
                }

                // Every 20 ms: each ask is a request to the broker being measured (0.5 % of a 4 s round at most).
                await Task.Delay(20);
            }
        }

        /// <summary>
        /// The same number of messages, envelopes built before the clock starts, published to the same exchange with
        /// confirms, <paramref name="window"/> at a time: the ceiling of the broker and the client on this machine.
        /// </summary>
        public async Task<Run> DirectRoundAsync(int events, int window)
        {
            var urn = MessageUrns.For<ProductViewed>();
            var bodies = Enumerable.Range(1, events)
                .Select(i => PublishPathBenchmark.Envelope(Guid.CreateVersion7(), urn, $$"""{"productId":{{i}},"categoryId":{{i % 50}},"viewedAt":"{{DateTimeOffset.UtcNow:O}}"}"""))
                .ToArray();
            var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", DeliveryMode = DeliveryModes.Persistent };
            var watch = Stopwatch.StartNew();
            var pending = new List<ValueTask>(window);
            foreach (var body in bodies)
            {
                pending.Add(publisher.BasicPublishAsync(exchange, "", false, properties, body));
                if (pending.Count == window)
                {
                    foreach (var confirm in pending)
                    {
                        await confirm;
                    }

                    pending.Clear();
                }
            }

            foreach (var confirm in pending)
            {
                await confirm;
            }

            watch.Stop();
            await ExpectAndPurgeAsync(events);
            return new Run(events / watch.Elapsed.TotalSeconds, Machine.LoadAverage(), 0, TimeSpan.Zero);
        }

        public async Task ExpectAndPurgeAsync(int events)
        {
            // Confirmed means enqueued; the count may trail the confirms by a moment, never exceed them.
            try
            {
                await WaitForAsync(events, TimeSpan.FromSeconds(30));
            }
            finally
            {
                await channel.QueuePurgeAsync(queue);
            }

            if (LastCount != events)
            {
                throw new InvalidOperationException($"the queue held {LastCount:N0} messages after a round of {events:N0} confirmed publishes");
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            await channel.QueueDeleteAsync(queue);
            await publisher.DisposeAsync();
            await channel.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
