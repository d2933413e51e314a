using Platform.Testing;

namespace Platform.Caching.Tests;

public sealed class InvalidationTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task RemoveOnOneNodeEvictsTheKeyOnEveryNode()
    {
        await using var cluster = await CacheCluster.StartAsync(3);
        for (var i = 0; i < 3; i++)
        {
            await cluster[i].GetOrSetAsync("k", (_, _) => Task.FromResult("v1"));
        }

        await cluster[0].RemoveAsync("k");

        Assert.False(cluster[0].IsFreshInL1("k"));
        await Eventually.TrueAsync(() => Task.FromResult(!cluster[1].IsFreshInL1("k") && !cluster[2].IsFreshInL1("k")), Deadline, "eviction on nodes 1 and 2");
        Assert.Equal("v2", await cluster[2].GetOrSetAsync("k", (_, _) => Task.FromResult("v2")));
    }

    [Fact]
    public async Task RemoveByTagEvictsEntriesOnEveryNodeWithoutTouchingOthers()
    {
        await using var cluster = await CacheCluster.StartAsync(2);
        foreach (var node in new[] { cluster[0], cluster[1] })
        {
            await node.GetOrSetAsync("a", (_, _) => Task.FromResult(1), tags: ["category:1"]);
            await node.GetOrSetAsync("b", (_, _) => Task.FromResult(2), tags: ["category:1", "lists"]);
            await node.GetOrSetAsync("c", (_, _) => Task.FromResult(3), tags: ["category:2"]);
        }

        await cluster[0].RemoveByTagAsync("category:1");

        await Eventually.TrueAsync(() => Task.FromResult(!cluster[1].IsFreshInL1("a") && !cluster[1].IsFreshInL1("b")), Deadline, "tag eviction on node 1");
        Assert.False(cluster[0].IsFreshInL1("a"));
        Assert.True(cluster[0].IsFreshInL1("c"), $"{cluster[0].DescribeHearing()} resumes {cluster[0].Statistics.BackplaneResumeCount} resyncs {cluster[0].Statistics.BackplaneResyncCount} gaps {cluster[0].Statistics.BackplaneGapCount}");
        Assert.True(cluster[1].IsFreshInL1("c"));
        // L2 honours the tag too: a third node does not find the tagged entry.
        var late = await cluster.AddNodeAsync();
        Assert.Equal(10, await late.GetOrSetAsync("a", (_, _) => Task.FromResult(10), tags: ["category:1"]));
        Assert.Equal(3, await late.GetOrSetAsync("c", (_, _) => Task.FromResult(30), tags: ["category:2"]));
    }

    [Fact]
    public async Task ValuesStoredAfterATagInvalidationAreFresh()
    {
        await using var cluster = await CacheCluster.StartAsync(2);
        await cluster[0].RemoveByTagAsync("lists");

        await cluster[0].GetOrSetAsync("page", (_, _) => Task.FromResult("new"), tags: ["lists"]);

        Assert.True(cluster[0].IsFreshInL1("page"));
        Assert.Equal("new", await cluster[1].GetOrSetAsync("page", (_, _) => Task.FromResult("other"), tags: ["lists"]));
    }

    [Fact]
    public async Task ExpireMakesTheValueStaleOnEveryNodeButKeepsItForFailSafe()
    {
        await using var cluster = await CacheCluster.StartAsync(2);
        await cluster[0].GetOrSetAsync("k", (_, _) => Task.FromResult("old"));
        await cluster[1].GetOrSetAsync("k", (_, _) => Task.FromResult("unused"));

        await cluster[0].ExpireAsync("k");

        await Eventually.TrueAsync(() => Task.FromResult(!cluster[1].IsFreshInL1("k")), Deadline, "expiry on node 1");
        var served = await cluster[1].GetOrSetAsync<string>("k", (_, _) => throw new InvalidOperationException("database down"));
        Assert.Equal("old", served);
    }

    [Fact]
    public async Task FactoryThatStartedBeforeARemoveDoesNotWriteItsValueBack()
    {
        await using var cluster = await CacheCluster.StartAsync(2);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);

        var slowRead = cluster[0].GetOrSetAsync("k", (_, _) => { started.SetResult(); return release.Task; }).AsTask();
        await started.Task;
        await cluster[1].RemoveAsync("k");
        release.SetResult("read-before-the-write");

        Assert.Equal("read-before-the-write", await slowRead);
        Assert.False(cluster[0].IsFreshInL1("k"));
        Assert.Equal("fresh", await cluster[0].GetOrSetAsync("k", (_, _) => Task.FromResult("fresh")));
        Assert.Equal("fresh", await cluster[1].GetOrSetAsync("k", (_, _) => Task.FromResult("reloaded-on-1")));
        Assert.True(cluster[0].Statistics.WriteBacksRefusedCount >= 1);
    }

    [Fact]
    public async Task FactoryThatStartedBeforeATagInvalidationDoesNotWriteItsValueBack()
    {
        await using var cluster = await CacheCluster.StartAsync(2);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);

        var slowRead = cluster[0].GetOrSetAsync("page", (_, _) => { started.SetResult(); return release.Task; }, tags: ["category:7"]).AsTask();
        await started.Task;
        await cluster[1].RemoveByTagAsync("category:7");
        release.SetResult("stale-page");

        Assert.Equal("stale-page", await slowRead);
        Assert.False(cluster[0].IsFreshInL1("page"));
        var runsOn1 = 0;
        Assert.Equal("reloaded", await cluster[1].GetOrSetAsync("page", (_, _) => { runsOn1++; return Task.FromResult("reloaded"); }, tags: ["category:7"]));
        Assert.Equal(1, runsOn1);
    }

    [Fact]
    public async Task WriteBackIsRefusedByRedisEvenBeforeTheNodeHearsOfTheInvalidation()
    {
        // The L2 write is conditional in Lua on the key's invalidation sequence: a node that never stored the
        // old value in L2 is what a third node proves (it would otherwise read "old" from L2).
        await using var cluster = await CacheCluster.StartAsync(2);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var slowRead = cluster[0].GetOrSetAsync("k", (_, _) => { started.SetResult(); return release.Task; }).AsTask();
        await started.Task;
        await cluster[1].RemoveAsync("k");

        release.SetResult("old");
        await slowRead;

        var late = await cluster.AddNodeAsync();
        Assert.Equal("new", await late.GetOrSetAsync("k", (_, _) => Task.FromResult("new")));
    }

    [Fact]
    public async Task OlderInvalidationArrivingLateDoesNotEvictANewerValue()
    {
        await using var cluster = await CacheCluster.StartAsync(2);
        await cluster[1].RemoveAsync("k");
        // Node 0 reads after the remove was recorded (its start sequence includes it) …
        await cluster[0].GetOrSetAsync("k", (_, _) => Task.FromResult("after-remove"));
        // … so when the remove reaches it, the newer value stays.
        await Eventually.TrueAsync(() => Task.FromResult(cluster[0].LastAppliedSeq >= cluster[1].LastAppliedSeq), Deadline, "node 0 applied the remove");

        Assert.True(cluster[0].IsFreshInL1("k"));
    }

    [Fact]
    public async Task ConcurrentInvalidationsFromOneNodeReachAnotherInSequenceOrder()
    {
        // Redis publishes in sequence order; the client must hand the messages over in the order it read them, or the
        // other node sees a gap for each overtaken message and replays it from the stream (and the gap alert fires).
        await using var cluster = await CacheCluster.StartAsync(2);
        await Parallel.ForEachAsync(
            Enumerable.Range(0, 2000),
            new ParallelOptions { MaxDegreeOfParallelism = 16 },
            async (i, _) => await cluster[0].RemoveAsync("k" + i));

        var last = (long)await cluster.Connection(0).GetDatabase().StringGetAsync(cluster.Prefix + "seq");
        await Eventually.TrueAsync(() => Task.FromResult(cluster[1].LastAppliedSeq >= last), Deadline, "node 1 applied every remove");

        Assert.Equal(0, cluster[1].Statistics.BackplaneGapCount);
    }
}
