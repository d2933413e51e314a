using System.Diagnostics;
using Platform.Testing;

namespace Platform.Caching.Tests;

/// <summary>
/// A node that can no longer hear invalidations (Redis killed, frozen or cut off) knows it within the heartbeat
/// timeout, serves no value more than a second behind the source, reads the source through its single flight, and
/// after hearing again serves nothing it read before. Each test breaks a redis-server of its own.
/// </summary>
public sealed class DeafNodeTests
{
    // The heartbeat's own timer and the poll below run on a machine that may be loaded (the full suite keeps two cores
    // at load 10–30): a second of slack tells "within the timeout, give or take scheduling" from "never", which is
    // what this test can prove; the 1 s staleness bound itself is the consistency checker's.
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private static readonly CacheEntryOptions Hour = new() { Duration = TimeSpan.FromHours(1) };

    public enum RedisFault
    {
        Killed,
        Frozen,
    }

    [Theory]
    [InlineData(RedisFault.Killed)]
    [InlineData(RedisFault.Frozen)]
    public async Task ANodeLearnsWithinTheHeartbeatTimeoutThatItCannotHear(RedisFault fault)
    {
        await using var redis = await RedisServer.StartAsync();
        await using var cluster = await CacheCluster.StartAsync(redis.Configuration, redis.Port, 1);
        await Eventually.TrueAsync(() => Task.FromResult(cluster[0].IsBackplaneConnected), Deadline, "hearing");

        var watch = Stopwatch.StartNew();
        await BreakAsync(redis, fault);
        await Eventually.TrueAsync(() => Task.FromResult(!cluster[0].IsBackplaneConnected), Deadline, "deaf");

        Assert.True(watch.Elapsed <= new CacheOptions().HeartbeatTimeout + Slack, $"deaf after {watch.ElapsedMilliseconds} ms");
    }

    [Theory]
    [InlineData(RedisFault.Killed)]
    [InlineData(RedisFault.Frozen)]
    public async Task AValueChangedAtTheSourceWhileRedisIsDownIsServedWithinOneSecond(RedisFault fault)
    {
        await using var redis = await RedisServer.StartAsync();
        await using var cluster = await CacheCluster.StartAsync(redis.Configuration, redis.Port, 1);
        var cache = cluster[0];
        var source = "v1";
        Task<string> Read(CacheFactoryContext context, CancellationToken cancellationToken) => Task.FromResult(Volatile.Read(ref source));
        Assert.Equal("v1", await cache.GetOrSetAsync("k", Read, Hour));

        // A write whose eviction cannot reach Redis: only the node's own distrust of its L1 can end the old value.
        await BreakAsync(redis, fault);
        Volatile.Write(ref source, "v2");
        var changed = Stopwatch.StartNew();
        var lastOldReadStarted = TimeSpan.Zero;
        await Eventually.TrueAsync(async () =>
        {
            // Staleness as the consistency checker counts it: from the change to the start of the read that returned the old value.
            var started = changed.Elapsed;
            var value = await cache.GetOrSetAsync("k", Read, Hour);
            lastOldReadStarted = value == "v1" ? started : lastOldReadStarted;
            return value == "v2";
        }, Deadline, "the new value served");

        Assert.True(lastOldReadStarted <= TimeSpan.FromSeconds(1), $"a read started {lastOldReadStarted.TotalMilliseconds:0} ms after the change returned the old value");
    }

