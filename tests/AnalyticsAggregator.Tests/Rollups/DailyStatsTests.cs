using System.Globalization;
using AnalyticsAggregator.Ingest;

namespace AnalyticsAggregator.Tests.Rollups;

/// <summary>What the daily tables hold after a rollup, and what the rollup announces.</summary>
public sealed class DailyStatsTests(AnalyticsFixture fixture) : IClassFixture<AnalyticsFixture>
{
    [Fact]
    public async Task ProductDaysCountViewsUpdatesAndPriceChanges()
    {
        var category = AnalyticsFixture.NewCategory();
        await fixture.IngestAsync(
            AnalyticsFixture.View(category, 1),
            AnalyticsFixture.View(category, 1),
            AnalyticsFixture.Event(EventKind.ProductCreated, category, 1),
            AnalyticsFixture.Event(EventKind.ProductUpdated, category, 1),
            AnalyticsFixture.Event(EventKind.ProductDeleted, category, 2),
            AnalyticsFixture.Event(EventKind.ProductPriceChanged, category, 1),
            AnalyticsFixture.Event(EventKind.CategoryChanged, category, null));

        await fixture.RollupAsync();

        var today = AnalyticsFixture.Today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        Assert.Equal(
            [new($"{category}/{today}/1", (2, 2, 1)), new($"{category}/{today}/2", (0, 1, 0))],
            (await fixture.ProductDailyAsync(category)).ToList());
    }

    [Fact]
    public async Task CategoryDaysCountViewsDistinctProductsViewedAndActiveProducts()
    {
        var category = AnalyticsFixture.NewCategory();
        await fixture.IngestAsync(AnalyticsFixture.View(category, 1), AnalyticsFixture.View(category, 1), AnalyticsFixture.View(category, 2));
        await fixture.RollupAsync();
        // A second pass on the same day: distinct products must not be added up across passes.
        await fixture.IngestAsync(
            AnalyticsFixture.View(category, 1),
            AnalyticsFixture.View(category, 3),
            AnalyticsFixture.Event(EventKind.ProductPriceChanged, category, 4));
        await fixture.RollupAsync();

        var today = AnalyticsFixture.Today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        Assert.Equal([new($"{category}/{today}", (5L, 3, 4))], (await fixture.CategoryDailyAsync(category)).ToList());
    }

    [Fact]
    public async Task LateEventsFoldIntoTheDayTheyHappened()
    {
        var category = AnalyticsFixture.NewCategory();
        await fixture.IngestAsync(AnalyticsFixture.View(category, 1), AnalyticsFixture.View(category, 1, daysAgo: 3));
        await fixture.RollupAsync();

        // Arrives after its day was rolled up, and for a day (5 days ago) never seen before.
        await fixture.IngestAsync(AnalyticsFixture.View(category, 1, daysAgo: 3), AnalyticsFixture.View(category, 2, daysAgo: 5));
        await fixture.RollupAsync();

        Assert.Equal(1, await fixture.ViewsAsync(category, 1, AnalyticsFixture.Today));
        Assert.Equal(2, await fixture.ViewsAsync(category, 1, AnalyticsFixture.Today.AddDays(-3)));
        Assert.Equal(1, await fixture.ViewsAsync(category, 2, AnalyticsFixture.Today.AddDays(-5)));
        var late = (await fixture.RollupEventsAsync(category))[^1];
        Assert.Equal(
            [AnalyticsFixture.Today.AddDays(-5).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), AnalyticsFixture.Today.AddDays(-3).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)],
            late.GetProperty("days").EnumerateArray().Select(d => d.GetString()).ToList());
    }

    [Fact]
    public async Task ARollupAnnouncesTheCategoriesItChangedThroughItsOutbox()
    {
        var (a, b, untouched) = (AnalyticsFixture.NewCategory(), AnalyticsFixture.NewCategory(), AnalyticsFixture.NewCategory());
        await fixture.IngestAsync(AnalyticsFixture.View(untouched, 1));
        await fixture.RollupAsync();
        await fixture.IngestAsync(AnalyticsFixture.View(a, 1), AnalyticsFixture.View(b, 1, daysAgo: 1));

        var pass = await fixture.RollupAsync();

        var announced = Assert.Single(await fixture.RollupEventsAsync(a));
        Assert.Equal([a, b], announced.GetProperty("categoryIds").EnumerateArray().Select(c => c.GetInt64()).Where(c => c == a || c == b).Order());
        Assert.DoesNotContain(untouched, announced.GetProperty("categoryIds").EnumerateArray().Select(c => c.GetInt64()));
        Assert.Equal((long)pass.To, announced.GetProperty("watermark").GetInt64());
        Assert.Single(await fixture.RollupEventsAsync(untouched));
    }

    [Fact]
    public async Task ARollupWithNothingNewAnnouncesNothing()
    {
        var category = AnalyticsFixture.NewCategory();
        await fixture.IngestAsync(AnalyticsFixture.View(category, 1));
        await fixture.RollupAsync();
        var outbox = await fixture.ScalarAsync<long>("SELECT count(*) FROM analytics.outbox");

        var pass = await fixture.RollupAsync();

        Assert.Equal(0, pass.Events);
        Assert.Equal(outbox, await fixture.ScalarAsync<long>("SELECT count(*) FROM analytics.outbox"));
    }
}
