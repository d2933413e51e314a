using System.Collections.Concurrent;
using MassTransit;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Platform.Contracts.Catalog;
using Platform.Testing;
using RabbitMQ.Client;

namespace AnalyticsAggregator.Tests.Ingest;

/// <summary>The ingest endpoint on the real broker: every event type stored once under its message id, retried through outages.</summary>
public sealed class IngestConsumerTests(AnalyticsFixture fixture) : IClassFixture<AnalyticsFixture>
{
    [Fact]
    public async Task EveryCatalogEventIsStoredOnceUnderItsMessageId()
    {
        await using var node = await StartAsync();
        var bus = node.Services.GetRequiredService<IBus>();
        var category = AnalyticsFixture.NewCategory();
        var at = AnalyticsFixture.At(daysAgo: 2);
        object[] events =
        [
            new ProductCreated(1, "SKU-1", category, 10m, "EUR", "active", 1, at),
            new ProductUpdated(1, category, category, "active", 2, at),
            new ProductPriceChanged(1, category, 10m, 12m, "EUR", 3, at),
            new ProductViewed(1, category, at),
            new ProductDeleted(1, category, 4, at),
            new CategoryChanged(category, "c" + category, 2, at),
        ];
        var ids = new List<Guid>();
        foreach (var e in events)
        {
            var id = Guid.CreateVersion7();
            ids.Add(id);
            await bus.Publish(e, e.GetType(), c => c.MessageId = id);
        }

        await Eventually.TrueAsync(async () => await CountAsync(ids) == events.Length, AnalyticsFixture.Deadline, "all six events stored");
        Assert.Equal([1, 2, 3, 4, 5, 6], await fixture.ScalarAsync<short[]>(
            $"SELECT array_agg(kind ORDER BY kind) FROM analytics.raw_events WHERE category_id = {category} AND day = '{at.UtcDateTime:yyyy-MM-dd}'"));
    }

    [Fact]
    public async Task DuplicateDeliveriesAreStoredOnceAndCountedOnce()
    {
        await using var node = await StartAsync();
        var bus = node.Services.GetRequiredService<IBus>();
        var consumed = new ConsumedMessages();
        using var observer = bus.ConnectConsumeObserver(consumed);
        var category = AnalyticsFixture.NewCategory();
        var id = Guid.CreateVersion7();

        for (var i = 0; i < 5; i++)
        {
            await bus.Publish(new ProductViewed(7, category, AnalyticsFixture.At(0)), c => c.MessageId = id);
        }

        await Eventually.TrueAsync(() => Task.FromResult(consumed.Count(id) == 5), AnalyticsFixture.Deadline, "five deliveries consumed");
        await fixture.RollupAsync();

        Assert.Equal(1, await CountAsync([id]));
        Assert.Equal(1, await fixture.ViewsAsync(category, 7, AnalyticsFixture.Today));
    }

    [Fact]
    public async Task IngestIsRetriedWhilePostgresIsUnreachableAndLosesNothing()
    {
        await using var proxy = new TcpProxy(new NpgsqlConnectionStringBuilder(fixture.Database.ConnectionString).Port);
        var logs = new ConcurrentQueue<string>();
        await using var node = await StartAsync(logs, new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = new NpgsqlConnectionStringBuilder(fixture.Database.ConnectionString) { Port = proxy.Port, Timeout = 2 }.ConnectionString,
            ["Analytics:ImmediateRetries"] = "0",
            ["Analytics:ExponentialRetries"] = "12",
            ["Analytics:MinRetryInterval"] = "00:00:00.100",
            ["Analytics:MaxRetryInterval"] = "00:00:01",
        });
        var bus = node.Services.GetRequiredService<IBus>();
        var consumed = new ConsumedMessages();
        using var observer = bus.ConnectConsumeObserver(consumed);
        var category = AnalyticsFixture.NewCategory();
        var id = Guid.CreateVersion7();

        proxy.Cut();
        await bus.Publish(new ProductViewed(3, category, AnalyticsFixture.At(0)), c => c.MessageId = id);
        // MassTransit logs when a failed batch starts being retried (consume observers only see the final outcome).
        await Eventually.TrueAsync(() => Task.FromResult(logs.Any(l => l.StartsWith("R-RETRY", StringComparison.Ordinal))),
            AnalyticsFixture.Deadline, "a failed attempt, being retried");
        proxy.Restore();

