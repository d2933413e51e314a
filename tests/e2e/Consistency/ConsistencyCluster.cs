extern alias catalog;
extern alias invalidator;

using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Platform.Testing;
using Xunit.Abstractions;
using CatalogProgram = catalog::Program;
using DemoSeeder = catalog::Catalog.Api.Seeding.DemoSeeder;
using InvalidatorProgram = invalidator::Program;

namespace Platform.EndToEnd.Tests.Consistency;

/// <summary>
/// Everything the consistency checker runs against, all of it its own so it can be broken on purpose: a migrated,
/// seeded database, a Redis server, a RabbitMQ node, two catalog-api processes (both run the outbox relay, one holds
/// the lock) and a cache-invalidator process. Services get the settings <c>./platform up</c> gives them, apart from
/// the servers' addresses and a rate limit high enough for the workload.
/// </summary>
internal sealed class ConsistencyCluster : IAsyncDisposable
{
    public const string WriterKey = "consistency-writer-key-0123456789";
    private const string InvalidatorQueue = "cache-invalidator";
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(90);

    private readonly ITestOutputHelper _output;
    private TestDatabase? _database;
    private RedisServer? _redis;
    private TcpProxy? _redisProxy;
    private RabbitMqServer? _rabbit;
    private IReadOnlyList<RabbitMqServer> _rabbitNodes = [];
    private ReplicatedRedis? _replicatedRedis;
    private EventAudit? _audit;

    private ConsistencyCluster(ITestOutputHelper output, bool replicated)
    {
        _output = output;
        Replicated = replicated;
    }

    /// <summary>
    /// Servers as <c>./platform up --cluster</c> runs them (docs/scaling.md): three RabbitMQ nodes in one cluster and Redis
    /// primary + replica + three Sentinels, instead of one of each (then <see cref="Redis"/> and <see cref="RedisProxy"/> do not exist).
    /// </summary>
    public bool Replicated { get; }

    /// <summary>Every RabbitMQ node: the one, or the cluster's three (the first is <see cref="RabbitMq"/>).</summary>
    public IReadOnlyList<RabbitMqServer> RabbitMqNodes => _rabbitNodes;

    public ReplicatedRedis ReplicatedRedis => _replicatedRedis ?? throw new InvalidOperationException("not a replicated cluster");

    public TestDatabase Database => _database ?? throw new InvalidOperationException("not started");

    public RedisServer Redis => _redis ?? throw new InvalidOperationException("not started");

    public RabbitMqServer RabbitMq => _rabbit ?? throw new InvalidOperationException("not started");

    /// <summary>The node whose Redis connections go through <see cref="RedisProxy"/>: cutting it cuts Redis off from this node only.</summary>
    public const string ProxiedNode = "catalog-b";

    /// <summary>A TCP proxy between <see cref="ProxiedNode"/> and Redis (the other services reach Redis directly).</summary>
    public TcpProxy RedisProxy => _redisProxy ?? throw new InvalidOperationException("not started");

    /// <summary>What reached the broker: every catalog event's MessageId seen by a queue of the checker's own.</summary>
    public EventAudit Audit => _audit ?? throw new InvalidOperationException("not started");

    public List<ServiceProcess> CatalogNodes { get; } = [];

    public ServiceProcess? Invalidator { get; private set; }

    public IEnumerable<ServiceProcess> Services => Invalidator is null ? CatalogNodes : [.. CatalogNodes, Invalidator];

    public static async Task<ConsistencyCluster> StartAsync(ITestOutputHelper output, bool replicated = false)
    {
        var cluster = new ConsistencyCluster(output, replicated);
        try
        {
            await cluster.StartServersAsync();
            await cluster.StartServicesAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The catalog node whose PostgreSQL session holds the catalog relay's advisory lock, or null while none does.</summary>
    public async Task<ServiceProcess?> ActiveRelayNodeAsync()
    {
        await using var command = Database.DataSource.CreateCommand(
            """
            SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = ANY(@nodes)
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """);
        command.Parameters.AddWithValue("nodes", CatalogNodes.Select(n => n.Name).ToArray());
        var holder = await command.ExecuteScalarAsync() as string;
        return CatalogNodes.FirstOrDefault(n => n.Name == holder);
    }

    /// <summary>True when every service answers readiness with every check Healthy (cache backplane connected, bus up).</summary>
    public async Task<bool> AllHealthyAsync()
    {
        foreach (var service in Services)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                using var response = await service.Client.GetAsync(new Uri("/health/ready", UriKind.Relative), timeout.Token);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    return false;
                }

                var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(timeout.Token));
                if (body.RootElement.GetProperty("status").GetString() != "Healthy")
                {
                    return false;
                }
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Each service's readiness answer, as text (name, status code, body).</summary>
    public async Task<List<string>> ReadinessAsync()
    {
        var lines = new List<string>();
        foreach (var service in Services)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                using var response = await service.Client.GetAsync(new Uri("/health/ready", UriKind.Relative), timeout.Token);
                lines.Add($"{service.Name} {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(timeout.Token)}");
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                lines.Add($"{service.Name} unreachable: {e.Message}");
            }
        }

