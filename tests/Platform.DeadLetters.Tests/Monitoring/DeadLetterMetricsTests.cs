using Platform.Testing;

namespace Platform.DeadLetters.Tests.Monitoring;

/// <summary>Counters for stored, replayed, purged and failed replays, and the stored gauge per error queue.</summary>
public sealed class DeadLetterMetricsTests
{
    [Fact]
    public async Task MetricsCountStoredReplayedPurgedAndGaugeTheStoredPerQueue()
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        var consumer = await world.StartConsumerAsync();
        var node = await world.StartOpsNodeAsync();
        using var metrics = new DeadLetterInstruments(node.Services);
        var ids = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add(await consumer.PublishProductUpdatedAsync(i));
        }

        await world.WaitForStoredAsync(4);
        await Eventually.TrueAsync(() => Task.FromResult(metrics.Gauge("platform.dead_letters.current", world.ErrorQueue) == 4), DeadLetterHarness.Patience, "gauge at 4");
        Assert.Equal(0, metrics.Gauge("platform.dead_letters.current", $"{world.Prefix}-analytics-aggregator_error"));
        Assert.Equal(4, metrics.Sum("platform.dead_letters.stored"));
        var scrape = await node.Anonymous.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains($"platform_dead_letters_current{{queue=\"{world.ErrorQueue}\"}} 4", scrape, StringComparison.Ordinal);
        Assert.Contains("platform_dead_letters_stored_total{", scrape, StringComparison.Ordinal);

        consumer.Behaviour.Fail = false;
        var first = await world.RowAsync(ids[0].ToString());
        var second = await world.RowAsync(ids[1].ToString());
        await node.PostAsync("/ops/dead-letters/replay", new { ids = new[] { first.Id } });
        await node.PostAsync("/ops/dead-letters/purge", new { ids = new[] { second.Id } });
        await consumer.DisposeAsync();
        await world.DeleteQueueAsync(world.InputQueue);
        var third = await world.RowAsync(ids[2].ToString());
        await node.PostAsync("/ops/dead-letters/replay", new { ids = new[] { third.Id } });

        Assert.Equal(1, metrics.Sum("platform.dead_letters.replayed"));
        Assert.Equal(1, metrics.Sum("platform.dead_letters.purged"));
        Assert.Equal(1, metrics.Sum("platform.dead_letters.replay_failures"));
        await Eventually.TrueAsync(() => Task.FromResult(metrics.Gauge("platform.dead_letters.current", world.ErrorQueue) == 2), DeadLetterHarness.Patience, "gauge at 2");
    }

    [Fact]
    public async Task OldestAgeGaugeSaysHowLongTheOldestStoredDeadLetterHasWaited()
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        var consumer = await world.StartConsumerAsync();
        var node = await world.StartOpsNodeAsync();
        using var metrics = new DeadLetterInstruments(node.Services);

        await consumer.PublishProductUpdatedAsync(1);
        await world.WaitForStoredAsync(1);

        // Alerts fire on it ("dead letters waiting > 10 min", infra/prometheus/alerts.yml): it grows from the failure on.
        await Eventually.TrueAsync(() => Task.FromResult(metrics.Gauge("platform.dead_letters.oldest_age", world.ErrorQueue) > 0), DeadLetterHarness.Patience, "oldest age above 0");
        Assert.Equal(0, metrics.Gauge("platform.dead_letters.oldest_age", $"{world.Prefix}-analytics-aggregator_error"));
    }
}
