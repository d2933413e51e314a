using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Platform.Caching;
using Platform.Contracts.Caching;
using Platform.Contracts.Catalog;
using Platform.Testing;
using StackExchange.Redis;

namespace CacheInvalidator.Tests.Invalidation;

/// <summary>
/// The on-call story end to end in the wired service: Redis unreachable for the invalidator → the event is
/// retried, dead-lettered and stored; Redis back → replay all → the cache is invalidated, the row marked
/// replayed, the history records who did it.
/// </summary>
public sealed class RedisOutageReplayTests : IAsyncLifetime
{
    private const string OpsKey = "ops-key-for-tests-0123456789";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly ServiceFixture _fixture = new();

    public Task InitializeAsync() => _fixture.InitializeAsync();

    public Task DisposeAsync() => _fixture.DisposeAsync();

    [Fact]
    public async Task InvalidationsFailedDuringARedisOutageAreStoredAndReplayAfterwardsInvalidatesTheCache()
    {
        await using var proxy = new TcpProxy(TestServers.RedisPort);
        await using var invalidator = new ServiceHost<Program>(new Dictionary<string, string?>(_fixture.Settings)
        {
            ["ConnectionStrings:Redis"] = TestServers.RedisVia(proxy.Port),
            ["Invalidator:ImmediateRetries"] = "1",
            ["Invalidator:ExponentialRetries"] = "2",
            ["Invalidator:MinRetryInterval"] = "00:00:00.050",
            ["Invalidator:QuorumQueue"] = "false",
            ["DeadLetters:MissingQueuePollInterval"] = "00:00:00.200",
            ["Auth:ApiKeys:0:Name"] = "on-call",
            ["Auth:ApiKeys:0:Key"] = OpsKey,
            ["Auth:ApiKeys:0:Scopes:0"] = "ops:admin",
        });
        var ops = invalidator.CreateClient();
        ops.DefaultRequestHeaders.Add("X-Api-Key", OpsKey);
        var bus = invalidator.Services.GetRequiredService<IBusControl>();
        await bus.WaitForHealthStatus(BusHealthStatus.Healthy, TimeSpan.FromSeconds(30));
        using var nodeRedis = await ConnectionMultiplexer.ConnectAsync(TestServers.Redis);
        // The node itself keeps hearing Redis; a heartbeat made late by a loaded machine must not make it deaf (and
        // distrust its L1) here, where only the invalidator's Redis is cut.
        await using var node = new TwoLevelCache(new CacheOptions
        {
            KeyPrefix = _fixture.RedisPrefix,
            GapCheckInterval = TimeSpan.FromMilliseconds(200),
            HeartbeatTimeout = TimeSpan.FromSeconds(5),
            ResubscribeAfter = TimeSpan.FromSeconds(30),
            DegradedL1Ttl = TimeSpan.FromSeconds(10),
        }, nodeRedis);
        await node.StartAsync();
        await node.GetOrSetAsync(CacheNames.Product(9), (_, _) => Task.FromResult("before the outage"));

        proxy.Cut();
        await bus.Publish(new ProductUpdated(9, 2, 2, "active", 2, DateTimeOffset.UtcNow));
        await Eventually.TrueAsync(async () => (await ops.GetFromJsonAsync<JsonElement>("/ops/dead-letters")).GetProperty("total").GetInt64() == 1, Deadline, "the failed invalidation is stored");
        Assert.True(node.IsFreshInL1(CacheNames.Product(9)), "nothing invalidated the node while Redis was unreachable for the invalidator");

        proxy.Restore();
        await Eventually.TrueAsync(async () =>
        {
            // 503 while a check fails: read the body either way.
            var ready = await (await ops.GetAsync(new Uri("/health/ready", UriKind.Relative))).Content.ReadFromJsonAsync<JsonElement>();
            return ready.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString() == "Healthy";
        }, Deadline, "the invalidator reaches Redis again");
        var replay = await (await ops.PostAsJsonAsync("/ops/dead-letters/replay", new { all = true })).Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(1, replay.GetProperty("succeeded").GetInt32());
        await Eventually.TrueAsync(() => Task.FromResult(!node.IsFreshInL1(CacheNames.Product(9))), Deadline, "the replayed invalidation evicts the node");
        Assert.Equal("replayed:1", await ScalarAsync("SELECT status || ':' || replay_count FROM invalidator.dead_letters"));
        var history = await ops.GetFromJsonAsync<JsonElement>("/ops/dead-letters/history");
        var entry = Assert.Single(history.EnumerateArray());
        Assert.Equal("replay", entry.GetProperty("action").GetString());
        Assert.Equal("on-call", entry.GetProperty("actor").GetString());
        Assert.Equal(1, entry.GetProperty("succeeded").GetInt32());
    }

    private async Task<string> ScalarAsync(string sql)
    {
        await using var command = _fixture.Database.DataSource.CreateCommand(sql);
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
