using Microsoft.Extensions.Diagnostics.HealthChecks;
using Platform.Testing;

namespace Platform.Messaging.Tests.Outbox;

public sealed class OutboxRelayMonitoringTests
{
    private const string Viewed = """{"productId":1,"categoryId":7,"occurredAt":"2024-05-01T00:00:00+00:00"}""";

    [Fact]
    public async Task MetricsAndReadinessReflectDepthAndAgeOfTheOldestUndispatchedRow()
    {
        await using var db = await TestDatabase.CreateMigratedAsync();
        // Ten minutes old and held back by a retry time: the relay sees them waiting but may not publish them yet.
        for (var i = 0; i < 3; i++)
        {
            await db.InsertRowAsync("catalog.product-viewed.v1", Viewed, ", created_at, next_attempt_at", ", now() - interval '10 minutes', now() + interval '1 hour'");
        }

        await using var relay = await RelayNode.StartAsync(db, TestIsolation.NewPrefix(), o =>
        {
            o.ReadinessMaxAge = TimeSpan.FromMinutes(1);
            o.StatsRefreshInterval = TimeSpan.FromMilliseconds(100);
            o.PollInterval = TimeSpan.FromMinutes(1);
        });
        var instruments = relay.Instruments;

        await Eventually.TrueAsync(() => Task.FromResult(instruments.Gauge("platform.outbox.depth") == 3), RelayHarness.Patience, "depth gauge 3");
        Assert.InRange(instruments.Gauge("platform.outbox.oldest_age"), 600, 700);
        Assert.Equal(1, instruments.Gauge("platform.outbox.active"));
        var degraded = await relay.HealthAsync();
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Contains("oldest undispatched message is 6", degraded.Entries["outbox-catalog"].Description, StringComparison.Ordinal);

        await db.ExecuteAsync("UPDATE catalog.outbox SET next_attempt_at = NULL; NOTIFY catalog_outbox");

        await relay.EventuallyAsync(() => Task.FromResult(instruments.Gauge("platform.outbox.depth") == 0), "depth gauge 0");
        Assert.Equal(0, instruments.Gauge("platform.outbox.oldest_age"));
        Assert.Equal(3, instruments.Counter("platform.outbox.published"));
        Assert.True(instruments.Counter("platform.outbox.publish_batch.duration") > 0);
        Assert.Equal(HealthStatus.Healthy, (await relay.HealthAsync()).Status);
        Assert.Equal(0, await db.UndispatchedAsync());
    }
}
