namespace Platform.Caching.Tests;

public sealed class ClusterSingleFlightTests
{
    private static readonly CacheEntryOptions SingleFlight = new() { Duration = TimeSpan.FromMinutes(1), ClusterSingleFlight = true };

    [Fact]
    public async Task AThousandConcurrentReadsAcrossThreeNodesRunTheFactoryOnce()
    {
        await using var cluster = await CacheCluster.StartAsync(3);
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

        Assert.Equal(1, runs);
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
}
