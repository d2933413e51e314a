namespace Platform.Caching.Tests;

public sealed class ClusterSingleFlightTests
{
    private static readonly CacheEntryOptions SingleFlight = new() { Duration = TimeSpan.FromMinutes(1), ClusterSingleFlight = true };

    [Fact]
    public async Task AThousandConcurrentReadsAcrossThreeNodesRunTheFactoryOnce()
    {
        // Once per cluster while Redis answers in time. A Redis call past its deadline (a loaded machine) makes that
        // node run the factory itself rather than wait (ADR 013: no request waits on Redis more than 250 ms), so then
        // the bound is once per node whose Redis failed, plus the lock holder's run.
        await using var cluster = await CacheCluster.StartAsync(3, options =>
        {
            options.RedisCallTimeout = CacheOptions.MaxRedisCallTimeout;
            options.HeartbeatTimeout = TimeSpan.FromSeconds(5);
            options.ResubscribeAfter = TimeSpan.FromSeconds(30);
            options.DegradedL1Ttl = TimeSpan.FromSeconds(10);
        });
        var runs = 0;
        // The factory finishes only once every caller on every node has asked: they all overlap it.
        var everyoneAsked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task<string> GatedFactory(CacheFactoryContext context, CancellationToken token)
        {
            Interlocked.Increment(ref runs);
            await everyoneAsked.Task.WaitAsync(token);
            return "computed-once";
        }

        var reads = Enumerable.Range(0, 1000)
            .Select(i => cluster[i % 3].GetOrSetAsync("cold", GatedFactory, SingleFlight).AsTask())
            .ToList();
        everyoneAsked.SetResult();
        var results = await Task.WhenAll(reads);

        var nodesWithRedisErrors = Enumerable.Range(0, 3).Count(i => cluster[i].Statistics.L2ErrorCount > 0);
        Assert.InRange(runs, 1, 1 + nodesWithRedisErrors);
        Assert.All(results, r => Assert.Equal("computed-once", r));
    }

    [Fact]
    public async Task WithoutClusterSingleFlightEachNodeRunsItsOwnFactory()
    {
        await using var cluster = await CacheCluster.StartAsync(3);
        var runs = 0;
        var gate = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);

        var reads = Enumerable.Range(0, 30)
            .Select(i => cluster[i % 3].GetOrSetAsync("cold", (_, _) => { Interlocked.Increment(ref runs); return gate.Task; }).AsTask())
            .ToList();
        await Platform.Testing.Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref runs) == 3), TimeSpan.FromSeconds(10), "one factory per node");
        gate.SetResult("v");
        await Task.WhenAll(reads);

        Assert.Equal(3, runs);
    }

    [Fact]
    public async Task ACrashedLockHoldersLockExpiresAndAnotherNodeRunsTheFactory()
    {
        await using var cluster = await CacheCluster.StartAsync(1, o => o.ClusterLockDuration = TimeSpan.FromMilliseconds(500));
        // A holder that took the lock and died: the lock exists with nobody to release it.
        var redis = Platform.Testing.TestRedis.Database;
        await redis.StringSetAsync(cluster.Prefix + "lock:cold", "dead-node", TimeSpan.FromMilliseconds(500));

        var value = await cluster[0].GetOrSetAsync("cold", (_, _) => Task.FromResult("taken-over"), SingleFlight);

        Assert.Equal("taken-over", value);
        Assert.Equal(1, cluster[0].Statistics.FactoryRunCount);
    }

    [Fact]
    public async Task ALockHolderRenewsItsLockWhileItsFactoryRuns()
    {
        // A lock of 1.5 s and a factory held open far longer: without renewal the other node would take the lock
        // once it expired and run its own factory. (300 ms lost the lock once on a loaded CI machine: a renewal
        // scheduled every 100 ms came more than 200 ms late. Renewal every half second still shows the mechanism.)
        await using var cluster = await CacheCluster.StartAsync(2, o => o.ClusterLockDuration = TimeSpan.FromMilliseconds(1500));
        var redis = Platform.Testing.TestRedis.Database;
        var lockKey = cluster.Prefix + "lock:slow";
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondRuns = 0;

        var holder = cluster[0].GetOrSetAsync("slow", (_, _) => release.Task, SingleFlight).AsTask();
        await Platform.Testing.Eventually.TrueAsync(async () => await redis.KeyExistsAsync(lockKey), TimeSpan.FromSeconds(10), "node 0 holds the lock");
        var waiter = cluster[1].GetOrSetAsync("slow", (_, _) => { Interlocked.Increment(ref secondRuns); return Task.FromResult("second"); }, SingleFlight).AsTask();

        // A lock's remaining time only grows when its holder renews it: see it grow three times (≥ 3 lock lifetimes).
        var renewals = 0;
        var last = double.MaxValue;
        await Platform.Testing.Eventually.TrueAsync(async () =>
        {
            var ttl = (await redis.KeyTimeToLiveAsync(lockKey))?.TotalMilliseconds ?? 0;
            if (ttl > last)
            {
                renewals++;
            }

            last = ttl;
            return renewals >= 3;
        }, TimeSpan.FromSeconds(30), "the lock renewed three times");
        release.SetResult("first");

        Assert.Equal("first", await holder);
        Assert.Equal("first", await waiter);
        Assert.Equal(0, secondRuns);
        await Platform.Testing.Eventually.TrueAsync(async () => !await redis.KeyExistsAsync(lockKey), TimeSpan.FromSeconds(10), "the lock released");
    }
}
