using Platform.Caching.L2;
using Platform.Testing;
using StackExchange.Redis;

namespace Platform.Caching.Tests;

/// <summary>The epoch is how nodes learn that Redis lost its data (and with it the sequence they are positioned on).</summary>
public sealed class EpochTests
{
    [Fact]
    public async Task ARedisThatLostItsDataGetsANewEpochEvenFromTheNodeThatMadeTheOldOne()
    {
        await using var redis = await RedisServer.StartAsync();
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        var layer = new RedisLayer(connection, new CacheOptions { KeyPrefix = "epoch-test:" }, "node-a");
        var (before, _) = await layer.HelloAsync();

        await redis.KillAsync();
        await redis.RestartAsync();
        string? after = null;
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                (after, _) = await layer.HelloAsync();
                return true;
            }
            catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30), "Redis answers again");

        // Were it the same, every node would take the restarted sequence (1, 2, …) for messages it already applied.
        Assert.NotEqual(before, after);
    }
}
