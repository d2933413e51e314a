using AnalyticsAggregator.Ingest;

namespace AnalyticsAggregator.Tests.Ingest;

/// <summary>
/// Writers that meet a day without a partition at the same moment, while rollups run: every event is stored. (CI once
/// failed a write with "no partition of relation raw_events found for row" after another writer made the partition.)
/// </summary>
public sealed class NewDayRaceTests(AnalyticsFixture fixture) : IClassFixture<AnalyticsFixture>
{
    [Fact]
    public async Task ConcurrentWritersOfDaysWithoutAPartitionStoreEveryEvent()
    {
        var category = AnalyticsFixture.NewCategory();
        using var stop = new CancellationTokenSource();
        var rollers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            var job = fixture.Job(maxEventsPerPass: 100);
            while (!stop.IsCancellationRequested)
            {
                await job.TryRunAsync(CancellationToken.None);
            }
        })).ToArray();

        var stored = 0;
        var expected = 0;
        // Each round is three days no earlier round touched, so every round starts without their partitions.
        for (var round = 0; round < 9; round++)
        {
            var batches = Enumerable.Range(0, 6)
                .Select(_ => Enumerable.Range(0, 30).Select(i => AnalyticsFixture.View(category, i, 3 + (round * 3) + (i % 3))).ToArray())
                .ToArray();
            expected += batches.Sum(b => b.Length);
            var results = await Task.WhenAll(batches.Select(b => Task.Run(() => fixture.Writer().WriteAsync(b, CancellationToken.None))));
            stored += results.Sum(r => r.Stored);
        }

        await stop.CancelAsync();
        await Task.WhenAll(rollers);
        Assert.Equal(expected, stored);
    }
}
