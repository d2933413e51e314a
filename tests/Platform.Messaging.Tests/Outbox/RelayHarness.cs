using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Platform.Contracts.Catalog;
using Platform.Hosting.Connections;
using Platform.Messaging.Bus;
using Platform.Messaging.Outbox;
using Platform.Testing;

namespace Platform.Messaging.Tests.Outbox;

/// <summary>Intent-named helpers for the outbox tests: write events, start receivers and relay nodes, read rows.</summary>
internal static class RelayHarness
{
    public const string Schema = "catalog";

    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static long nextProductId;

    public static ProductViewed NewEvent() =>
        new(Interlocked.Increment(ref nextProductId), 7, DateTimeOffset.UtcNow);

    /// <summary>Writes the events in one committed transaction and returns their message ids.</summary>
    public static async Task<IReadOnlyList<Guid>> WriteEventsAsync(this TestDatabase db, int count)
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var ids = await new OutboxWriter(Schema, "tests").WriteAsync(connection, transaction, Enumerable.Range(0, count).Select(_ => (object)NewEvent()));
        await transaction.CommitAsync();
        return ids;
    }

    /// <summary>Inserts a row by hand (for rows no writer would produce: unknown types, bad payloads, old timestamps).</summary>
    public static async Task<Guid> InsertRowAsync(this TestDatabase db, string messageType, string payload, string extraColumns = "", string extraValues = "")
    {
        var id = Guid.CreateVersion7();
        await using var command = db.DataSource.CreateCommand(
            $"INSERT INTO catalog.outbox (message_id, message_type, payload{extraColumns}) VALUES (@id, @type, @payload::jsonb{extraValues})");
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("type", messageType);
        command.Parameters.AddWithValue("payload", payload);
        await command.ExecuteNonQueryAsync();
        return id;
    }

    public static async Task<T> ScalarAsync<T>(this TestDatabase db, string sql)
    {
        await using var command = db.DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public static async Task ExecuteAsync(this TestDatabase db, string sql)
    {
        await using var command = db.DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<List<OutboxRowState>> RowsAsync(this TestDatabase db)
    {
        await using var command = db.DataSource.CreateCommand(
            "SELECT id, message_id, message_type, dispatched_at, attempts, last_error, failed_at FROM catalog.outbox ORDER BY id");
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<OutboxRowState>();
        while (await reader.ReadAsync())
        {
            rows.Add(new OutboxRowState(
                reader.GetInt64(0),
                reader.GetGuid(1),
                reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3),
                reader.GetInt32(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6)));
        }

        return rows;
    }

    public static Task<long> UndispatchedAsync(this TestDatabase db) =>
        db.ScalarAsync<long>("SELECT count(*) FROM catalog.outbox WHERE dispatched_at IS NULL");
}

internal sealed record OutboxRowState(long Id, Guid MessageId, string MessageType, DateTimeOffset? DispatchedAt, int Attempts, string? LastError, DateTimeOffset? FailedAt);

internal sealed record ReceivedMessage(Guid MessageId, object Message, string? Source, string? TraceParent);

/// <summary>Everything one receiver host consumed, including duplicates.</summary>
internal sealed class ReceivedMessages
{
    private readonly ConcurrentDictionary<Guid, ReceivedMessage> _distinct = new();
    private int _total;

    public int Total => Volatile.Read(ref _total);

    public int Distinct => _distinct.Count;

    public IReadOnlyDictionary<Guid, ReceivedMessage> ById => _distinct;

    public void Add(ReceivedMessage message)
    {
        Interlocked.Increment(ref _total);
        _distinct.TryAdd(message.MessageId, message);
    }

    public bool HasAll(IEnumerable<Guid> ids) => ids.All(_distinct.ContainsKey);

    public Task WaitForAsync(IEnumerable<Guid> ids, TimeSpan timeout)
    {
        var expected = ids.ToList();
        return Eventually.TrueAsync(() => Task.FromResult(HasAll(expected)), timeout, $"{expected.Count} messages received (have {Distinct})");
    }
}

internal sealed class RecordingConsumer(ReceivedMessages received) :
    IConsumer<ProductViewed>,
    IConsumer<ProductCreated>,
    IConsumer<CategoryChanged>
{
    public Task Consume(ConsumeContext<ProductViewed> context) => Record(context);

    public Task Consume(ConsumeContext<ProductCreated> context) => Record(context);

    public Task Consume(ConsumeContext<CategoryChanged> context) => Record(context);

    private Task Record<T>(ConsumeContext<T> context)
        where T : class
    {
        received.Add(new ReceivedMessage(
            context.MessageId ?? Guid.Empty,
            context.Message,
            context.Headers.Get<string>("source"),
            context.Headers.Get<string>("traceparent")));
        return Task.CompletedTask;
    }
}

/// <summary>A host with a consumer that records every contract message published under a bus prefix.</summary>
internal sealed class Receiver : IAsyncDisposable
{
    private readonly IHost _host;

    private Receiver(IHost host) => _host = host;

