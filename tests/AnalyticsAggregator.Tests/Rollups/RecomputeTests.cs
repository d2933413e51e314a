using AnalyticsAggregator.Ingest;

namespace AnalyticsAggregator.Tests.Rollups;

/// <summary>Recompute rebuilds whole days from raw events and lands exactly where the incremental passes did.</summary>
public sealed class RecomputeTests(AnalyticsFixture fixture) : IClassFixture<AnalyticsFixture>
{
    [Fact]
    public async Task RecomputeEqualsTheIncrementalResultAndIsIdempotent()
    {
        var categories = new[] { AnalyticsFixture.NewCategory(), AnalyticsFixture.NewCategory() };
        var random = new Random(7);
        var kinds = new[] { EventKind.ProductViewed, EventKind.ProductViewed, EventKind.ProductViewed, EventKind.ProductUpdated, EventKind.ProductPriceChanged };
        RawEvent Random() => AnalyticsFixture.Event(kinds[random.Next(kinds.Length)], categories[random.Next(2)], random.Next(1, 15), random.Next(0, 5));

        // Several incremental passes, with late events for days already rolled up in between.
        for (var round = 0; round < 4; round++)
        {
            await fixture.IngestAsync([.. Enumerable.Range(0, 150).Select(_ => Random())]);
            await fixture.RollupAsync();
        }

        // Ingested but not rolled up yet: recompute must leave these to the next incremental pass.
        var pending = Enumerable.Range(0, 40).Select(_ => Random()).ToArray();
        await fixture.IngestAsync(pending);
        var incrementalProducts = await ProductRowsAsync();
        var incrementalCategories = await fixture.CategoryDailyAsync(categories);

        var first = await fixture.Job().RecomputeAsync(AnalyticsFixture.Today.AddDays(-4), AnalyticsFixture.Today, CancellationToken.None);
        var afterFirst = await ProductRowsAsync();
        await fixture.Job().RecomputeAsync(AnalyticsFixture.Today.AddDays(-4), AnalyticsFixture.Today, CancellationToken.None);

        Assert.Equal(incrementalProducts, afterFirst);
        Assert.Equal(incrementalProducts, await ProductRowsAsync());
        Assert.Equal(incrementalCategories, await fixture.CategoryDailyAsync(categories));
        Assert.Contains(categories[0], first.Categories);

        // The pending events are still counted exactly once, by the incremental pass.
        await fixture.RollupAsync();
        var incrementalAll = await ProductRowsAsync();
        await fixture.Job().RecomputeAsync(AnalyticsFixture.Today.AddDays(-4), AnalyticsFixture.Today, CancellationToken.None);
        Assert.Equal(incrementalAll, await ProductRowsAsync());
        Assert.Equal(incrementalProducts.Values.Sum(v => v.Views + v.Updates + v.PriceChanges) + pending.Length, incrementalAll.Values.Sum(v => v.Views + v.Updates + v.PriceChanges));

        async Task<SortedDictionary<string, (int Views, int Updates, int PriceChanges)>> ProductRowsAsync() => await fixture.ProductDailyAsync(categories);
    }

    [Fact]
    public async Task RecomputeLeavesDaysOutsideItsRangeAlone()
    {
        var category = AnalyticsFixture.NewCategory();
        await fixture.IngestAsync(AnalyticsFixture.View(category, 1, daysAgo: 20));
        await fixture.RollupAsync();

        await fixture.Job().RecomputeAsync(AnalyticsFixture.Today.AddDays(-19), AnalyticsFixture.Today.AddDays(-18), CancellationToken.None);

        Assert.Equal(1, await fixture.ViewsAsync(category, 1, AnalyticsFixture.Today.AddDays(-20)));
    }
}
