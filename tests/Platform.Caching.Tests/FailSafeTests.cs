using Platform.Testing;

namespace Platform.Caching.Tests;

public sealed class FailSafeTests
{
    private static readonly CacheEntryOptions TenSeconds = new() { Duration = TimeSpan.FromSeconds(10), FailSafeMaxDuration = TimeSpan.FromMinutes(5) };

    [Fact]
    public async Task StaleValueIsServedWhenTheFactoryFails()
    {
        var time = new ManualTimeProvider();
        await using var cluster = await CacheCluster.StartAsync(1, time: time);
        var cache = cluster[0];
        await cache.GetOrSetAsync("k", (_, _) => Task.FromResult("good"), TenSeconds);
        time.Advance(TimeSpan.FromSeconds(11));

        var served = await cache.GetOrSetAsync<string>("k", (_, _) => throw new InvalidOperationException("database down"), TenSeconds);

        Assert.Equal("good", served);
        Assert.Equal(1, cache.Statistics.StaleServedCount);
    }

    [Fact]
    public async Task AfterAFailSafeActivationTheFactoryIsNotRetriedUntilTheThrottleEnds()
    {
        var time = new ManualTimeProvider();
        await using var cluster = await CacheCluster.StartAsync(1, time: time);
        var cache = cluster[0];
        var options = TenSeconds with { FailSafeThrottleDuration = TimeSpan.FromSeconds(30) };
        await cache.GetOrSetAsync("k", (_, _) => Task.FromResult("good"), options);
        time.Advance(TimeSpan.FromSeconds(11));
        var failures = 0;
        Task<string> Failing(CacheFactoryContext c, CancellationToken t) { failures++; throw new InvalidOperationException("down"); }

        await cache.GetOrSetAsync<string>("k", Failing, options);
        time.Advance(TimeSpan.FromSeconds(20));
        await cache.GetOrSetAsync<string>("k", Failing, options);
        time.Advance(TimeSpan.FromSeconds(11));
        await cache.GetOrSetAsync<string>("k", Failing, options);

        Assert.Equal(2, failures);
    }