    public ReceivedMessages Received => _host.Services.GetRequiredService<ReceivedMessages>();

    public IBus Bus => _host.Services.GetRequiredService<IBus>();

    public static async Task<Receiver> StartAsync(string busPrefix, int prefetch = 64)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration["ConnectionStrings:RabbitMq"] = TestServers.RabbitMq.ToString();
        builder.Configuration["Bus:EntityPrefix"] = busPrefix;
        builder.Configuration["Bus:PrefetchCount"] = prefetch.ToString(System.Globalization.CultureInfo.InvariantCulture);
        builder.Services.AddSingleton<ReceivedMessages>();
        // Temporary: the queue goes away with the host, so test runs leave no queues behind.
        builder.AddPlatformBus(x => x.AddConsumer<RecordingConsumer>().Endpoint(e => e.Temporary = true));
        var host = builder.Build();
        await host.StartAsync();
        await host.Services.GetRequiredService<IBusControl>().WaitForHealthStatus(BusHealthStatus.Healthy, RelayHarness.Patience);
        return new Receiver(host);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}

/// <summary>A node of a service that runs the catalog schema's outbox relay (and nothing else).</summary>
internal sealed class RelayNode : IAsyncDisposable
{
    private readonly IHost _host;
    private bool _stopped;

    private RelayNode(IHost host, CapturedLogs logs)
    {
        _host = host;
        Logs = logs;
        // Listening from before start, so not even the first batch's measurements are missed.
        Instruments = new OutboxInstruments(host.Services);
    }

    /// <summary>This node's outbox instruments, recorded since before the relay started.</summary>
    public OutboxInstruments Instruments { get; }

    public IServiceProvider Services => _host.Services;

    public OutboxRelayStatus Status => _host.Services.GetRequiredKeyedService<OutboxRelayStatus>(RelayHarness.Schema);

    public CapturedLogs Logs { get; }

    public static async Task<RelayNode> StartAsync(TestDatabase db, string busPrefix, Action<OutboxOptions>? configure = null, string? rabbitMq = null)
    {
        var builder = Host.CreateApplicationBuilder();
        var logs = new CapturedLogs();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Platform", LogLevel.Debug);
        builder.Logging.AddProvider(logs);
        builder.Configuration["ConnectionStrings:Postgres"] = db.ConnectionString;
        builder.Configuration["ConnectionStrings:RabbitMq"] = rabbitMq ?? TestServers.RabbitMq.ToString();
        builder.Configuration["Bus:EntityPrefix"] = busPrefix;
        builder.AddPlatformPostgres();
        builder.AddPlatformBus();
        builder.AddOutboxRelay(RelayHarness.Schema, configure);
        var node = new RelayNode(builder.Build(), logs);
        await node._host.StartAsync();
        return node;
    }

    /// <summary>Waits like <see cref="Eventually.TrueAsync"/>; a timeout carries this node's log, which says why the relay stalled.</summary>
    public async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        try
        {
            await Eventually.TrueAsync(condition, RelayHarness.Patience, what);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; relay log:\n{string.Join('\n', Logs.Entries.Select(l => $"{l.Level} {l.Category}: {l.Message}"))}", e);
        }
    }

    public Task<HealthReport> HealthAsync() =>
        _host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Name == "outbox-" + RelayHarness.Schema);

    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _host.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Instruments.Dispose();
        _host.Dispose();
    }
}

/// <summary>Reads one host's outbox instruments (its own meter factory's, not another test's).</summary>
internal sealed class OutboxInstruments : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, double> _last = new();
    private readonly ConcurrentDictionary<string, double> _sums = new();

    public OutboxInstruments(IServiceProvider services)
    {
        var factory = services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == OutboxMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, value, tags, _) => Record(i, value, tags));
        _listener.SetMeasurementEventCallback<int>((i, value, tags, _) => Record(i, value, tags));
        _listener.SetMeasurementEventCallback<double>((i, value, tags, _) => Record(i, value, tags));
        _listener.Start();
    }

    /// <summary>Current value of an observable gauge.</summary>
    public double Gauge(string name)
    {
        _listener.RecordObservableInstruments();
        return _last.TryGetValue(name, out var value) ? value : double.NaN;
    }

    /// <summary>Sum of a counter since this listener started, for measurements whose tags include <paramref name="tag"/> (any when null).</summary>
    public double Counter(string name, string? tag = null) => _sums.TryGetValue(tag is null ? name : $"{name}|{tag}", out var value) ? value : 0;

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        _last[instrument.Name] = value;
        _sums.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value);
        foreach (var tag in tags)
        {
            _sums.AddOrUpdate($"{instrument.Name}|{tag.Key}={tag.Value}", value, (_, sum) => sum + value);
        }
    }
}

/// <summary>Log entries of one host, for asserting what an operator would see.</summary>
internal sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Category, string Message)> _entries = new();

    public IReadOnlyList<(LogLevel Level, string Category, string Message)> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._entries.Enqueue((logLevel, category, exception is null ? formatter(state, exception) : $"{formatter(state, exception)} {exception}"));
    }
}
