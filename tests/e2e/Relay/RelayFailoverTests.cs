extern alias catalog;

using System.Collections.Concurrent;
using System.Net;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Platform.Contracts.Catalog;
using Platform.Messaging.Bus;
using Platform.Messaging.Outbox;
using Platform.Testing;
using Xunit.Abstractions;
using CatalogProgram = catalog::Program;
using DemoSeeder = catalog::Catalog.Api.Seeding.DemoSeeder;

namespace Platform.EndToEnd.Tests.Relay;

/// <summary>
/// The outbox relay across real processes: two catalog-api nodes on one database, one holding the relay lock. The
/// active node is killed with SIGKILL while it is in the middle of a batch; the other must take over and every
/// event ever committed must reach RabbitMQ (at least once), with nothing left undispatched.
/// </summary>
public sealed class RelayFailoverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int BacklogEvents = 3_000;
    private const int EventsPerTransaction = 100;
    private const int ViewsDuringFailover = 20;
    private const string ActiveLogLine = "Outbox relay for schema catalog is active on this node";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly string _busPrefix = TestIsolation.NewPrefix();
    private readonly string _redisPrefix = TestIsolation.NewPrefix() + ":";
    private readonly List<ServiceProcess> _nodes = [];
    private TestDatabase? _database;
    private IHost? _receiver;

    private TestDatabase Database => _database ?? throw new InvalidOperationException("not initialised");

    private ReceivedViews Received => _receiver!.Services.GetRequiredService<ReceivedViews>();

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateMigratedAsync();
        await new DemoSeeder(Database.DataSource, NullLogger<DemoSeeder>.Instance).SeedAsync(2, 20, CancellationToken.None);
        _receiver = await StartReceiverAsync(_busPrefix);
    }

    public async Task DisposeAsync()
    {
        // Killed whatever happened: a node left running would keep publishing into a dropped database.
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        if (_receiver is not null)
        {
            await _receiver.StopAsync();
            _receiver.Dispose();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    [Fact]
    public async Task KillingTheNodeWithTheActiveRelayMidBatchLetsTheOtherNodeTakeOverAndLosesNoEvent()
    {
        var first = StartNode("relay-a");
        var second = StartNode("relay-b");
        await Task.WhenAll(first.WaitReadyAsync(Deadline), second.WaitReadyAsync(Deadline));
        string? holder = null;
        await Eventually.TrueAsync(async () => (holder = await LockHolderAsync()) is not null, Deadline, "one relay holding the lock");
        var (active, standby) = holder == first.Name ? (first, second) : (second, first);
        await Eventually.TrueAsync(() => Task.FromResult(active.HasLogged(ActiveLogLine)), Deadline, $"{active.Name}, the lock holder, logs that it is active");
        Assert.False(standby.HasLogged(ActiveLogLine), $"{standby.Name} claims to be active too:\n{standby.Output}");

        // A backlog in committed transactions, drained by the active relay ten rows per batch.
        var writer = new OutboxWriter("catalog", "catalog-api");
        for (var written = 0; written < BacklogEvents; written += EventsPerTransaction)
        {
            await using var connection = await Database.DataSource.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await writer.WriteAsync(connection, transaction, Enumerable.Range(written, EventsPerTransaction).Select(i => (object)new ProductViewed(1 + (i % 20), 1, DateTimeOffset.UtcNow)));
            await transaction.CommitAsync();
        }

        // Mid-batch: some rows dispatched, some not, and the relay's batch transaction open right now.
        await Eventually.TrueAsync(
            async () => await CountAsync("dispatched_at IS NOT NULL") >= 200 && await HasOpenBatchAsync(active.Name),
            Deadline,
            $"{active.Name} draining, with a batch in flight");
        await active.KillAsync();
        var undispatchedAtKill = await CountAsync("dispatched_at IS NULL");
        Assert.True(undispatchedAtKill > 0, "the relay had drained everything before the kill: the test proved nothing");

        // Writes go on through the surviving node while it takes over.
        for (var i = 0; i < ViewsDuringFailover; i++)
        {
            using var response = await standby.Client.PostAsync($"/api/products/{1 + i}/views", null);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        await Eventually.TrueAsync(async () => await LockHolderAsync() == standby.Name, Deadline, $"{standby.Name} holds the relay lock");
        await Eventually.TrueAsync(() => Task.FromResult(standby.HasLogged(ActiveLogLine)), Deadline, $"{standby.Name} logs that it is active");

        var writtenIds = await MessageIdsAsync();
        Assert.Equal(BacklogEvents + ViewsDuringFailover, writtenIds.Count);
        await Eventually.TrueAsync(() => Task.FromResult(Received.HasAll(writtenIds)), Deadline, $"all {writtenIds.Count} events received (have {Received.Distinct})");
        await Eventually.TrueAsync(async () => await CountAsync("dispatched_at IS NULL") == 0, Deadline, "every row marked dispatched");

        Assert.Equal(writtenIds.Count, Received.Distinct);
        Assert.Equal(0, await CountAsync("failed_at IS NOT NULL OR attempts > 0"));
        // At least once: what the killed batch had published before its commit may arrive twice, nothing more.
        output.WriteLine($"{undispatchedAtKill} undispatched at the kill; {Received.Total - Received.Distinct} duplicates delivered");
    }

    /// <summary>
    /// A real catalog-api node: the service's own binary in a process of its own, so it can be killed with SIGKILL
    /// mid-batch. Its PostgreSQL sessions carry its name as application name, so the test can tell whose session
    /// holds the relay lock.
    /// </summary>
    private ServiceProcess StartNode(string name)
    {
        var node = ServiceProcess.Start(name, typeof(CatalogProgram).Assembly.Location, new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = new NpgsqlConnectionStringBuilder(Database.ConnectionString) { ApplicationName = name }.ConnectionString,
            ["ConnectionStrings__Redis"] = TestServers.Redis,
            ["ConnectionStrings__RabbitMq"] = TestServers.RabbitMq.ToString(),
            ["Bus__EntityPrefix"] = _busPrefix,
            ["Cache__KeyPrefix"] = _redisPrefix,
            ["Auth__ApiKeys__0__Name"] = "writer",
            ["Auth__ApiKeys__0__Key"] = "e2e-relay-writer-key-0123456789",
            ["Auth__ApiKeys__0__Scopes__0"] = "catalog:write",
            // Small batches keep the relay busy long enough to be killed in the middle of one.
            ["Outbox__BatchSize"] = "10",
            ["Outbox__StandbyRetryInterval"] = "00:00:00.200",
            ["Outbox__StatsRefreshInterval"] = "00:00:00.200",
        });
        _nodes.Add(node);
        return node;
    }

    /// <summary>The application name (node name) of the session holding this database's advisory lock: the relay lock.</summary>
    private async Task<string?> LockHolderAsync()
    {
        await using var command = Database.DataSource.CreateCommand(
            """
            SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """);
        return await command.ExecuteScalarAsync() as string;
    }

    /// <summary>True while a session of <paramref name="node"/> other than its lock session is inside a transaction: a claimed batch.</summary>
    private async Task<bool> HasOpenBatchAsync(string node)
    {
        await using var command = Database.DataSource.CreateCommand(
            """
            SELECT count(*) FROM pg_stat_activity a
            WHERE a.application_name = @node AND a.datname = current_database() AND a.xact_start IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.granted)
            """);
        command.Parameters.AddWithValue("node", node);
        return (long)(await command.ExecuteScalarAsync())! > 0;
    }

    private async Task<long> CountAsync(string condition)
    {
        await using var command = Database.DataSource.CreateCommand($"SELECT count(*) FROM catalog.outbox WHERE {condition}");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<List<Guid>> MessageIdsAsync()
    {
        await using var command = Database.DataSource.CreateCommand("SELECT message_id FROM catalog.outbox");
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<Guid>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }

    private static async Task<IHost> StartReceiverAsync(string busPrefix)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // The catalog's appsettings.json sits next to the test assembly and would raise this to Information.
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        builder.Configuration["ConnectionStrings:RabbitMq"] = TestServers.RabbitMq.ToString();
        builder.Configuration["Bus:EntityPrefix"] = busPrefix;
        builder.Configuration["Bus:PrefetchCount"] = "500";
        builder.Services.AddSingleton<ReceivedViews>();
        // Temporary: the queue goes away with the host, so runs leave no queues behind.
        builder.AddPlatformBus(x => x.AddConsumer<ViewRecorder>().Endpoint(e => e.Temporary = true));
        var host = builder.Build();
        await host.StartAsync();
        await host.Services.GetRequiredService<IBusControl>().WaitForHealthStatus(BusHealthStatus.Healthy, Deadline);
        return host;
    }
}

/// <summary>Every ProductViewed the test's consumer got, by MassTransit MessageId (the outbox message id), duplicates counted.</summary>
internal sealed class ReceivedViews
{
    private readonly ConcurrentDictionary<Guid, byte> _distinct = new();
    private int _total;

    public int Total => Volatile.Read(ref _total);

    public int Distinct => _distinct.Count;

    public void Add(Guid messageId)
    {
        Interlocked.Increment(ref _total);
        _distinct.TryAdd(messageId, 0);
    }

    public bool HasAll(IEnumerable<Guid> ids) => ids.All(_distinct.ContainsKey);
}

internal sealed class ViewRecorder(ReceivedViews received) : IConsumer<ProductViewed>
{
    public Task Consume(ConsumeContext<ProductViewed> context)
    {
        received.Add(context.MessageId ?? Guid.Empty);
        return Task.CompletedTask;
    }
}
