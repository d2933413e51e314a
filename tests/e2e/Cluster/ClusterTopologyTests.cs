extern alias invalidator;

using System.Net;
using System.Text.Json;
using Platform.Testing;
using StackExchange.Redis;
using InvalidatorProgram = invalidator::Program;

namespace Platform.EndToEnd.Tests.Cluster;

/// <summary>
/// The cluster of <c>./platform up --cluster</c> is what docs/scaling.md says it is, and a service runs on it through
/// the cluster settings <c>./platform</c> gives it. Only in <c>./platform test --cluster</c> (Category=Cluster).
/// </summary>
[Trait("Category", "Cluster")]
public sealed class ClusterTopologyTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task EveryRabbitMqNodeRunsInOneCluster()
    {
        foreach (var node in ClusterServers.RabbitMqNodeNames)
        {
            using var status = await ClusterServers.ControlJsonAsync(node, "cluster_status");

            var running = status.RootElement.GetProperty("running_nodes").EnumerateArray().Select(n => n.GetString()!).Order().ToList();
            Assert.Equal(ClusterServers.RabbitMqNodeNames.Order().ToList(), running);
            Assert.Empty(status.RootElement.GetProperty("partitions").EnumerateObject());
        }
    }

    [Fact]
    public async Task TheInvalidatorsQueueIsAQuorumQueueWithAMemberOnEveryNode()
    {
        await using var database = await TestDatabase.CreateMigratedAsync();
        var prefix = TestIsolation.NewPrefix();
        await using var invalidator = ServiceProcess.Start("invalidator", typeof(InvalidatorProgram).Assembly.Location, new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = database.ConnectionString,
            ["ConnectionStrings__Redis"] = TestServers.Redis,
            ["ConnectionStrings__RabbitMq"] = TestServers.RabbitMq.ToString(),
            ["ConnectionStrings__RabbitMqNodes"] = TestServers.RabbitMqNodes ?? throw new InvalidOperationException("PLATFORM_RABBITMQ_NODES is not set"),
            ["Bus__EntityPrefix"] = prefix,
            ["Cache__KeyPrefix"] = prefix + ":",
        });
        await invalidator.WaitReadyAsync(Deadline);
        // Healthy, not just ready: Redis found through the Sentinels, the bus consuming from the cluster.
        await Eventually.TrueAsync(async () => await ReadinessAsync(invalidator) == "Healthy", Deadline, "the invalidator Healthy");

        var queue = await Eventually.ReturnsAsync(() => QueueAsync(prefix, "cache-invalidator"), Deadline, "the invalidator's queue");

        Assert.Equal("quorum", queue.GetProperty("type").GetString());
        var members = queue.GetProperty("members").EnumerateArray().Select(m => m.GetString()!).Order().ToList();
        Assert.Equal(ClusterServers.RabbitMqNodeNames.Order().ToList(), members);
    }

    [Fact]
    public async Task EverySentinelSeesThePrimaryWithOneReplicaAndTwoOtherSentinels()
    {
        using var sentinels = await ClusterServers.ConnectSentinelsAsync();
        var endpoints = sentinels.GetEndPoints();
        Assert.Equal(3, endpoints.Length);

        foreach (var endpoint in endpoints)
        {
            var sentinel = sentinels.GetServer(endpoint);
            var primary = (await sentinel.SentinelMasterAsync(ClusterServers.RedisService)).ToDictionary(p => p.Key, p => p.Value);
            var replicas = await sentinel.SentinelReplicasAsync(ClusterServers.RedisService);

            Assert.Equal("master", primary["flags"]);
            Assert.Equal("1", primary["num-slaves"]);
            Assert.Equal("2", primary["num-other-sentinels"]);
            var replica = Assert.Single(replicas).ToDictionary(p => p.Key, p => p.Value);
            Assert.Equal("slave", replica["flags"]);
            Assert.Equal("ok", replica["master-link-status"]);
        }
    }

    [Fact]
    public async Task AServiceUserFindsThePrimaryThroughTheSentinelsAndMayNotReconfigureThem()
    {
        var user = ConfigurationOptions.Parse(TestServers.ServiceCredentials("REDIS", "catalog"));
        using var sentinels = await ConnectionMultiplexer.SentinelConnectAsync(WithoutService(user));
        var sentinel = sentinels.GetServer(sentinels.GetEndPoints()[0]);

        Assert.NotNull(await sentinel.SentinelGetMasterAddressByNameAsync(ClusterServers.RedisService));
        var refused = await Assert.ThrowsAsync<RedisServerException>(() => sentinel.ExecuteAsync("SENTINEL", "FAILOVER", ClusterServers.RedisService));
        Assert.Contains("NOPERM", refused.Message, StringComparison.Ordinal);

        // Through the Sentinels to the primary, as the service does: its own keys only.
        using var primary = await ConnectionMultiplexer.ConnectAsync(user);
        var key = "platform:" + TestIsolation.NewPrefix();
        Assert.True(await primary.GetDatabase().StringSetAsync(key, "v", TimeSpan.FromMinutes(1)));
        Assert.True(await primary.GetDatabase().KeyDeleteAsync(key));
    }

    private static ConfigurationOptions WithoutService(ConfigurationOptions options)
    {
        var copy = options.Clone();
        copy.ServiceName = null;
        return copy;
    }

    private static async Task<JsonElement?> QueueAsync(string prefix, string name)
    {
        using var queues = await ClusterServers.ControlJsonAsync(ClusterServers.RabbitMqNodeNames[0], "list_queues", "-p", TestServers.RabbitMq.AbsolutePath.Trim('/'), "name", "type", "members");
        foreach (var queue in queues.RootElement.EnumerateArray())
        {
            var queueName = queue.GetProperty("name").GetString()!;
            if (queueName.StartsWith(prefix, StringComparison.Ordinal) && queueName.EndsWith(name, StringComparison.Ordinal))
            {
                return queue.Clone();
            }
        }

        return null;
    }

    private static async Task<string?> ReadinessAsync(ServiceProcess service)
    {
        try
        {
            using var response = await service.Client.GetAsync(new Uri("/health/ready", UriKind.Relative));
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return null;
            }

            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return body.RootElement.GetProperty("status").GetString();
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }
}
