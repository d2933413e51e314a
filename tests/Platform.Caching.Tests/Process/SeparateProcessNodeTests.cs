using Platform.Testing;

namespace Platform.Caching.Tests.Process;

/// <summary>
/// Nodes as separate OS processes (no shared statics, no shared multiplexer): the backplane and the cluster lock
/// are the only links between them, as in production. <see cref="NodeProcess"/> runs each.
/// </summary>
public sealed class SeparateProcessNodeTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task RemoveInOneProcessEvictsTheKeyFromTheL1OfTheOtherProcesses()
    {
        var prefix = TestIsolation.NewPrefix() + ":";
        await using var a = await NodeProcess.StartAsync("A", prefix);
        await using var b = await NodeProcess.StartAsync("B", prefix);
        await using var c = await NodeProcess.StartAsync("C", prefix);
        var onA = await a.GetOrSetAsync("k", "v1");
        // C finds A's value in L2: one cluster, three processes.
        var onC = await c.GetOrSetAsync("k", "unused");

        await b.RemoveAsync("k");

        await Eventually.TrueAsync(async () => !await a.IsFreshInL1Async("k") && !await c.IsFreshInL1Async("k"), Deadline, "A and C evict k");
        Assert.Equal(("v1", true), onA);
        Assert.Equal(("v1", false), onC);
        Assert.Equal(("v2", true), await a.GetOrSetAsync("k", "v2"));
        Assert.Equal(("v2", false), await c.GetOrSetAsync("k", "unused"));
    }

    [Fact]
    public async Task RemoveByTagInOneProcessEvictsOnlyTheTaggedEntriesInAnother()
    {
        var prefix = TestIsolation.NewPrefix() + ":";
        await using var a = await NodeProcess.StartAsync("A", prefix);
        await using var b = await NodeProcess.StartAsync("B", prefix);
        await a.GetOrSetAsync("page-1", "p1", "category:1", "lists");
        await a.GetOrSetAsync("page-2", "p2", "category:2", "lists");

        await b.RemoveByTagAsync("category:1");

        await Eventually.TrueAsync(async () => !await a.IsFreshInL1Async("page-1"), Deadline, "A evicts page-1");
        Assert.True(await a.IsFreshInL1Async("page-2"));
        // L2 honours the tag version too: B does not find the invalidated page there.
        Assert.Equal(("p1-new", true), await b.GetOrSetAsync("page-1", "p1-new", "category:1", "lists"));
        Assert.Equal(("p2", false), await b.GetOrSetAsync("page-2", "unused", "category:2", "lists"));
    }

    [Fact]
    public async Task AProcessKilledWhileHoldingTheClusterLockDelaysAnotherProcessOnlyUntilTheLockExpires()
    {
        var prefix = TestIsolation.NewPrefix() + ":";
        var lockDuration = TimeSpan.FromSeconds(1);
        await using var a = await NodeProcess.StartAsync("A", prefix, lockDuration);
        await using var b = await NodeProcess.StartAsync("B", prefix, lockDuration);
        await a.HoldClusterLockForeverAsync("cold");
        var lockedBeforeKill = await TestRedis.Database.KeyExistsAsync(prefix + "lock:cold");

        await a.KillAsync();
        // B would give up on the holder only after a minute, past the reply timeout: an answer means the lock expired.
        var onB = await b.GetOrSetSingleFlightAsync("cold", "from-b");

        Assert.True(lockedBeforeKill);
        Assert.Equal(("from-b", true), onB);
        // B stored its value and released the lock: A, restarted, reads it from L2 without a factory.
        await using var restarted = await NodeProcess.StartAsync("A2", prefix, lockDuration);
        Assert.Equal(("from-b", false), await restarted.GetOrSetSingleFlightAsync("cold", "unused"));
        // Released after the callers were answered (the end of the flight), so not necessarily yet.
        await Eventually.TrueAsync(async () => !await TestRedis.Database.KeyExistsAsync(prefix + "lock:cold"), Deadline, "the lock released");
    }
}
