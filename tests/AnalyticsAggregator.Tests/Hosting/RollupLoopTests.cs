using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts.Catalog;
using Platform.Testing;

namespace AnalyticsAggregator.Tests.Hosting;

/// <summary>The service as deployed: events in through the broker, rolled up on the interval, announced through its own relay.</summary>
public sealed class RollupLoopTests(AnalyticsFixture fixture) : IClassFixture<AnalyticsFixture>
{
    [Fact]
    public async Task TheServiceRollsUpOnItsIntervalAndItsRelayPublishesTheAnnouncement()
    {
        await using var node = fixture.StartAggregator(new Dictionary<string, string?>
        {
            ["Analytics:RollupEnabled"] = "true",
            ["Analytics:RollupInterval"] = "00:00:00.200",
        });
        var client = node.CreateClient();
        await Eventually.TrueAsync(async () => (await client.GetAsync(new Uri("/health/ready", UriKind.Relative))).IsSuccessStatusCode,
            AnalyticsFixture.Deadline, "aggregator ready");
        var bus = node.Services.GetRequiredService<IBus>();
        var category = AnalyticsFixture.NewCategory();

        await bus.Publish(new ProductViewed(5, category, AnalyticsFixture.At(0)));
        await bus.Publish(new ProductViewed(5, category, AnalyticsFixture.At(0)));

        await Eventually.TrueAsync(async () => await fixture.ViewsAsync(category, 5, AnalyticsFixture.Today) == 2, AnalyticsFixture.Deadline, "both views rolled up");
        await Eventually.TrueAsync(
            async () => await fixture.ScalarAsync<long>(
                $"SELECT count(*) FROM analytics.outbox WHERE dispatched_at IS NOT NULL AND payload -> 'categoryIds' @> '[{category}]'") >= 1,
            AnalyticsFixture.Deadline, "the rollup's announcement published");
    }
}
