using System.Globalization;
using Platform.Testing;
using StackExchange.Redis;

namespace Platform.Caching.Tests;

/// <summary>
/// <c>./platform</c> caps Redis with <c>maxmemory</c> and <c>volatile-lru</c>: only keys with a TTL may be evicted.
/// That is safe only if every cache entry carries a TTL and the backplane's own keys (sequence, epoch, stream) carry
/// none: evicting the sequence would restart it, the epoch would make every node drop its L1, the stream would lose
/// the invalidations a reconnecting node must replay. These tests pin that split, and show a capped Redis evicting
/// entries while invalidations keep flowing.
/// </summary>
public sealed class RedisMemoryCapTests
{
    private static readonly string[] BackplaneKeys = ["seq", "epoch", "stream"];

    [Fact]
    public async Task EveryCacheKeyCarriesATtlAndTheBackplaneKeysNone()
    {
        await using var cluster = await CacheCluster.StartAsync(2);
        await cluster[0].SetAsync("a", "value a", tags: ["tag-1"]);
        await cluster[0].GetOrSetAsync("b", (_, _) => Task.FromResult("value b"), tags: ["tag-2"]);
        await cluster[1].RemoveAsync("a");
        await cluster[1].ExpireAsync("b");
        await cluster[0].RemoveByTagAsync("tag-1");
        await cluster[0].SetAsync("c", "value c");

        using var redis = await ConnectionMultiplexer.ConnectAsync(TestServers.Redis);
        var (cacheKeys, backplaneKeys) = await TtlsAsync(redis, cluster.Prefix);

        Assert.Equal(BackplaneKeys.Order(), backplaneKeys.Keys.Order());
        Assert.All(backplaneKeys, k => Assert.True(k.Value is null, $"backplane key {k.Key} must not expire (it has a TTL of {k.Value})"));
        Assert.Contains(cacheKeys.Keys, k => k.StartsWith("d:", StringComparison.Ordinal));
        Assert.Contains(cacheKeys.Keys, k => k.StartsWith("k:", StringComparison.Ordinal));
        Assert.Contains(cacheKeys.Keys, k => k.StartsWith("t:", StringComparison.Ordinal));
        Assert.All(cacheKeys, k => Assert.True(k.Value is not null, $"cache key {k.Key} has no TTL: volatile-lru could never evict it"));
    }

    [Fact]
    public async Task ACappedRedisEvictsEntriesButKeepsTheBackplaneWorking()
    {
        // A server of the test's own: the shared one is never reconfigured.
        await using var server = await RedisServer.StartAsync("--maxmemory", "8mb", "--maxmemory-policy", "volatile-lru");
        await using var cluster = await CacheCluster.StartAsync(server.Configuration, server.Port, 2);
        using var redis = await ConnectionMultiplexer.ConnectAsync(server.Configuration + ",allowAdmin=true");
        await cluster[0].SetAsync("watched", "before");
        Assert.Equal("before", await cluster[1].GetOrSetAsync("watched", (_, _) => Task.FromResult("from factory")));
        await cluster[0].RemoveByTagAsync("warm-up");

        // Four times the cap in 16 KiB entries.
        var value = new string('x', 16 * 1024);
        for (var i = 0; i < 2048; i++)
        {
            await cluster[0].SetAsync($"filler-{i}", value);
        }

        var memory = await InfoAsync(redis, "memory");
        var stats = await InfoAsync(redis, "stats");
        Assert.True(long.Parse(stats["evicted_keys"], CultureInfo.InvariantCulture) > 0, "Redis evicted nothing: the flood did not reach the cap");
        Assert.InRange(long.Parse(memory["used_memory"], CultureInfo.InvariantCulture), 0, 10L * 1024 * 1024);
        var (_, backplaneKeys) = await TtlsAsync(redis, cluster.Prefix);
        Assert.Equal(BackplaneKeys.Order(), backplaneKeys.Keys.Order());

        // node 1 holds "watched" in L1; node 0's remove must still reach it through the backplane.
        await cluster[0].RemoveAsync("watched");
        await Eventually.TrueAsync(
            async () => await cluster[1].GetOrSetAsync("watched", (_, _) => Task.FromResult("after")) == "after",
            TimeSpan.FromSeconds(10),
            "node 1 sees the remove made after the eviction storm");
    }

    /// <summary>Each key under <paramref name="prefix"/>: its name without the prefix and its TTL (null: none).</summary>
    private static async Task<(Dictionary<string, TimeSpan?> Cache, Dictionary<string, TimeSpan?> Backplane)> TtlsAsync(ConnectionMultiplexer redis, string prefix)
    {
        var server = redis.GetServers()[0];
        var db = redis.GetDatabase();
        var cache = new Dictionary<string, TimeSpan?>(StringComparer.Ordinal);
        var backplane = new Dictionary<string, TimeSpan?>(StringComparer.Ordinal);
        await foreach (var key in server.KeysAsync(db.Database, prefix + "*", pageSize: 1000))
        {
            var name = ((string)key!)[prefix.Length..];
            var ttl = await db.KeyTimeToLiveAsync(key);
            (BackplaneKeys.Contains(name) ? backplane : cache)[name] = ttl;
        }

        return (cache, backplane);
    }

    private static async Task<Dictionary<string, string>> InfoAsync(ConnectionMultiplexer redis, string section) =>
        (await redis.GetServers()[0].InfoAsync(section)).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
}
