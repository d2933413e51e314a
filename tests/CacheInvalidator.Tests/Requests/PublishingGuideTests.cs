using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Caching;
using Platform.Contracts.Caching;
using Platform.Testing;
using Platform.Testing.BadInput;
using StackExchange.Redis;

namespace CacheInvalidator.Tests.Requests;

/// <summary>
/// docs/publishing.md's three examples, run as written against a real invalidator: each evicts the entries it names on
/// a cache node and is recorded with its reason. The invalidator runs without an entity prefix (the examples publish to
/// the real exchange name) in the test virtual host, on a queue of its own; a concurrent run of this class binds its own
/// queue to the same exchange and evicts under its own Redis prefix, so neither disturbs the other.
/// </summary>
public sealed class PublishingGuideTests(GuideFixture fixture) : IClassFixture<GuideFixture>
{
    private static readonly TimeSpan RunTimeout = BadInputSettings.Deadline(TimeSpan.FromSeconds(60));

    [Fact]
    public async Task MassTransitExampleRunsAsWrittenAndEvicts()
    {
        var (language, code) = GuideExamples.Block("masstransit");
        await fixture.CacheAsync(CacheNames.Product(42));

        Assert.Equal("csharp", language);
        await GuideExamples.RunCSharpAsync(code, RunTimeout);

        await fixture.WaitUntilEvictedAsync(CacheNames.Product(42));
        var record = await fixture.RecordAsync("price import 2026-12-05");
        Assert.Equal(("masstransit", "pricing-service"), (record.Channel, record.Source));
    }

    [Fact]
    public async Task PlainRabbitMqExampleRunsAsWrittenAndEvicts()
    {
        var (language, code) = GuideExamples.Block("plain-rabbitmq");
        await fixture.CacheAsync(CacheNames.Product(43));

        Assert.Equal("csharp", language);
        await GuideExamples.RunCSharpAsync(code, RunTimeout);

        await fixture.WaitUntilEvictedAsync(CacheNames.Product(43));
        var record = await fixture.RecordAsync("stock sync 2026-12-05");
        Assert.Equal(("plain-json", "stock-service"), (record.Channel, record.Source));
    }

    [Fact]
    public async Task CurlExampleRunsAsWrittenAndEvicts()
    {
        var (language, code) = GuideExamples.Block("curl");
        await fixture.CacheAsync(CacheNames.Product(44));

        Assert.Equal("bash", language);
        var (exit, output) = await GuideExamples.RunBashAsync(code, fixture.CurlEnvironment, RunTimeout);

        Assert.True(exit == 0, $"curl example exited {exit}: {output}");
        Assert.Contains("\"actor\":\"ops\"", output, StringComparison.Ordinal);
        await fixture.WaitUntilEvictedAsync(CacheNames.Product(44));
        var record = await fixture.RecordAsync("fixed a wrong price by hand");
        Assert.Equal(("http", "ops", "runbook"), (record.Channel, record.Actor, record.Source));
    }
}

/// <summary>An invalidator on Kestrel without an entity prefix (queue of its own), a cache node, and the examples' environment.</summary>
public sealed class GuideFixture : ServiceFixture
{
    private const string OpsKey = "guide-ops-key-0123456789abcdef";
    private static readonly TimeSpan Deadline = BadInputSettings.Deadline(TimeSpan.FromSeconds(30));

    private readonly string _queue = "guide-" + TestIsolation.NewPrefix();
    private ServiceHost<Program>? _host;
    private TwoLevelCache? _cache;
    private ConnectionMultiplexer? _redis;
    private RawBroker? _broker;

    public IReadOnlyDictionary<string, string> CurlEnvironment { get; private set; } = new Dictionary<string, string>();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        // Read by the C# examples, which run in this process; nothing else here reads it.
        Environment.SetEnvironmentVariable("RABBITMQ_URL", TestServers.RabbitMq.ToString());
        _broker = await RawBroker.ConnectAsync();
        _host = new ServiceHost<Program>(new Dictionary<string, string?>(Settings)
        {
            ["Bus:EntityPrefix"] = "",
            ["Invalidator:QueueName"] = _queue,
            ["Invalidator:QuorumQueue"] = "false",
            ["DeadLetters:MoverEnabled"] = "false",
            ["Auth:ApiKeys:0:Name"] = "ops",
            ["Auth:ApiKeys:0:Key"] = OpsKey,
            ["Auth:ApiKeys:0:Scopes:0"] = "ops:admin",
            ["Auth:ApiKeys:0:Scopes:1"] = "cache:invalidate",
        });
        _host.UseKestrel(0);
        _host.StartServer();
        using (var client = _host.CreateClient())
        {
            CurlEnvironment = new Dictionary<string, string>
            {
                ["INVALIDATOR_URL"] = client.BaseAddress!.ToString().TrimEnd('/'),
                ["OPS_API_KEY"] = OpsKey,
                ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin",
            };
        }

        await _host.Services.GetRequiredService<IBusControl>().WaitForHealthStatus(BusHealthStatus.Healthy, Deadline);
        await _broker.WaitForConsumerAsync(_queue, Deadline);
        _redis = await ConnectionMultiplexer.ConnectAsync(TestServers.Redis);
        _cache = new TwoLevelCache(new CacheOptions { KeyPrefix = RedisPrefix, GapCheckInterval = TimeSpan.FromMilliseconds(200) }, _redis);
        await _cache.StartAsync();
    }

    public Task CacheAsync(string key) => _cache!.GetOrSetAsync(key, (_, _) => Task.FromResult("v1")).AsTask();

    public Task WaitUntilEvictedAsync(string key) =>
        Eventually.TrueAsync(() => Task.FromResult(!_cache!.IsFreshInL1(key)), Deadline, $"{key} evicted on the cache node");

    /// <summary>The first record with <paramref name="reason"/> (a concurrent run of this class may add its own copy).</summary>
    public async Task<RecordRow> RecordAsync(string reason)
    {
        RecordRow? found = null;
        await Eventually.TrueAsync(async () =>
        {
            await using var command = Database.DataSource.CreateCommand(
                "SELECT channel, message_id, actor, source, keys, tags FROM invalidator.invalidation_requests WHERE reason = @reason ORDER BY id LIMIT 1");
            command.Parameters.AddWithValue("reason", reason);
            await using var reader = await command.ExecuteReaderAsync();
            if (await reader.ReadAsync())
            {
                found = new RecordRow(reader.GetString(0), Text(reader, 1), Text(reader, 2), reader.GetString(3), reader.GetFieldValue<string[]>(4), reader.GetFieldValue<string[]>(5));
            }

            return found is not null;
        }, Deadline, $"a record with reason '{reason}'");
        return found!;
    }

    public override async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        if (_cache is not null)
        {
            await _cache.DisposeAsync();
        }

        _redis?.Dispose();
        if (_broker is not null)
        {
            // The contract exchanges stay: a concurrent run of this class may be bound to them.
            await _broker.DeleteAsync([_queue, _queue + "_error", _queue + "_skipped"], [_queue, _queue + "_error", _queue + "_skipped"]);
            await _broker.DisposeAsync();
        }

        await base.DisposeAsync();
    }

    private static string? Text(NpgsqlDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.GetString(column);
}
