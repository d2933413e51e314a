using AnalyticsAggregator.Ingest;
using AnalyticsAggregator.Rollups;
using Npgsql;
using Platform.Testing;

namespace AnalyticsAggregator.Tests.Rollups;

/// <summary>
/// Every ingested event is counted once: across repeated passes, redeliveries, passes killed before their commit,
/// restarts after it, events committed out of order, and two nodes rolling up while ingest runs.
/// </summary>
public sealed class ExactlyOnceTests(AnalyticsFixture fixture) : IClassFixture<AnalyticsFixture>
{
    [Fact]
    public async Task EachEventIsCountedOnceAcrossRepeatedRollups()
    {
        var category = AnalyticsFixture.NewCategory();
        await fixture.IngestAsync(AnalyticsFixture.View(category, 1), AnalyticsFixture.View(category, 1), AnalyticsFixture.View(category, 2));

        await fixture.RollupAsync();
        await fixture.RollupAsync();
        var again = await fixture.Job().RunAsync(CancellationToken.None);

        Assert.Equal(2, await fixture.ViewsAsync(category, 1, AnalyticsFixture.Today));
        Assert.Equal(1, await fixture.ViewsAsync(category, 2, AnalyticsFixture.Today));
        Assert.Equal(0, again.Events);
    }

    [Fact]
    public async Task RedeliveredEventsAreIgnoredBeforeAndAfterTheirRollup()
    {
        var category = AnalyticsFixture.NewCategory();
        RawEvent[] batch = [AnalyticsFixture.View(category, 1), AnalyticsFixture.View(category, 2), AnalyticsFixture.View(category, 2)];

        var first = await fixture.IngestAsync(batch);
        // The broker lost our ack after the commit: the same messages arrive again, once before the rollup and once after.
        var beforeRollup = await fixture.IngestAsync(batch);
        await fixture.RollupAsync();
        var afterRollup = await fixture.IngestAsync([.. batch, batch[0]]);
        await fixture.RollupAsync();

        Assert.Equal(new IngestResult(3, 0, 0), first);
        Assert.Equal(new IngestResult(0, 3, 0), beforeRollup);
        Assert.Equal(new IngestResult(0, 4, 0), afterRollup);
        Assert.Equal(1, await fixture.ViewsAsync(category, 1, AnalyticsFixture.Today));
        Assert.Equal(2, await fixture.ViewsAsync(category, 2, AnalyticsFixture.Today));
    }

    [Fact]
    public async Task AnEventCommittedAfterALaterOneIsCountedByTheNextRollup()
    {
        var category = AnalyticsFixture.NewCategory();
        await fixture.Partitions().EnsureAsync([AnalyticsFixture.Today], CancellationToken.None);
        var early = AnalyticsFixture.View(category, 1);
        var late = AnalyticsFixture.View(category, 2);

        // The early event's transaction takes its xid (and would take the lower identity) first but commits last.
        await using var slow = await fixture.Database.DataSource.OpenConnectionAsync();
        await using var transaction = await slow.BeginTransactionAsync();
        await AnalyticsFixture.InsertInTransactionAsync(slow, transaction, early);
        var earlyXid = await XidAsync(slow, transaction);
        await fixture.IngestAsync(late);

        var pass = await fixture.Job().RunAsync(CancellationToken.None);

        Assert.True(pass.To <= earlyXid, $"the watermark {pass.To} passed the open transaction {earlyXid}");
        Assert.Equal(0, await fixture.ViewsAsync(category, 1, AnalyticsFixture.Today));

        await transaction.CommitAsync();
        await fixture.RollupAsync();

        Assert.Equal(1, await fixture.ViewsAsync(category, 1, AnalyticsFixture.Today));
        Assert.Equal(1, await fixture.ViewsAsync(category, 2, AnalyticsFixture.Today));
    }

    [Fact]
    public async Task ARollupKilledBeforeItsCommitLeavesNoTraceAndTheNextCountsOnce()
    {
        var category = AnalyticsFixture.NewCategory();
        await fixture.IngestAsync(AnalyticsFixture.View(category, 1));
        await fixture.RollupAsync();
        await fixture.IngestAsync(AnalyticsFixture.View(category, 1), AnalyticsFixture.View(category, 1));
        var announcements = (await fixture.RollupEventsAsync(category)).Count;

        // Hold the product's row so the pass stops inside its transaction, after the safe point is taken, then kill it.
        await using var holder = await fixture.Database.DataSource.OpenConnectionAsync();
        await using var hold = await holder.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand($"SELECT 1 FROM analytics.product_daily WHERE category_id = {category} FOR UPDATE", holder, hold))
        {
            await lockRow.ExecuteNonQueryAsync();
        }