        await Eventually.TrueAsync(async () => await CountAsync([id]) == 1, AnalyticsFixture.Deadline, "the event stored after the outage");
        Assert.Equal(0, consumed.Faults(id));
    }

    [Fact]
    public async Task AnEventThatFailsEveryRetryEndsInTheErrorQueue()
    {
        await using var proxy = new TcpProxy(new NpgsqlConnectionStringBuilder(fixture.Database.ConnectionString).Port);
        await using var node = await StartAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = new NpgsqlConnectionStringBuilder(fixture.Database.ConnectionString) { Port = proxy.Port, Timeout = 1 }.ConnectionString,
            ["Analytics:ImmediateRetries"] = "1",
            ["Analytics:ExponentialRetries"] = "0",
        });
        var bus = node.Services.GetRequiredService<IBus>();
        var category = AnalyticsFixture.NewCategory();

        proxy.Cut();
        await bus.Publish(new ProductViewed(3, category, AnalyticsFixture.At(0)));

        var factory = new ConnectionFactory { Uri = TestServers.RabbitMq };
        await using var connection = await factory.CreateConnectionAsync();
        var errorQueue = $"{fixture.BusPrefix}-{fixture.Options.QueueName}_error";
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                // A channel per probe: the broker closes the channel that asked for a queue not declared yet.
                await using var channel = await connection.CreateChannelAsync();
                return (await channel.QueueDeclarePassiveAsync(errorQueue)).MessageCount == 1;
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
            {
                return false;
            }
        }, AnalyticsFixture.Deadline, $"one message in {errorQueue}");
    }

    private Task<WebApplicationFactory<Program>> StartAsync(IReadOnlyDictionary<string, string?>? overrides = null) => StartAsync(null, overrides);

    private async Task<WebApplicationFactory<Program>> StartAsync(ConcurrentQueue<string>? logs, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        WebApplicationFactory<Program> node = fixture.StartAggregator(overrides);
        if (logs is not null)
        {
            node = node.WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(new RecordingLoggerProvider(logs))));
        }

        var client = node.CreateClient();
        // The queue is bound to the event exchanges only once the endpoint started; a publish before that is lost.
        await Eventually.TrueAsync(async () => (await client.GetAsync(new Uri("/health/ready", UriKind.Relative))).IsSuccessStatusCode,
            AnalyticsFixture.Deadline, "aggregator ready");
        return node;
    }

    /// <summary>Keeps the formatted messages of MassTransit's warnings.</summary>
    private sealed class RecordingLoggerProvider(ConcurrentQueue<string> messages) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => categoryName == "MassTransit" ? new Recorder(messages) : NullLogger.Instance;

        public void Dispose()
        {
        }

        private sealed class Recorder(ConcurrentQueue<string> messages) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                messages.Enqueue(formatter(state, exception));
        }
    }

    private async Task<long> CountAsync(IReadOnlyList<Guid> ids)
    {
        await using var command = fixture.Database.DataSource.CreateCommand("SELECT count(*) FROM analytics.raw_events WHERE message_id = ANY(@ids)");
        command.Parameters.AddWithValue("ids", ids.ToArray());
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>What the consumer finally did with each message id (a MassTransit consume observer): completions and faults.</summary>
    private sealed class ConsumedMessages : IConsumeObserver
    {
        private readonly ConcurrentDictionary<(Guid, string), int> _counts = new();

        public int Count(Guid id) => _counts.GetValueOrDefault((id, "post"));

        public int Faults(Guid id) => _counts.GetValueOrDefault((id, "fault"));

        public Task PreConsume<T>(ConsumeContext<T> context)
            where T : class => Task.CompletedTask;

        public Task PostConsume<T>(ConsumeContext<T> context)
            where T : class => Record(context, "post");

        public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception)
            where T : class => Record(context, "fault");

        private Task Record<T>(ConsumeContext<T> context, string what)
            where T : class
        {
            if (context.Message is ProductViewed && context.MessageId is { } id)
            {
                _counts.AddOrUpdate((id, what), 1, (_, n) => n + 1);
            }

            return Task.CompletedTask;
        }
    }
}