    [Fact]
    public async Task WhileDeafConcurrentReadsOfOneKeyRunOneFactoryAtATime()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var cluster = await CacheCluster.StartAsync(redis.Configuration, redis.Port, 1);
        var cache = cluster[0];
        await redis.PauseAsync();
        await Eventually.TrueAsync(() => Task.FromResult(!cache.IsBackplaneConnected), Deadline, "deaf");
        int running = 0, most = 0, runs = 0;
        async Task<string> Query(CacheFactoryContext context, CancellationToken cancellationToken)
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref most, now);
            Interlocked.Increment(ref runs);
            await Task.Delay(30, cancellationToken);
            Interlocked.Decrement(ref running);
            return "from-database";
        }

        // Two seconds of 50 readers hammering one key: past the degraded TTL more than once, so the key is read again.
        var until = Stopwatch.StartNew();
        var readers = Enumerable.Range(0, 50).Select(_ => Task.Run(async () =>
        {
            var reads = 0;
            while (until.Elapsed < TimeSpan.FromSeconds(2))
            {
                Assert.Equal("from-database", await cache.GetOrSetAsync("k", Query, Hour));
                reads++;
            }

            return reads;
        }));
        var total = (await Task.WhenAll(readers)).Sum();

        Assert.Equal(1, most);
        Assert.InRange(runs, 2, 2 * 1000 / 750 + 2);
        Assert.True(total > 10 * runs, $"{total} reads, {runs} factory runs");
        Assert.False(cache.IsBackplaneConnected);
    }

    [Fact]
    public async Task ANodeWhoseSubscriptionIsGoneWhileRedisAnswersSubscribesAgainAndHearsEvictions()
    {
        await using var cluster = await CacheCluster.StartAsync(2, o => o.ResubscribeAfter = TimeSpan.FromSeconds(1));
        var (reader, writer) = (cluster[0], cluster[1]);
        await Eventually.TrueAsync(() => Task.FromResult(reader.IsBackplaneConnected), Deadline, "hearing");

        // What a client that never resubscribed after a reconnect leaves behind: the node's channels are gone from the
        // server while its connection works (seen once in ~150 kill-and-restart trials).
        await cluster.Connection(0).GetSubscriber().UnsubscribeAllAsync();
        await Eventually.TrueAsync(() => Task.FromResult(!reader.IsBackplaneConnected), Deadline, "deaf once its heartbeats stop arriving");
        await Eventually.TrueAsync(() => Task.FromResult(reader.IsBackplaneConnected), Deadline, "hearing again");
        Assert.Equal(1, reader.Statistics.BackplaneResubscribeCount);

        await reader.GetOrSetAsync("k", (_, _) => Task.FromResult("v1"), Hour);
        Assert.True(reader.IsFreshInL1("k"));
        await writer.RemoveAsync("k");
        await Eventually.TrueAsync(() => Task.FromResult(!reader.IsFreshInL1("k")), Deadline, "the other node's eviction heard");
    }

    [Fact]
    public async Task AfterHearingResumesNoEntryReadBeforeTheGapIsServed()
    {
        // An eviction Redis held while frozen may run after the node's first heartbeat back: the node cannot know what
        // it missed, so it serves nothing older than its resumption, even with a degraded TTL long enough to cover the gap.
        await using var redis = await RedisServer.StartAsync();
        await using var cluster = await CacheCluster.StartAsync(redis.Configuration, redis.Port, 1, o => o.DegradedL1Ttl = TimeSpan.FromMinutes(5));
        var cache = cluster[0];
        await cache.GetOrSetAsync("k", (_, _) => Task.FromResult("v1"), Hour);

        await redis.PauseAsync();
        await Eventually.TrueAsync(() => Task.FromResult(!cache.IsBackplaneConnected), Deadline, "deaf");
        Assert.True(cache.IsFreshInL1("k"), "within the degraded TTL the value is served while deaf");
        await redis.ResumeAsync();
        await Eventually.TrueAsync(() => Task.FromResult(cache.IsBackplaneConnected), Deadline, "hearing again");

        // Not from L1: read again from L2, where nothing invalidated it.
        Assert.False(cache.IsFreshInL1("k"));
        var l2Hits = cache.Statistics.L2HitCount;
        Assert.Equal("v1", await cache.GetOrSetAsync("k", (_, _) => Task.FromResult("unused"), Hour));
        Assert.Equal(l2Hits + 1, cache.Statistics.L2HitCount);
        Assert.True(cache.IsFreshInL1("k"));
        Assert.Equal(1, cache.Statistics.BackplaneResumeCount);
    }

    [Fact]
    public async Task AnEvictionRedisNeverReceivedDuringAFreezeDoesNotLeaveTheOldValueInL2ForAnyoneAfterIt()
    {
        // Frozen long enough for node B's client to give up on its connection: B's remove then fails at once and is never
        // sent, so Redis does not run it on resume (the invalidator retries it later). Node A, hearing again, must not
        // take the old value from L2 meanwhile.
        await using var redis = await RedisServer.StartAsync();
        await using var cluster = await CacheCluster.StartAsync(redis.Configuration, redis.Port, 2);
        var (a, b) = (cluster[0], cluster[1]);
        var source = "v1";
        Task<string> Read(CacheFactoryContext context, CancellationToken cancellationToken) => Task.FromResult(Volatile.Read(ref source));
        Assert.Equal("v1", await a.GetOrSetAsync("k", Read, Hour));

        await redis.PauseAsync();
        await Eventually.TrueAsync(() => Task.FromResult(!b.IsRedisConnected), Deadline, "node B's client gave up on its connection");
        Volatile.Write(ref source, "v2");
        await Assert.ThrowsAsync<CacheUnavailableException>(async () => await b.RemoveAsync("k"));
        await redis.ResumeAsync();
        await Eventually.TrueAsync(() => Task.FromResult(a.IsBackplaneConnected), Deadline, "node A hears again");

        Assert.Equal("v2", await a.GetOrSetAsync("k", Read, Hour));
    }

    [Fact]
    public async Task RedisAnsweringAgainBeforeTheNodeHearsDoesNotServeAnEntryWhoseEvictionFailed()
    {
        // The moment between Redis answering again (unfrozen here; a replica promoted by Sentinel in the cluster checker,
        // which found this) and the node's resumption, when it raises its L2 floor: slow heartbeats stretch it to
        // seconds. Node A never read the key, so only L2 could give it the old value.
        await using var redis = await RedisServer.StartAsync();
        await using var cluster = await CacheCluster.StartAsync(redis.Configuration, redis.Port, 2, o =>
        {
            o.HeartbeatInterval = TimeSpan.FromSeconds(2);
            o.HeartbeatTimeout = TimeSpan.FromSeconds(3);
            o.DegradedL1Ttl = TimeSpan.FromSeconds(4);
        });
        var (a, b) = (cluster[0], cluster[1]);
        var source = "v1";
        Task<string> Read(CacheFactoryContext context, CancellationToken cancellationToken) => Task.FromResult(Volatile.Read(ref source));
        Assert.Equal("v1", await b.GetOrSetAsync("k", Read, Hour));

        await redis.PauseAsync();
        await Eventually.TrueAsync(() => Task.FromResult(!b.IsRedisConnected), Deadline, "node B's client gave up on its connection");
        await Eventually.TrueAsync(() => Task.FromResult(!a.IsBackplaneConnected), Deadline, "node A deaf (its heartbeats failed)");
        Volatile.Write(ref source, "v2");
        await Assert.ThrowsAsync<CacheUnavailableException>(async () => await b.RemoveAsync("k"));
        await redis.ResumeAsync();
        await Eventually.TrueAsync(() => Task.FromResult(a.IsRedisConnected), Deadline, "node A's client connected again");

        Assert.False(a.IsBackplaneConnected, "node A resumed hearing before the read; the test needs the moment before");
        Assert.Equal("v2", await a.GetOrSetAsync("k", Read, Hour));
    }

    [Fact]
    public async Task ANodeThatHearsKeepsTrustingItsL1PastTheDegradedTtl()
    {
        // A generous heartbeat timeout: on a loaded machine a 250 ms gap between heartbeats happens, and this test is
        // about a node that hears.
        await using var redis = await RedisServer.StartAsync();
        await using var cluster = await CacheCluster.StartAsync(redis.Configuration, redis.Port, 1, o =>
        {
            o.HeartbeatTimeout = TimeSpan.FromSeconds(2);
            o.DegradedL1Ttl = TimeSpan.FromSeconds(2.5);
        });
        var cache = cluster[0];
        await cache.GetOrSetAsync("k", (_, _) => Task.FromResult("v1"), Hour);

        // Heartbeats keep moving the moment it last heard everything; this is observation time, not a wait for a condition.
        await Task.Delay(TimeSpan.FromSeconds(4));

        Assert.True(cache.IsFreshInL1("k"), cache.DescribeHearing());
        Assert.Equal(0, cache.Statistics.BackplaneResumeCount);
    }

    private static async Task BreakAsync(RedisServer redis, RedisFault fault)
    {
        if (fault == RedisFault.Killed)
        {
            await redis.KillAsync();
        }
        else
        {
            await redis.PauseAsync();
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