        return lines;
    }

    /// <summary>Messages in the invalidator's queues on the checker's broker: queue name to ready + unacknowledged.</summary>
    public async Task<Dictionary<string, long>> InvalidatorQueueDepthsAsync()
    {
        var text = await ControlAnyNodeAsync("list_queues", "name", "messages");
        var depths = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split('\t');
            if (parts.Length == 2 && parts[0].StartsWith(InvalidatorQueue, StringComparison.Ordinal) && long.TryParse(parts[1], out var count))
            {
                depths[parts[0]] = count;
            }
        }

        return depths;
    }

    /// <summary>The RabbitMQ node whose member of the invalidator's quorum queue is its leader, or null while it has none.</summary>
    public async Task<RabbitMqServer?> InvalidatorQueueLeaderAsync()
    {
        var text = await ControlAnyNodeAsync("list_queues", "name", "leader");
        var leader = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split('\t'))
            .FirstOrDefault(parts => parts.Length == 2 && parts[0] == InvalidatorQueue)?[1];
        return RabbitMqNodes.FirstOrDefault(n => n.NodeName == leader);
    }

    /// <summary>rabbitmqctl on the first node that answers (in a cluster, one may be down or stopped on purpose).</summary>
    private async Task<string> ControlAnyNodeAsync(params string[] args)
    {
        InvalidOperationException? last = null;
        foreach (var node in RabbitMqNodes)
        {
            try
            {
                return await node.ControlAsync(args);
            }
            catch (InvalidOperationException e)
            {
                last = e;
            }
        }

        throw last ?? new InvalidOperationException("no RabbitMQ node");
    }

    /// <summary>
    /// Cache factory runs so far, summed over the catalog nodes (<c>platform_cache_factory_runs_total</c> on each
    /// node's /metrics): every one is a PostgreSQL query made for a read. Null when a node does not answer.
    /// PostgreSQL's own counters (<c>pg_stat_database.xact_commit</c>) were tried first: pooled connections report them
    /// only when they next commit or after 10 s idle, too late for windows of a few seconds.
    /// </summary>
    public async Task<double?> FactoryRunsAsync()
    {
        double total = 0;
        foreach (var node in CatalogNodes)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                var text = await node.Client.GetStringAsync(new Uri("/metrics", UriKind.Relative), timeout.Token);
                var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("platform_cache_factory_runs_total", StringComparison.Ordinal));
                if (line is null || !double.TryParse(line.Split(' ')[^1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var runs))
                {
                    return null;
                }

                total += runs;
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                return null;
            }
        }

        return total;
    }

    public async Task<long> ScalarAsync(string sql)
    {
        await using var command = Database.DataSource.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Every catalog outbox message id committed so far.</summary>
    public async Task<List<Guid>> OutboxMessageIdsAsync()
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

    /// <summary>
    /// Writes each service's last warnings and errors (and any non-JSON line, e.g. a crash) to the test log: the
    /// evidence when something went wrong. Readiness polls log every non-Healthy check; those are left out.
    /// </summary>
    public void DumpLogs(int lines = 30)
    {
        foreach (var service in Services)
        {
            var tail = service.Output.Split('\n')
                .Where(l => !l.StartsWith('{') || (!l.Contains("HealthChecks.DefaultHealthCheckService", StringComparison.Ordinal)
                    && (l.Contains("\"LogLevel\":\"Warning\"", StringComparison.Ordinal) || l.Contains("\"LogLevel\":\"Error\"", StringComparison.Ordinal) || l.Contains("\"LogLevel\":\"Critical\"", StringComparison.Ordinal))))
                .TakeLast(lines);
            _output.WriteLine($"--- last {lines} warnings and errors of {service.Name} ---\n{string.Join('\n', tail)}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Services first (they would log errors against servers going away), then the servers; each step runs whatever failed before.
        foreach (var service in Services.ToList())
        {
            await Quietly(() => service.DisposeAsync().AsTask());
        }

        if (_audit is not null)
        {
            await Quietly(() => _audit.DisposeAsync().AsTask());
        }

        foreach (var node in _rabbitNodes)
        {
            await Quietly(() => node.DisposeAsync().AsTask());
        }

        if (_replicatedRedis is not null)
        {
            await Quietly(() => _replicatedRedis.DisposeAsync().AsTask());
        }

        if (_redisProxy is not null)
        {
            await Quietly(() => _redisProxy.DisposeAsync().AsTask());
        }

        if (_redis is not null)
        {
            await Quietly(() => _redis.DisposeAsync().AsTask());
        }

        if (_database is not null)
        {
            await Quietly(() => _database.DisposeAsync().AsTask());
        }
    }

    private async Task StartServersAsync()
    {
        if (Replicated)
        {
            await StartReplicatedServersAsync();
            return;
        }

        var database = CreateDatabaseAsync();
        var redis = RedisServer.StartAsync();
        var rabbit = RabbitMqServer.StartAsync();
        try
        {
            await Task.WhenAll(database, redis, rabbit);
        }
        finally
        {
            // Keep whatever started, so DisposeAsync stops it even if another one failed.
            _database = database.IsCompletedSuccessfully ? database.Result : null;
            _redis = redis.IsCompletedSuccessfully ? redis.Result : null;
            _rabbit = rabbit.IsCompletedSuccessfully ? rabbit.Result : null;
            _rabbitNodes = _rabbit is null ? [] : [_rabbit];
        }

        _redisProxy = new TcpProxy(Redis.Port);
        _output.WriteLine($"servers: database {Database.Name}, redis 127.0.0.1:{Redis.Port} ({ProxiedNode} through 127.0.0.1:{RedisProxy.Port}), rabbitmq {RabbitMq.NodeName} on {RabbitMq.Port}");
        _audit = await EventAudit.StartAsync(RabbitMq.AmqpUri, null, StartDeadline);
    }

    private async Task StartReplicatedServersAsync()
    {
        var database = CreateDatabaseAsync();
        var redis = ReplicatedRedis.StartAsync();
        var rabbit = RabbitMqServer.StartClusterAsync(3);
        try
        {
            await Task.WhenAll(database, redis, rabbit);
        }
        finally
        {
            _database = database.IsCompletedSuccessfully ? database.Result : null;
            _replicatedRedis = redis.IsCompletedSuccessfully ? redis.Result : null;
            _rabbitNodes = rabbit.IsCompletedSuccessfully ? rabbit.Result : [];
            _rabbit = _rabbitNodes.FirstOrDefault();
        }

        _output.WriteLine($"servers: database {Database.Name}, redis through Sentinels {ReplicatedRedis.Configuration} (servers {string.Join(", ", ReplicatedRedis.Ports)}), rabbitmq cluster {string.Join(", ", RabbitMqNodes.Select(n => $"{n.NodeName} on {n.Port}"))}");
        _audit = await EventAudit.StartAsync(RabbitMq.AmqpUri, RabbitMqNodeList, StartDeadline);
    }

    /// <summary>Every node's AMQP endpoint as <c>ConnectionStrings:RabbitMqNodes</c> wants it; null for one node.</summary>
    private string? RabbitMqNodeList => Replicated ? string.Join(',', RabbitMqNodes.Select(n => $"127.0.0.1:{n.Port}")) : null;

    private static async Task<TestDatabase> CreateDatabaseAsync()
    {
        var database = await TestDatabase.CreateMigratedAsync();
        await new DemoSeeder(database.DataSource, NullLogger<DemoSeeder>.Instance).SeedAsync(2, 40, CancellationToken.None);
        return database;
    }

    private async Task StartServicesAsync()
    {
        // The invalidator first: its queue must exist and be bound before the first event is published.
        Invalidator = ServiceProcess.Start("invalidator", typeof(InvalidatorProgram).Assembly.Location, Settings("invalidator"));
        await Invalidator.WaitReadyAsync(StartDeadline);
        foreach (var name in new[] { "catalog-a", "catalog-b" })
        {
            CatalogNodes.Add(ServiceProcess.Start(name, typeof(CatalogProgram).Assembly.Location, new Dictionary<string, string>(Settings(name))
            {
                ["Auth__ApiKeys__0__Name"] = "consistency-writer",
                ["Auth__ApiKeys__0__Key"] = WriterKey,
                ["Auth__ApiKeys__0__Scopes__0"] = "catalog:write",
                // The writers are one API key doing tens of writes a second; the default 50/s would turn them into 429s.
                ["RateLimiting__PermitsPerSecond"] = "10000",
                ["RateLimiting__Burst"] = "10000",
            }));
        }

        await Task.WhenAll(CatalogNodes.Select(n => n.WaitReadyAsync(StartDeadline)));
        await Eventually.TrueAsync(async () => await ActiveRelayNodeAsync() is not null, StartDeadline, "a catalog node holding the relay lock");
        await Eventually.TrueAsync(AllHealthyAsync, StartDeadline, "every service Healthy");
    }

    private Dictionary<string, string> Settings(string name)
    {
        var settings = new Dictionary<string, string>
        {
            // The application name tells whose session holds the relay lock.
            ["ConnectionStrings__Postgres"] = new NpgsqlConnectionStringBuilder(Database.ConnectionString) { ApplicationName = name }.ConnectionString,
            // What ./platform gives its services: the client's own timeouts, abortConnect=false; in a cluster, the
            // Sentinels and every RabbitMQ node.
            ["ConnectionStrings__Redis"] = Replicated
                ? ReplicatedRedis.Configuration
                : $"127.0.0.1:{(name == ProxiedNode ? RedisProxy.Port : Redis.Port)},abortConnect=false",
            ["ConnectionStrings__RabbitMq"] = RabbitMq.AmqpUri.ToString(),
        };
        if (RabbitMqNodeList is { } nodes)
        {
            settings["ConnectionStrings__RabbitMqNodes"] = nodes;
        }

        return settings;
    }

    private async Task Quietly(Func<Task> step)
    {
        try
        {
            await step();
        }
        catch (Exception e)
        {
            _output.WriteLine($"cleanup step failed (continuing): {e.Message}");
        }
    }
}
