using Microsoft.Extensions.Logging;
using Platform.Testing;

namespace Platform.Messaging.Tests.Outbox;

public sealed class OutboxRelayPoisonTests
{
    [Fact]
    public async Task PoisonRowsAreMovedAsideAfterMaxAttemptsAndRowsAfterThemStillFlow()
    {
        await using var db = await TestDatabase.CreateMigratedAsync();
        var prefix = TestIsolation.NewPrefix();
        await using var receiver = await Receiver.StartAsync(prefix);
        var before = await db.WriteEventsAsync(3);
        var unknownType = await db.InsertRowAsync("catalog.product-teleported.v1", """{"productId":1}""");
        var badPayload = await db.InsertRowAsync("catalog.product-viewed.v1", """{"productId":"not a number","categoryId":7}""");
        var after = await db.WriteEventsAsync(3);

        await using var relay = await RelayNode.StartAsync(db, prefix, o =>
        {
            o.MaxAttempts = 3;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(50);
            o.RetryMaxDelay = TimeSpan.FromMilliseconds(100);
            o.PollInterval = TimeSpan.FromMinutes(1);
        });
        var instruments = relay.Instruments;

        await receiver.Received.WaitForAsync([.. before, .. after], RelayHarness.Patience);
        await relay.EventuallyAsync(
            async () => await db.ScalarAsync<long>("SELECT count(*) FROM catalog.outbox WHERE failed_at IS NOT NULL") == 2,
            "both poison rows moved aside");

        var rows = (await db.RowsAsync()).ToDictionary(r => r.MessageId);
        Assert.Equal(3, rows[unknownType].Attempts);
        Assert.Contains("unknown message type 'catalog.product-teleported.v1'", rows[unknownType].LastError, StringComparison.Ordinal);
        Assert.Null(rows[unknownType].DispatchedAt);
        Assert.Equal(3, rows[badPayload].Attempts);
        Assert.Contains("cannot be deserialised", rows[badPayload].LastError, StringComparison.Ordinal);
        Assert.All(before.Concat(after), id => Assert.NotNull(rows[id].DispatchedAt));
        Assert.Equal(6, receiver.Received.Distinct);
        Assert.Equal(2, await db.UndispatchedAsync());
        var movedAside = relay.Logs.Entries.Where(e => e.Level == LogLevel.Error && e.Message.Contains("moved aside", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, movedAside.Count);
        Assert.Single(movedAside, e => e.Message.Contains(unknownType.ToString(), StringComparison.Ordinal));
        Assert.Single(movedAside, e => e.Message.Contains(badPayload.ToString(), StringComparison.Ordinal));
        Assert.Equal(6, instruments.Counter("platform.outbox.failed", "reason=message"));
    }
}
