using System.Diagnostics;
using Platform.Messaging.Outbox;
using Platform.Testing;

namespace Platform.Messaging.Tests.Outbox;

public sealed class OutboxRelayDeliveryTests
{
    [Fact]
    public async Task NotifyWakesTheRelayLongBeforeThePollInterval()
    {
        await using var db = await TestDatabase.CreateMigratedAsync();
        var prefix = TestIsolation.NewPrefix();
        await using var receiver = await Receiver.StartAsync(prefix);
        await using var relay = await RelayNode.StartAsync(db, prefix, o => o.PollInterval = TimeSpan.FromMinutes(1));
        // The first event proves the relay is up; after it the relay sleeps until NOTIFY or the one-minute poll.
        await receiver.Received.WaitForAsync(await db.WriteEventsAsync(1), RelayHarness.Patience);

        var written = Stopwatch.StartNew();
        var ids = await db.WriteEventsAsync(1);
        await receiver.Received.WaitForAsync(ids, TimeSpan.FromSeconds(50));

        Assert.True(written.Elapsed < TimeSpan.FromSeconds(10), $"took {written.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task BacklogIsPublishedInIdOrderedBatchesAndEveryRowIsMarkedDispatched()
    {
        await using var db = await TestDatabase.CreateMigratedAsync();
        var prefix = TestIsolation.NewPrefix();
        await using var receiver = await Receiver.StartAsync(prefix, prefetch: 500);
        var ids = new List<Guid>();
        for (var i = 0; i < 10; i++)
        {
            ids.AddRange(await db.WriteEventsAsync(100));
        }

        await using var relay = await RelayNode.StartAsync(db, prefix, o =>
        {
            o.BatchSize = 75;
            o.PollInterval = TimeSpan.FromMinutes(1);
        });

        await receiver.Received.WaitForAsync(ids, RelayHarness.Patience);
        await Eventually.TrueAsync(async () => await db.UndispatchedAsync() == 0, RelayHarness.Patience, "every row dispatched");

        var rows = await db.RowsAsync();
        Assert.Equal(1000, rows.Count);
        Assert.Equal(1000, receiver.Received.Distinct);
        Assert.All(rows, r => Assert.Equal(0, r.Attempts));
        // One UPDATE per batch stamps a batch with one time, batches follow each other in id order, and the
        // relay kept going without sleeping: at least ceil(1000 / 75) batches, never going back in time.
        var stamps = rows.Select(r => r.DispatchedAt!.Value).ToList();
        Assert.True(stamps.Distinct().Count() >= 14, $"{stamps.Distinct().Count()} batches");
        Assert.Equal(stamps.Order(), stamps);
        Assert.True(stamps.Max() - stamps.Min() < TimeSpan.FromSeconds(50), "a full batch is followed at once, not after the poll interval");
    }

    [Fact]
    public async Task ConcurrentBatchesClaimDisjointRowsAndPublishEachOnce()
    {
        await using var db = await TestDatabase.CreateMigratedAsync();
        var prefix = TestIsolation.NewPrefix();
        await using var receiver = await Receiver.StartAsync(prefix, prefetch: 500);
        var ids = await db.WriteEventsAsync(600);

        await using var relay = await RelayNode.StartAsync(db, prefix, o =>
        {
            o.BatchSize = 50;
            o.MaxConcurrentBatches = 3;
        });

        await receiver.Received.WaitForAsync(ids, RelayHarness.Patience);
        await Eventually.TrueAsync(async () => await db.UndispatchedAsync() == 0, RelayHarness.Patience, "every row dispatched");
        Assert.Equal(600, receiver.Received.Distinct);
        // Without a crash nothing is sent twice: SKIP LOCKED keeps the batches in flight apart.
        Assert.Equal(600, receiver.Received.Total);
    }

    [Fact]
    public async Task PublishedMessageKeepsTheOutboxMessageIdAndTheWritersHeaders()
    {
        await using var db = await TestDatabase.CreateMigratedAsync();
        var prefix = TestIsolation.NewPrefix();
        await using var receiver = await Receiver.StartAsync(prefix);
        await using var relay = await RelayNode.StartAsync(db, prefix);
        using var source = new ActivitySource("outbox-relay-tests");
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s == source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);

        Guid id;
        string traceId;
        var viewed = RelayHarness.NewEvent();
        using (var activity = source.StartActivity("write")!)
        {
            traceId = activity.TraceId.ToString();
            await using var connection = await db.DataSource.OpenConnectionAsync();
            id = await new OutboxWriter("catalog", "catalog-api").WriteAsync(connection, null, viewed);
        }

        await receiver.Received.WaitForAsync([id], RelayHarness.Patience);

        var received = receiver.Received.ById[id];
        Assert.Equal(viewed, received.Message);
        Assert.Equal("catalog-api", received.Source);
        Assert.Contains(traceId, received.TraceParent, StringComparison.Ordinal);
    }
}
