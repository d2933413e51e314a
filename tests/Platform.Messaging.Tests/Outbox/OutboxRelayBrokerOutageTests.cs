using Platform.Testing;

namespace Platform.Messaging.Tests.Outbox;

public sealed class OutboxRelayBrokerOutageTests
{
    [Fact]
    public async Task EveryEventWrittenWhileRabbitMqIsUnreachableArrivesWhenItIsBack()
    {
        await using var db = await TestDatabase.CreateMigratedAsync();
        var prefix = TestIsolation.NewPrefix();
        await using var proxy = new TcpProxy(TestServers.RabbitMq.Port);
        var throughProxy = new UriBuilder(TestServers.RabbitMq) { Port = proxy.Port }.Uri.ToString();
        await using var receiver = await Receiver.StartAsync(prefix, prefetch: 200);
        await using var relay = await RelayNode.StartAsync(db, prefix, o =>
        {
            o.PublishTimeout = TimeSpan.FromSeconds(2);
            o.BrokerRetryBaseDelay = TimeSpan.FromMilliseconds(200);
            o.BrokerRetryMaxDelay = TimeSpan.FromSeconds(1);
            o.MaxAttempts = 1;
        }, throughProxy);
        var instruments = relay.Instruments;
        var ids = new List<Guid>(await db.WriteEventsAsync(1));
        await receiver.Received.WaitForAsync(ids, RelayHarness.Patience);

        proxy.Cut();
        for (var i = 0; i < 5; i++)
        {
            // Writers never notice the outage: their transactions only touch PostgreSQL.
            ids.AddRange(await db.WriteEventsAsync(40));
        }

        await Eventually.TrueAsync(
            () => Task.FromResult(instruments.Counter("platform.outbox.failed", "reason=broker") >= 1),
            RelayHarness.Patience,
            "the relay tried and failed to publish while the broker was cut off");
        Assert.True(await db.UndispatchedAsync() > 0);
        proxy.Restore();

        await receiver.Received.WaitForAsync(ids, TimeSpan.FromSeconds(90));
        await Eventually.TrueAsync(async () => await db.UndispatchedAsync() == 0, RelayHarness.Patience, "every row dispatched");
        var rows = await db.RowsAsync();
        Assert.Equal(201, receiver.Received.Distinct);
        // MaxAttempts = 1: had a single outage failure counted against a message, it would have been moved aside.
        Assert.All(rows, r => Assert.Null(r.FailedAt));
        Assert.All(rows, r => Assert.Equal(0, r.Attempts));
    }
}
