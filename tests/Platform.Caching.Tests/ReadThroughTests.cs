using System.Text;

namespace Platform.Caching.Tests;

public sealed class ReadThroughTests
{
    [Fact]
    public async Task SecondReadIsServedFromL1WithoutRunningTheFactory()
    {
        await using var cluster = await CacheCluster.StartAsync(1);
        var factory = new CountingFactory<string>(run => $"value-{run}");

        var first = await cluster[0].GetOrSetAsync("k", factory.RunAsync);
        var second = await cluster[0].GetOrSetAsync("k", factory.RunAsync);

        Assert.Equal("value-1", first);
        Assert.Equal("value-1", second);
        Assert.Equal(1, factory.Runs);
        Assert.Equal(1, cluster[0].Statistics.L1HitCount);
    }

    [Fact]
    public async Task AnotherNodeReadsTheValueFromL2WithoutRunningTheFactory()
    {
        await using var cluster = await CacheCluster.StartAsync(2);
        var factory = new CountingFactory<string>(run => $"value-{run}");
        await cluster[0].GetOrSetAsync("k", factory.RunAsync);

        var onB = await cluster[1].GetOrSetAsync("k", factory.RunAsync);

        Assert.Equal("value-1", onB);
        Assert.Equal(1, factory.Runs);
        Assert.Equal(1, cluster[1].Statistics.L2HitCount);
        Assert.True(cluster[1].IsFreshInL1("k"));
    }

    [Fact]
    public async Task ConcurrentCallersOnOneNodeShareOneFactoryRun()
    {
        await using var cluster = await CacheCluster.StartAsync(1);
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = 0;

        var callers = Enumerable.Range(0, 200)
            .Select(_ => cluster[0].GetOrSetAsync("k", (_, _) => { Interlocked.Increment(ref runs); return release.Task; }).AsTask())
            .ToList();
        release.SetResult("shared");
        var results = await Task.WhenAll(callers);

        Assert.Equal(1, runs);
        Assert.All(results, r => Assert.Equal("shared", r));
    }

    [Fact]
    public async Task TryGetFindsOnlyFreshValues()
    {
        await using var cluster = await CacheCluster.StartAsync(2);

        Assert.False((await cluster[0].TryGetAsync<int>("missing")).HasValue);
        await cluster[0].SetAsync("k", 42);
        var onB = await cluster[1].TryGetAsync<int>("k");
        await cluster[0].ExpireAsync("k");

        Assert.Equal(MaybeValue<int>.Some(42), onB);
        Assert.False((await cluster[0].TryGetAsync<int>("k")).HasValue);
    }

    [Fact]
    public async Task SetOverwritesTheValueOnThisNode()
    {
        await using var cluster = await CacheCluster.StartAsync(1);
        await cluster[0].SetAsync("k", "one");

        await cluster[0].SetAsync("k", "two");

        Assert.Equal("two", await cluster[0].GetOrSetAsync("k", (_, _) => Task.FromResult("factory")));
    }

    [Fact]
    public async Task PayloadsRoundTripThroughL2WithTheirETag()
    {
        await using var cluster = await CacheCluster.StartAsync(2);
        var payload = new CachedPayload(Encoding.UTF8.GetBytes("{\"items\":[]}"), "\"v7\"");
        await cluster[0].GetOrSetAsync("page", (_, _) => Task.FromResult(payload));

        var onB = await cluster[1].GetOrSetAsync("page", (_, _) => Task.FromResult(new CachedPayload([], "\"wrong\"")));

        Assert.Equal("\"v7\"", onB.ETag);
        Assert.Equal(payload.Utf8Json, onB.Utf8Json);
    }

    [Fact]
    public async Task AnL1HitOnThePayloadPathAllocatesNothing()
    {
        await using var cluster = await CacheCluster.StartAsync(1);
        var payload = new CachedPayload(Encoding.UTF8.GetBytes("{}"), "\"v1\"");
        var cache = cluster[0];
        // One delegate for warm-up and measurement: a lambda's cached delegate is allocated on its first use.
        Func<CachedPayload, CacheFactoryContext, CancellationToken, Task<CachedPayload>> factory = static (p, _, _) => Task.FromResult(p);
        for (var i = 0; i < 1000; i++)
        {
            await cache.GetOrSetAsync("page", payload, factory);
        }

        var notSame = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            var hit = cache.GetOrSetAsync("page", payload, factory);
            if (!hit.IsCompletedSuccessfully || !ReferenceEquals(await hit, payload))
            {
                notSame++;
            }
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, notSame);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public async Task L1StaysWithinItsSizeBoundByEvictingLeastRecentlyUsed()
    {
        await using var cluster = await CacheCluster.StartAsync(1, o => o.L1SizeLimitBytes = 64 * 1024);
        var cache = cluster[0];
        var body = new byte[1024];
        await cache.GetOrSetAsync("hot", (_, _) => Task.FromResult(new CachedPayload(body, "\"h\"")));

        for (var i = 0; i < 200; i++)
        {
            await cache.GetOrSetAsync("hot", (_, _) => Task.FromResult(new CachedPayload(body, "\"h\"")));
            await cache.GetOrSetAsync($"cold-{i}", (_, _) => Task.FromResult(new CachedPayload(body, "\"c\"")));
        }

        Assert.True(cache.L1Usage.Bytes <= 64 * 1024, $"L1 holds {cache.L1Usage.Bytes} bytes");
        Assert.True(cache.IsFreshInL1("hot"));
        Assert.False(cache.IsFreshInL1("cold-0"));
    }
}
