using System.Diagnostics;
using Platform.Testing;

namespace Platform.Caching.Tests;

/// <summary>
/// A frozen Redis (SIGSTOP: sockets stay open, nothing answers) must not hold a request longer than
/// <see cref="CacheOptions.RedisCallTimeout"/>. Each test freezes a redis-server of its own, never the shared one. The
/// nodes' client timeout is 2 s (<see cref="CacheCluster"/>), so only the cache's own deadline can meet the bound.
/// </summary>
public sealed class FrozenRedisTests
{
    // Scheduling on a loaded 2-core machine (load average 20 while other suites run), on top of the deadline itself;
    // still far below the 2 s the client alone would wait.
    private static readonly TimeSpan Slack = TimeSpan.FromMilliseconds(400);
    private static readonly CacheEntryOptions Hour = new() { Duration = TimeSpan.FromHours(1) };

    [Fact]
    public async Task AReadMissingL1WhileRedisIsFrozenRunsTheFactoryWithinTheCallTimeout()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var cluster = await CacheCluster.StartAsync(redis.Configuration, redis.Port, 1);
        var cache = cluster[0];
        await cache.GetOrSetAsync("warm", (_, _) => Task.FromResult("warm"), Hour);

        await redis.PauseAsync();
        var watch = Stopwatch.StartNew();
        var value = await cache.GetOrSetAsync("k", (_, _) => Task.FromResult("from-database"), Hour);
        watch.Stop();

        Assert.Equal("from-database", value);
        Assert.True(watch.Elapsed <= CacheOptions.MaxRedisCallTimeout + Slack, $"the read took {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task AnInvalidationWhileRedisIsFrozenGivesUpWithinTheCallTimeoutAndForgetsTheValueHere()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var cluster = await CacheCluster.StartAsync(redis.Configuration, redis.Port, 1);
        var cache = cluster[0];
        await cache.GetOrSetAsync("k", (_, _) => Task.FromResult("v1"), Hour);

        await redis.PauseAsync();
        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAsync<CacheUnavailableException>(async () => await cache.InvalidateAsync(["k", "other"], ["some-tag"]));
        watch.Stop();

        Assert.True(watch.Elapsed <= CacheOptions.MaxRedisCallTimeout + Slack, $"the invalidation took {watch.ElapsedMilliseconds} ms");
        Assert.False(cache.IsFreshInL1("k"));
    }

    [Fact]
    public async Task AnInvalidationSentWhileRedisWasFrozenIsRecordedWhenItResumes()
    {
        // The command was written to the socket before the deadline gave up on it: Redis runs it once it resumes, so the
        // other nodes hear it then (the invalidator's retry would record it again, harmlessly).
        await using var redis = await RedisServer.StartAsync();
        await using var cluster = await CacheCluster.StartAsync(redis.Configuration, redis.Port, 2);
        await cluster[0].GetOrSetAsync("k", (_, _) => Task.FromResult("v1"), Hour);
        await cluster[1].GetOrSetAsync("k", (_, _) => Task.FromResult("unused"), Hour);

        await redis.PauseAsync();
        await Assert.ThrowsAsync<CacheUnavailableException>(async () => await cluster[0].RemoveAsync("k"));
        await redis.ResumeAsync();

        await Eventually.TrueAsync(() => Task.FromResult(!cluster[1].IsFreshInL1("k")), TimeSpan.FromSeconds(10), "node 1 applies the remove Redis ran on resume");
        Assert.Equal("v2", await cluster[1].GetOrSetAsync("k", (_, _) => Task.FromResult("v2"), Hour));
    }
}
