using Platform.Testing;

namespace Platform.Messaging.Tests.Outbox;

public sealed class OutboxRelayRetentionTests
{
    private const string Viewed = """{"productId":1,"categoryId":7,"occurredAt":"2024-05-01T00:00:00+00:00"}""";

    [Fact]
    public async Task RetentionDeletesOnlyDispatchedRowsOlderThanTheRetention()
    {
        await using var db = await TestDatabase.CreateMigratedAsync();
        var oldDispatched = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            oldDispatched.Add(await db.InsertRowAsync("catalog.product-viewed.v1", Viewed, ", created_at, dispatched_at", ", now() - interval '3 days', now() - interval '2 days'"));
        }

        var keep = new List<Guid>
        {
            await db.InsertRowAsync("catalog.product-viewed.v1", Viewed, ", created_at, dispatched_at", ", now() - interval '3 days', now() - interval '1 hour'"),
            await db.InsertRowAsync("catalog.product-viewed.v1", Viewed, ", created_at, dispatched_at", ", now() - interval '3 days', now() - interval '1 hour'"),
            // Old but never published: waiting for a retry, and moved aside. Neither is the cleanup's to delete.
            await db.InsertRowAsync("catalog.product-viewed.v1", Viewed, ", created_at, next_attempt_at", ", now() - interval '3 days', now() + interval '1 day'"),
            await db.InsertRowAsync("catalog.teleported.v1", Viewed, ", created_at, failed_at, attempts", ", now() - interval '3 days', now() - interval '2 days', 10"),
        };

        await using var relay = await RelayNode.StartAsync(db, TestIsolation.NewPrefix(), o =>
        {
            o.Retention = TimeSpan.FromDays(1);
            o.CleanupInterval = TimeSpan.FromMilliseconds(100);
            o.CleanupBatchSize = 2;
        });

        await Eventually.TrueAsync(
            async () => await db.ScalarAsync<long>("SELECT count(*) FROM catalog.outbox WHERE dispatched_at < now() - interval '1 day'") == 0,
            RelayHarness.Patience,
            "old dispatched rows deleted");

        Assert.Equal(keep.Order(), (await db.RowsAsync()).Select(r => r.MessageId).Order());
    }
}
