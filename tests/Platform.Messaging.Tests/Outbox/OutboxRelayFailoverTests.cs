using Platform.Testing;

namespace Platform.Messaging.Tests.Outbox;

public sealed class OutboxRelayFailoverTests
{
    private static void Fast(Platform.Messaging.Outbox.OutboxOptions o)
    {
        o.StandbyRetryInterval = TimeSpan.FromMilliseconds(200);
        o.StatsRefreshInterval = TimeSpan.FromMilliseconds(200);
        o.BrokerRetryBaseDelay = TimeSpan.FromMilliseconds(200);
        o.BrokerRetryMaxDelay = TimeSpan.FromSeconds(1);
    }

    [Fact]
    public async Task OnlyOneOfTwoRelaysIsActiveAndTheOtherTakesOverWhenItStops()
    {
        await using var db = await TestDatabase.CreateMigratedAsync();
        var prefix = TestIsolation.NewPrefix();
        await using var receiver = await Receiver.StartAsync(prefix, prefetch: 200);
        await using var first = await RelayNode.StartAsync(db, prefix, Fast);
        await using var second = await RelayNode.StartAsync(db, prefix, Fast);
        // Both have run their loop (the standby observes the outbox between lock attempts).
        await Eventually.TrueAsync(
            () => Task.FromResult(first.Status.ObservedAt is not null && second.Status.ObservedAt is not null && (first.Status.IsActive || second.Status.IsActive)),
            RelayHarness.Patience,
            "both relays running, one active");
        var ids = new List<Guid>(await db.WriteEventsAsync(100));
        await receiver.Received.WaitForAsync(ids, RelayHarness.Patience);

        Assert.True(first.Status.IsActive ^ second.Status.IsActive, $"first active: {first.Status.IsActive}, second active: {second.Status.IsActive}");
        var (active, standby) = first.Status.IsActive ? (first, second) : (second, first);

        var writing = WriteWhileAsync(db, ids, TimeSpan.FromSeconds(2));
        await active.StopAsync();
        await writing;
        ids.AddRange(await db.WriteEventsAsync(50));

        await Eventually.TrueAsync(() => Task.FromResult(standby.Status.IsActive), RelayHarness.Patience, "standby took over");
        await receiver.Received.WaitForAsync(ids, RelayHarness.Patience);
        await Eventually.TrueAsync(async () => await db.UndispatchedAsync() == 0, RelayHarness.Patience, "every row dispatched");
        Assert.Equal(ids.Count, receiver.Received.Distinct);
    }

    [Fact]
    public async Task StandbyTakesOverWhenTheActiveRelaysLockSessionIsKilled()
    {
        await using var db = await TestDatabase.CreateMigratedAsync();
        var prefix = TestIsolation.NewPrefix();
        await using var receiver = await Receiver.StartAsync(prefix, prefetch: 200);
        // The first node pauses 10 s after losing its session, so the take-over is the standby's, not a quick re-lock.
        await using var first = await RelayNode.StartAsync(db, prefix, o =>
        {
            Fast(o);
            o.BrokerRetryBaseDelay = TimeSpan.FromSeconds(10);
            o.BrokerRetryMaxDelay = TimeSpan.FromSeconds(10);
        });
        await Eventually.TrueAsync(() => Task.FromResult(first.Status.IsActive), RelayHarness.Patience, "first relay active");
        await using var second = await RelayNode.StartAsync(db, prefix, Fast);
        await Eventually.TrueAsync(() => Task.FromResult(second.Status.ObservedAt is not null), RelayHarness.Patience, "second relay standing by");
        var ids = new List<Guid>(await db.WriteEventsAsync(20));
        await receiver.Received.WaitForAsync(ids, RelayHarness.Patience);
        Assert.False(second.Status.IsActive);

        // The session that holds this database's only advisory lock is the active relay's lock connection.
        var writing = WriteWhileAsync(db, ids, TimeSpan.FromSeconds(2));
        Assert.True(await db.ScalarAsync<bool>(
            """
            SELECT pg_terminate_backend(pid) FROM pg_locks
            WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """));
        await Eventually.TrueAsync(() => Task.FromResult(second.Status.IsActive), RelayHarness.Patience, "standby took over");
        await writing;
        ids.AddRange(await db.WriteEventsAsync(20));

        await receiver.Received.WaitForAsync(ids, RelayHarness.Patience);
        await Eventually.TrueAsync(async () => await db.UndispatchedAsync() == 0, RelayHarness.Patience, "every row dispatched");
        Assert.Equal(ids.Count, receiver.Received.Distinct);
        Assert.False(first.Status.IsActive);
    }

    /// <summary>Keeps committing small transactions for a while, so events are written across the fail-over.</summary>
    private static async Task WriteWhileAsync(TestDatabase db, List<Guid> ids, TimeSpan duration)
    {
        var until = DateTime.UtcNow + duration;
        var written = new List<Guid>();
        while (DateTime.UtcNow < until)
        {
            written.AddRange(await db.WriteEventsAsync(5));
        }

        lock (ids)
        {
            ids.AddRange(written);
        }
    }
}
