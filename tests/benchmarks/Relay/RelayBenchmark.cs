using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;
using Platform.Contracts.Catalog;
using Platform.Hosting.Connections;
using Platform.Messaging.Bus;
using Platform.Messaging.Migrations;
using Platform.Messaging.Outbox;

namespace Platform.Benchmarks.Relay;

/// <summary>
/// <c>relay [--events 50000] [--samples 500] [--batch 500] [--concurrent-batches 1]</c>: outbox relay throughput from a pre-filled outbox against
/// a same-run baseline of raw MassTransit publishes of the same messages, then commit-to-consumer latency. Uses the
/// local servers (<c>./platform servers</c>): a throwaway database and a unique prefix in the test vhost.
/// </summary>
internal static class RelayBenchmark
{
    private const string Schema = "catalog";

    public static async Task<int> RunAsync(string[] args)
    {
        var events = Option(args, "--events", 50_000);
        var samples = Option(args, "--samples", 500);
        var batch = Option(args, "--batch", new OutboxOptions().BatchSize);
        var concurrentBatches = Option(args, "--concurrent-batches", new OutboxOptions().MaxConcurrentBatches);
        var pg = Environment.GetEnvironmentVariable("PLATFORM_PG") ?? "Host=127.0.0.1;Port=55432;Username=postgres";
        var rabbit = Environment.GetEnvironmentVariable("PLATFORM_RABBITMQ_TEST") ?? "amqp://guest:guest@127.0.0.1:56720/platform-test";
        var database = "bench_relay_" + Guid.NewGuid().ToString("N")[..12];
        var prefix = "bench" + Guid.NewGuid().ToString("N")[..8];
        var admin = new NpgsqlConnectionStringBuilder(pg) { Database = "postgres", Pooling = false }.ConnectionString;
        var connectionString = new NpgsqlConnectionStringBuilder(pg) { Database = database, MaxPoolSize = 20 }.ConnectionString;

        Console.WriteLine($"relay benchmark: {events:N0} events, batch {batch} x {concurrentBatches}, {samples} latency samples, {Environment.ProcessorCount} cores");
        await AdminAsync(admin, $"CREATE DATABASE \"{database}\"");
        try
        {
            await using (var migrations = NpgsqlDataSource.Create(connectionString))
            {
                await new SqlMigrator(migrations, NullLogger<SqlMigrator>.Instance)
                    .MigrateAsync(Schema, MigrationSource.FromDirectory(Path.Combine(RepositoryRoot(), "services/catalog-api/Migrations")));
            }

            var sink = new Sink();
            using var receiver = await StartAsync(BuildReceiver(rabbit, prefix, sink));
            using var relayHost = await StartAsync(BuildRelay(connectionString, rabbit, prefix, batch, concurrentBatches));
            var dataSource = relayHost.Services.GetRequiredService<NpgsqlDataSource>();
            var status = relayHost.Services.GetRequiredKeyedService<OutboxRelayStatus>(Schema);
            await WaitAsync(() => status.IsActive, TimeSpan.FromSeconds(60), "relay active");

            // 1. Relay throughput: rows are held back (next_attempt_at = infinity) while the outbox fills, then released at once.
            var messages = Enumerable.Range(1, events).Select(i => OutboxMessage.Create(new ProductViewed(i, i % 50, DateTimeOffset.UtcNow), "bench")).ToList();
            var fill = Stopwatch.StartNew();
            await CopyAsync(dataSource, messages);
            fill.Stop();
            sink.Expect(events);
            var relayTime = Stopwatch.StartNew();
            await ExecuteAsync(dataSource, $"UPDATE {Schema}.outbox SET next_attempt_at = NULL; NOTIFY {Schema}_outbox");
            await sink.AllReceived.WaitAsync(TimeSpan.FromMinutes(10));
            await WaitAsync(() => Scalar(dataSource, $"SELECT count(*) FROM {Schema}.outbox WHERE dispatched_at IS NULL") == 0, TimeSpan.FromMinutes(2), "all dispatched");
            relayTime.Stop();

            // 2. Baseline: the same messages published straight through MassTransit, as many in flight as a relay batch.
            var bus = relayHost.Services.GetRequiredService<IBus>();
            var payloads = messages.Select(m => new ProductViewed(m.Id, m.Id % 50, DateTimeOffset.UtcNow)).ToList();
            sink.Expect(events);
            var rawTime = Stopwatch.StartNew();
            foreach (var chunk in payloads.Chunk(batch))
            {
                await Task.WhenAll(chunk.Select(p => bus.Publish(p)));
            }

            await sink.AllReceived.WaitAsync(TimeSpan.FromMinutes(10));
            rawTime.Stop();

            // 3. Latency: one event per transaction on one connection, commit to the consumer's receive.
            var latencies = await MeasureLatencyAsync(dataSource, sink, samples);

            var relayRate = events / relayTime.Elapsed.TotalSeconds;
            var rawRate = events / rawTime.Elapsed.TotalSeconds;
            Console.WriteLine();
            Console.WriteLine($"{"run",-34} {"events",10} {"seconds",9} {"events/s",10} {"vs raw",7}");
            Console.WriteLine($"{"outbox relay (fill by COPY excluded)",-34} {events,10:N0} {relayTime.Elapsed.TotalSeconds,9:0.00} {relayRate,10:N0} {relayRate / rawRate,7:0.00}");
            Console.WriteLine($"{"raw MassTransit publish",-34} {events,10:N0} {rawTime.Elapsed.TotalSeconds,9:0.00} {rawRate,10:N0} {1,7:0.00}");
            Console.WriteLine($"{"(COPY fill of the outbox)",-34} {events,10:N0} {fill.Elapsed.TotalSeconds,9:0.00} {events / fill.Elapsed.TotalSeconds,10:N0} {"",7}");
            Console.WriteLine();
            Console.WriteLine($"commit-to-consumer latency over {latencies.Length} samples: p50 {Percentile(latencies, 0.50):0.00} ms, p99 {Percentile(latencies, 0.99):0.00} ms, max {latencies[^1]:0.00} ms");
            Console.WriteLine($"targets: relay >= 10,000 events/s: {(relayRate >= 10_000 ? "met" : "NOT met")}; p99 <= 10 ms: {(Percentile(latencies, 0.99) <= 10 ? "met" : "NOT met")}");

            await relayHost.StopAsync();
            await receiver.StopAsync();
            return 0;
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await AdminAsync(admin, $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
        }
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

    private static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

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

    private static async Task<IHost> StartAsync(HostApplicationBuilder builder)
    {
        var host = builder.Build();
        await host.StartAsync();
        await host.Services.GetRequiredService<IBusControl>().WaitForHealthStatus(BusHealthStatus.Healthy, TimeSpan.FromSeconds(60));
        return host;
    }

    private static async Task WaitAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"{what} not reached within {timeout}");
            }

            await Task.Delay(5);
        }
    }

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

    private static async Task AdminAsync(string admin, string sql)
    {
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string RepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Platform.sln")))
                {
                    return directory.FullName;
                }
            }
        }

        throw new InvalidOperationException("run from inside the repository: the benchmark applies services/catalog-api/Migrations");
    }

    /// <summary>Counts distinct arrivals and timestamps the ones the latency phase watches.</summary>
    internal sealed class Sink
    {
        private readonly ConcurrentDictionary<Guid, byte> _seen = new();
        private readonly ConcurrentDictionary<Guid, TaskCompletionSource<long>> _watched = new();
        private int _expected;
        private TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task AllReceived => _all.Task;

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
