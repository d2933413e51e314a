using Platform.Testing;

namespace AnalyticsAggregator.Tests.Hosting;

public sealed class StartupTests(ServiceFixture fixture) : IClassFixture<ServiceFixture>
{
    [Fact]
    public async Task ReadinessCoversPostgresAndTheBusButNotRedis()
    {
        await using var node = new ServiceHost<Program>(fixture.Settings);

        var checks = await Readiness.WaitForReadyChecksAsync(node.CreateClient());

        Assert.Contains("postgres", checks);
        Assert.Contains(checks, c => c.StartsWith("masstransit", StringComparison.Ordinal));
        Assert.DoesNotContain("redis", checks);
    }

    [Fact]
    public async Task MigrateCreatedTheAnalyticsTables()
    {
        await using var command = fixture.Database.DataSource.CreateCommand(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'analytics' AND table_name IN ('schema_migrations', 'outbox')");

        Assert.Equal(2L, await command.ExecuteScalarAsync());
    }
}