        Task<RollupResult>? pass = null;
        var pid = await Eventually.ReturnsAsync(async () =>
        {
            pass ??= fixture.Job().RunAsync(CancellationToken.None);
            if (pass.IsCompleted)
            {
                // Another database's older transaction held the (server-wide) safe point below our events: nothing of
                // ours was folded, so the pass did not reach the held row. Run another.
                await pass;
                Assert.Equal(1, await fixture.ViewsAsync(category, 1, AnalyticsFixture.Today));
                pass = null;
                return null;
            }

            return await fixture.ScalarAsync<int?>(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%analytics.product_daily%'");
        }, AnalyticsFixture.Deadline, "a rollup pass blocked on the held row");
        var watermark = await fixture.WatermarkAsync();
        await fixture.ScalarAsync<bool>($"SELECT pg_terminate_backend({pid})");
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => pass!);
        await hold.RollbackAsync();

        Assert.Equal(watermark, await fixture.WatermarkAsync());
        Assert.Equal(1, await fixture.ViewsAsync(category, 1, AnalyticsFixture.Today));
        Assert.Equal(announcements, (await fixture.RollupEventsAsync(category)).Count);

        await fixture.RollupAsync();

        Assert.Equal(3, await fixture.ViewsAsync(category, 1, AnalyticsFixture.Today));
        Assert.Equal(announcements + 1, (await fixture.RollupEventsAsync(category)).Count);
    }

    [Fact]
    public async Task ARollupThatCommittedIsNotRepeatedByTheNextNode()
    {
        var category = AnalyticsFixture.NewCategory();
        await fixture.IngestAsync(AnalyticsFixture.View(category, 1), AnalyticsFixture.View(category, 2));
        var committed = await fixture.RollupAsync();

        // The node died right after its commit; another node (a new job, new connections) carries on.
        var next = await fixture.Job().CatchUpAsync(AnalyticsFixture.Deadline, CancellationToken.None);

        Assert.True(committed.Events >= 2);
        Assert.Equal(0, next.Events);
        Assert.Equal(committed.To, next.From);
        Assert.Equal(1, await fixture.ViewsAsync(category, 1, AnalyticsFixture.Today));
        Assert.Single(await fixture.RollupEventsAsync(category));
    }

    [Fact]
    public async Task TwoNodesRollingUpDuringIngestCountEveryEventExactlyOnce()
    {
        var categories = Enumerable.Range(0, 3).Select(_ => AnalyticsFixture.NewCategory()).ToArray();
        var expected = new Dictionary<(long, long, int), int>();
        var batches = new List<RawEvent[]>();
        var random = new Random(42);
        for (var b = 0; b < 60; b++)
        {
            var batch = new List<RawEvent>();
            for (var i = 0; i < 100; i++)
            {
                var (category, product, daysAgo) = (categories[random.Next(3)], random.Next(1, 20), random.Next(0, 3));
                batch.Add(AnalyticsFixture.View(category, product, daysAgo));
                expected[(category, product, daysAgo)] = expected.GetValueOrDefault((category, product, daysAgo)) + 1;
            }

            batches.Add([.. batch]);
        }

        using var stop = new CancellationTokenSource();
        var nodes = new[] { fixture.Job(maxEventsPerPass: 250), fixture.Job(maxEventsPerPass: 250) };
        var rollers = nodes.Select(job => Task.Run(async () =>
        {
            var passes = 0;
            while (!stop.IsCancellationRequested)
            {
                passes += await job.TryRunAsync(CancellationToken.None) is null ? 0 : 1;
            }

            return passes;
        })).ToArray();
        // Four writers, each batch sent twice (a redelivery) and in an order that commits them out of step.
        await Parallel.ForEachAsync(batches.Concat(batches.Take(20)), new ParallelOptions { MaxDegreeOfParallelism = 4 },
            async (batch, ct) => await fixture.Writer().WriteAsync(batch, ct));
        await stop.CancelAsync();
        var passes = await Task.WhenAll(rollers);
        await fixture.RollupAsync();

        Assert.True(passes.Sum() > 1, "the nodes ran passes while ingest went on");
        var actual = await fixture.ProductDailyAsync(categories);
        var expectedRows = expected.ToDictionary(
            e => $"{e.Key.Item1}/{AnalyticsFixture.Today.AddDays(-e.Key.Item3):yyyy-MM-dd}/{e.Key.Item2}", e => (e.Value, 0, 0));
        Assert.Equal(expectedRows.OrderBy(e => e.Key, StringComparer.Ordinal), actual.ToList());
    }

    private static async Task<ulong> XidAsync(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        await using var command = new NpgsqlCommand("SELECT pg_current_xact_id()", connection, transaction);
        return (ulong)(await command.ExecuteScalarAsync())!;
    }
}
