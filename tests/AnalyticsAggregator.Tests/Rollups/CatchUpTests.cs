using Npgsql;

namespace AnalyticsAggregator.Tests.Rollups;

/// <summary><c>rollup --once</c> folds everything committed before it, and says who holds it back when it cannot.</summary>
public sealed class CatchUpTests(AnalyticsFixture fixture) : IClassFixture<AnalyticsFixture>
{
    [Fact]
    public async Task CatchUpNamesTheOpenTransactionThatHoldsTheSafePointBack()
    {
        var category = AnalyticsFixture.NewCategory();
        await using var open = await fixture.Database.DataSource.OpenConnectionAsync();
        await using var transaction = await open.BeginTransactionAsync();
        await using (var takeXid = new NpgsqlCommand("SELECT pg_current_xact_id()", open, transaction))
        {
            await takeXid.ExecuteScalarAsync();
        }

        await fixture.IngestAsync(AnalyticsFixture.View(category, 1));

        var error = await Assert.ThrowsAsync<TimeoutException>(() => fixture.Job().CatchUpAsync(TimeSpan.FromMilliseconds(300), CancellationToken.None));

        // Ours, unless another database on the shared test server holds an even older one: either way, one is named.
        Assert.Matches("held back by an older open transaction: pid [0-9]+ in database ", error.Message);
        Assert.Equal(0, await fixture.ViewsAsync(category, 1, AnalyticsFixture.Today));

        await transaction.RollbackAsync();
        await fixture.RollupAsync();

        Assert.Equal(1, await fixture.ViewsAsync(category, 1, AnalyticsFixture.Today));
    }
}
