using System.Text;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Platform.Caching;
using Platform.Contracts.Caching;
using Platform.Contracts.Catalog;
using Platform.Testing;
using RabbitMQ.Client;
using StackExchange.Redis;

namespace CacheInvalidator.Tests.Invalidation;

/// <summary>The invalidator over real RabbitMQ and Redis, evicting entries a separate cache node holds.</summary>
public sealed class InvalidationConsumerTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    // Per test, not per class: each test reads its own error queue.
    private readonly ServiceFixture fixture = new();

    public Task InitializeAsync() => fixture.InitializeAsync();

    public Task DisposeAsync() => fixture.DisposeAsync();

    private Dictionary<string, string?> Settings => new(fixture.Settings)
    {
        ["Invalidator:ImmediateRetries"] = "1",
        ["Invalidator:ExponentialRetries"] = "1",
        ["Invalidator:MinRetryInterval"] = "00:00:00.050",
        ["Invalidator:QuorumQueue"] = "false",
    };

    [Fact]
    public async Task ProductUpdatedEvictsTheItemAndItsCategoryPagesOnACacheNode()
    {
        await using var invalidator = new ServiceHost<Program>(Settings);
        var bus = await StartedBusAsync(invalidator);
        await using var node = await CacheNodeAsync();
        await node.Cache.GetOrSetAsync(CacheNames.Product(7), (_, _) => Task.FromResult("v1"));
        await node.Cache.GetOrSetAsync("page-of-3", (_, _) => Task.FromResult("page"), tags: [CacheNames.CategoryTag(3)]);
        await node.Cache.GetOrSetAsync("page-of-4", (_, _) => Task.FromResult("page"), tags: [CacheNames.CategoryTag(4)]);

        await bus.Publish(new ProductUpdated(7, 3, 3, "active", 2, DateTimeOffset.UtcNow));

        await Eventually.TrueAsync(() => Task.FromResult(!node.Cache.IsFreshInL1(CacheNames.Product(7)) && !node.Cache.IsFreshInL1("page-of-3")), Deadline, "evictions on the node");
        // The category-4 page is untouched. Read through the cache, not IsFreshInL1: on a loaded machine the node may
        // miss its backplane heartbeat deadline and stop trusting all of L1 (ADR 013), which is not an eviction.
        Assert.Equal(MaybeValue<string>.Some("page"), await node.Cache.TryGetAsync<string>("page-of-4"));
    }

    [Fact]
    public async Task MalformedRequestIsDeadLetteredWithAReadableReasonAndOthersKeepFlowing()
    {
        await using var invalidator = new ServiceHost<Program>(Settings);
        var bus = await StartedBusAsync(invalidator);
        await using var node = await CacheNodeAsync();
        await node.Cache.GetOrSetAsync("keep-serving", (_, _) => Task.FromResult("v1"));

        await bus.Publish(new CacheInvalidationRequested(["has space"], [], "test", "tests"));
        await bus.Publish(new CacheInvalidationRequested(["keep-serving"], [], "test", "tests"));

        await Eventually.TrueAsync(() => Task.FromResult(!node.Cache.IsFreshInL1("keep-serving")), Deadline, "the valid request after the bad one is applied");
        var faulted = await WaitForErrorMessageAsync();
        Assert.Contains("keys[0] is not a valid cache key", Header(faulted, "MT-Fault-Message"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BodyThatIsNotJsonIsDeadLetteredAndTheConsumerKeepsServing()
    {
        await using var invalidator = new ServiceHost<Program>(Settings);
        var bus = await StartedBusAsync(invalidator);
        await using var node = await CacheNodeAsync();
        await node.Cache.GetOrSetAsync("still-served", (_, _) => Task.FromResult("v1"));

        await using (var connection = await new ConnectionFactory { Uri = TestServers.RabbitMq }.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", MessageId = Guid.NewGuid().ToString() };
            await channel.BasicPublishAsync("", $"{fixture.BusPrefix}-cache-invalidator", true, properties, Encoding.UTF8.GetBytes("this is { not json"));
        }

        await bus.Publish(new CacheInvalidationRequested(["still-served"], [], "test", "tests"));

        await Eventually.TrueAsync(() => Task.FromResult(!node.Cache.IsFreshInL1("still-served")), Deadline, "the next message is applied");
        var faulted = await WaitForErrorMessageAsync();
        Assert.Equal("this is { not json", Encoding.UTF8.GetString(faulted.Body.Span));
    }

    [Fact]
    public async Task WithRedisUnreachableTheMessageIsRetriedThenDeadLettered()
    {
        // The invalidator's Redis goes through a proxy we cut: it cannot record invalidations.
        await using var proxy = new TcpProxy(TestServers.RedisPort);
        var settings = Settings;
        settings["ConnectionStrings:Redis"] = TestServers.RedisVia(proxy.Port);
        await using var invalidator = new ServiceHost<Program>(settings);
        var bus = await StartedBusAsync(invalidator);
        proxy.Cut();

        await bus.Publish(new CacheInvalidationRequested(["some-key"], [], "test", "tests"));

        var faulted = await WaitForErrorMessageAsync();
        // MassTransit records the root cause (the Redis connection failure) as the fault's exception type.
        Assert.Contains("Redis", Header(faulted, "MT-Fault-ExceptionType") + Header(faulted, "MT-Fault-Message"), StringComparison.Ordinal);
        Assert.Equal("some-key", System.Text.Json.JsonDocument.Parse(faulted.Body).RootElement.GetProperty("message").GetProperty("keys")[0].GetString());
    }

    private static async Task<IBus> StartedBusAsync(ServiceHost<Program> host)
    {
        _ = host.Services;
        var bus = host.Services.GetRequiredService<IBusControl>();
        await bus.WaitForHealthStatus(BusHealthStatus.Healthy, TimeSpan.FromSeconds(30));
        return bus;
    }

    private async Task<CacheNode> CacheNodeAsync()
    {
        var connection = await ConnectionMultiplexer.ConnectAsync(TestServers.Redis);
        var cache = new TwoLevelCache(new CacheOptions { KeyPrefix = fixture.RedisPrefix, GapCheckInterval = TimeSpan.FromMilliseconds(200) }, connection);
        await cache.StartAsync();
        return new CacheNode(cache, connection);
    }

    private async Task<BasicGetResult> WaitForErrorMessageAsync()
    {
        await using var connection = await new ConnectionFactory { Uri = TestServers.RabbitMq }.CreateConnectionAsync();
        BasicGetResult? result = null;
        await Eventually.TrueAsync(async () =>
        {
            // A get on a missing queue closes the channel: a new one per attempt.
            await using var channel = await connection.CreateChannelAsync();
            try
            {
                result = await channel.BasicGetAsync($"{fixture.BusPrefix}-cache-invalidator_error", autoAck: true);
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
            {
                // The error queue does not exist until the first fault.
                return false;
            }

            return result is not null;
        }, Deadline, "a message in the error queue");
        return result!;
    }

    private static string Header(BasicGetResult message, string name) =>
        message.BasicProperties.Headers?.TryGetValue(name, out var value) == true
            ? value switch { byte[] bytes => Encoding.UTF8.GetString(bytes), _ => value?.ToString() ?? "" }
            : "";

    private sealed record CacheNode(TwoLevelCache Cache, ConnectionMultiplexer Connection) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Cache.DisposeAsync();
            Connection.Dispose();
        }
    }
}