    [Fact]
    public async Task WithoutFailSafeTheFactoryErrorReachesTheCaller()
    {
        var time = new ManualTimeProvider();
        await using var cluster = await CacheCluster.StartAsync(1, time: time);
        var options = TenSeconds with { FailSafeMaxDuration = null };
        await cluster[0].GetOrSetAsync("k", (_, _) => Task.FromResult("good"), options);
        time.Advance(TimeSpan.FromSeconds(11));

        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await cluster[0].GetOrSetAsync<string>("k", (_, _) => throw new InvalidOperationException("database down"), options));
    }

    [Fact]
    public async Task SoftTimeoutAnswersWithTheStaleValueAndTheFactoryFinishesInTheBackground()
    {
        var time = new ManualTimeProvider();
        await using var cluster = await CacheCluster.StartAsync(1, time: time);
        var cache = cluster[0];
        var options = TenSeconds with { FactorySoftTimeout = TimeSpan.FromMilliseconds(100) };
        await cache.GetOrSetAsync("k", (_, _) => Task.FromResult("old"), options);
        time.Advance(TimeSpan.FromSeconds(11));
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);

        var call = cache.GetOrSetAsync("k", (_, _) => release.Task, options).AsTask();
        await Eventually.TrueAsync(() => { time.Advance(TimeSpan.FromMilliseconds(50)); return Task.FromResult(call.IsCompleted); }, TimeSpan.FromSeconds(10), "soft timeout");

        Assert.Equal("old", await call);
        release.SetResult("new");
        await Eventually.TrueAsync(() => Task.FromResult(cache.IsFreshInL1("k")), TimeSpan.FromSeconds(10), "background completion stored");
        Assert.Equal("new", await cache.GetOrSetAsync("k", (_, _) => Task.FromResult("unused"), options));
    }

    [Fact]
    public async Task HardTimeoutWithoutAStaleValueFailsTheCaller()
    {
        var time = new ManualTimeProvider();
        await using var cluster = await CacheCluster.StartAsync(1, time: time);
        var options = TenSeconds with { FactoryHardTimeout = TimeSpan.FromSeconds(2) };
        var never = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);

        var call = cluster[0].GetOrSetAsync("k", (_, _) => never.Task, options).AsTask();
        await Eventually.TrueAsync(() => { time.Advance(TimeSpan.FromMilliseconds(500)); return Task.FromResult(call.IsCompleted); }, TimeSpan.FromSeconds(10), "hard timeout");

        await Assert.ThrowsAsync<TimeoutException>(() => call);
        never.SetResult("late");
    }

    [Fact]
    public async Task HardTimeoutWithAStaleValueServesIt()
    {
        var time = new ManualTimeProvider();
        await using var cluster = await CacheCluster.StartAsync(1, time: time);
        var options = TenSeconds with { FactoryHardTimeout = TimeSpan.FromSeconds(2) };
        await cluster[0].GetOrSetAsync("k", (_, _) => Task.FromResult("old"), options);
        time.Advance(TimeSpan.FromSeconds(11));
        var never = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);

        var call = cluster[0].GetOrSetAsync("k", (_, _) => never.Task, options).AsTask();
        await Eventually.TrueAsync(() => { time.Advance(TimeSpan.FromMilliseconds(500)); return Task.FromResult(call.IsCompleted); }, TimeSpan.FromSeconds(10), "hard timeout");

        Assert.Equal("old", await call);
        never.SetResult("late");
    }

    [Fact]
    public async Task EagerRefreshReloadsInTheBackgroundBeforeExpiry()
    {
        var time = new ManualTimeProvider();
        await using var cluster = await CacheCluster.StartAsync(1, time: time);
        var cache = cluster[0];
        var options = TenSeconds with { EagerRefreshThreshold = 0.5f };
        var factory = new CountingFactory<string>(run => $"v{run}");
        await cache.GetOrSetAsync("k", factory.RunAsync, options);

        time.Advance(TimeSpan.FromSeconds(6));
        var during = await cache.GetOrSetAsync("k", factory.RunAsync, options);
        await Eventually.TrueAsync(async () => await cache.GetOrSetAsync("k", factory.RunAsync, options) == "v2", TimeSpan.FromSeconds(10), "eager refresh stored v2");

        Assert.Equal("v1", during);
        Assert.Equal(2, factory.Runs);
    }

    [Fact]
    public async Task WithoutEagerRefreshAHitNearExpiryRunsNoFactory()
    {
        var time = new ManualTimeProvider();
        await using var cluster = await CacheCluster.StartAsync(1, time: time);
        var factory = new CountingFactory<string>(run => $"v{run}");
        await cluster[0].GetOrSetAsync("k", factory.RunAsync, TenSeconds);

        time.Advance(TimeSpan.FromSeconds(9));
        await cluster[0].GetOrSetAsync("k", factory.RunAsync, TenSeconds);

        Assert.Equal(1, factory.Runs);
    }

    [Fact]
    public async Task ACallerArrivingDuringAFailedEagerRefreshGetsAValueNotNull()
    {
        var time = new ManualTimeProvider();
        await using var cluster = await CacheCluster.StartAsync(1, time: time);
        var cache = cluster[0];
        var options = TenSeconds with { EagerRefreshThreshold = 0.5f, FailSafeMaxDuration = null };
        await cache.GetOrSetAsync("k", (_, _) => Task.FromResult("v1"), options);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        time.Advance(TimeSpan.FromSeconds(6));
        await cache.GetOrSetAsync<string>("k", async (_, _) => { await gate.Task; throw new InvalidOperationException("refresh failed"); }, options);
        time.Advance(TimeSpan.FromSeconds(5));
        var call = cache.GetOrSetAsync("k", (_, _) => Task.FromResult("v2"), options).AsTask();
        gate.SetResult();

        Assert.Equal("v2", await call);
    }
}
