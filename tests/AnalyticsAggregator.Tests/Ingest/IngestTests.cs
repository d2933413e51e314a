using System.Collections.Concurrent;
using AnalyticsAggregator.Ingest;
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

/// <summary>The ingest consumer on the real broker: every event type stored once under its message id, retried through outages.</summary>
public sealed class IngestTests(AnalyticsFixture fixture) : IClassFixture<AnalyticsFixture>
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
        var status = node.Services.GetRequiredService<IngestStatus>();
        var category = AnalyticsFixture.NewCategory();
        var id = Guid.CreateVersion7();
        var acked = status.AckedDeliveries;

        for (var i = 0; i < 5; i++)
        {
            await bus.Publish(new ProductViewed(7, category, AnalyticsFixture.At(0)), c => c.MessageId = id);
        }

        // Acked means written (or recognised as a duplicate) and done with: all five deliveries were handled.
        await Eventually.TrueAsync(() => Task.FromResult(status.AckedDeliveries - acked >= 5), AnalyticsFixture.Deadline, "five deliveries acked");
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
        var category = AnalyticsFixture.NewCategory();
        var id = Guid.CreateVersion7();

        proxy.Cut();
        await bus.Publish(new ProductViewed(3, category, AnalyticsFixture.At(0)), c => c.MessageId = id);
        // The consumer logs each failed attempt of a batch it is about to retry.
        await Eventually.TrueAsync(() => Task.FromResult(logs.Any(l => l.StartsWith("R-RETRY", StringComparison.Ordinal))),
            AnalyticsFixture.Deadline, "a failed attempt, being retried");
        proxy.Restore();

        await Eventually.TrueAsync(async () => await CountAsync([id]) == 1, AnalyticsFixture.Deadline, "the event stored after the outage");
        Assert.Equal(0u, await ErrorQueueDepthAsync());
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
        var id = Guid.CreateVersion7();
        await bus.Publish(new ProductViewed(3, category, AnalyticsFixture.At(0)), c => c.MessageId = id);

        await Eventually.TrueAsync(async () => await ErrorQueueDepthAsync() == 1, AnalyticsFixture.Deadline, "one message in the error queue");
        var factory = new ConnectionFactory { Uri = TestServers.RabbitMq };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var faulted = await channel.BasicGetAsync(ErrorQueue, autoAck: true);
        Assert.NotNull(faulted);
        Assert.Equal(id.ToString(), faulted.BasicProperties.MessageId);
        var headers = faulted.BasicProperties.Headers!;
        Assert.Equal("fault", Text(headers["MT-Reason"]));
        Assert.StartsWith("Npgsql.", Text(headers["MT-Fault-ExceptionType"]), StringComparison.Ordinal);
        Assert.Equal("Platform.Contracts.Catalog.ProductViewed", Text(headers["MT-Fault-MessageType"]));
        Assert.EndsWith($"/{fixture.BusPrefix}-{fixture.Options.QueueName}", Text(headers["MT-Fault-InputAddress"]), StringComparison.Ordinal);
    }

    private string ErrorQueue => $"{fixture.BusPrefix}-{fixture.Options.QueueName}_error";

    private static string Text(object? header) => header is byte[] bytes ? System.Text.Encoding.UTF8.GetString(bytes) : header?.ToString() ?? "";

    private async Task<uint> ErrorQueueDepthAsync()
    {
        var factory = new ConnectionFactory { Uri = TestServers.RabbitMq };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        return (await channel.QueueDeclarePassiveAsync(ErrorQueue)).MessageCount;
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

    /// <summary>Keeps the formatted messages of the ingest consumer's warnings.</summary>
    private sealed class RecordingLoggerProvider(ConcurrentQueue<string> messages) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => categoryName == typeof(IngestService).FullName ? new Recorder(messages) : NullLogger.Instance;

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
}
