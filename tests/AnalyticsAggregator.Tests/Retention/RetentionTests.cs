using AnalyticsAggregator.Ingest;

namespace AnalyticsAggregator.Tests.Retention;

/// <summary>Raw days are dropped whole once past retention and rolled up; what they held stays counted, never twice.</summary>
public sealed class RetentionTests(AnalyticsFixture fixture) : IClassFixture<AnalyticsFixture>
{
    [Fact]
    public async Task ExpiredDaysAreDroppedOnlyOnceRolledUpAndTheirRedeliveriesAreRefused()
    {
        var category = AnalyticsFixture.NewCategory();
        var daysAgo = fixture.Options.RawRetentionDays + 10;
        var day = AnalyticsFixture.Today.AddDays(-daysAgo);
        var old = AnalyticsFixture.View(category, 1, daysAgo);
        Assert.Equal(new IngestResult(1, 0, 0), await fixture.IngestAsync(old));

        var beforeRollup = await fixture.Partitions().DropExpiredAsync(CancellationToken.None);
        await fixture.RollupAsync();
        var afterRollup = await fixture.Partitions().DropExpiredAsync(CancellationToken.None);

        Assert.DoesNotContain(day, beforeRollup);
        Assert.Contains(day, afterRollup);
        Assert.DoesNotContain(day, await fixture.Partitions().ListAsync(CancellationToken.None));

        // A redelivery of the dropped event, and a new event of that day: neither can be told apart from a repeat any more.
        var redelivered = await fixture.IngestAsync(old, AnalyticsFixture.View(category, 1, daysAgo));
        await fixture.RollupAsync();

        Assert.Equal(new IngestResult(0, 0, 2), redelivered);
        Assert.Equal(1, await fixture.ViewsAsync(category, 1, day));
        await Assert.ThrowsAsync<InvalidOperationException>(() => fixture.Job().RecomputeAsync(day, AnalyticsFixture.Today, CancellationToken.None));
    }

    [Fact]
    public async Task EventsDatedBeyondThePartitionsMadeAheadAreDropped()
    {
        var category = AnalyticsFixture.NewCategory();

        var result = await fixture.IngestAsync(
            AnalyticsFixture.View(category, 1, daysAgo: -1),
            AnalyticsFixture.View(category, 1, daysAgo: -(fixture.Options.PartitionsAhead + 5)));

        Assert.Equal(new IngestResult(1, 0, 1), result);
    }

    [Fact]
    public async Task TheComingDaysHavePartitionsBeforeTheirFirstEvent()
    {
        var made = await fixture.Partitions().EnsureUpcomingAsync(CancellationToken.None);

        var expected = Enumerable.Range(0, fixture.Options.PartitionsAhead + 1).Select(AnalyticsFixture.Today.AddDays).ToList();
        Assert.Equal(expected, made.Order());
        Assert.Superset(expected.ToHashSet(), (await fixture.Partitions().ListAsync(CancellationToken.None)).ToHashSet());
    }
}
