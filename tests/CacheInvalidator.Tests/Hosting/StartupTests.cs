using Platform.Testing;

namespace CacheInvalidator.Tests.Hosting;

public sealed class StartupTests(ServiceFixture fixture) : IClassFixture<ServiceFixture>
{
    [Fact]
    public async Task ReadinessCoversPostgresRedisTheCacheAndTheBus()
    {
        await using var node = new ServiceHost<Program>(fixture.Settings);

        var checks = await Readiness.WaitForReadyChecksAsync(node.CreateClient());

        Assert.Contains("postgres", checks);
        Assert.Contains("redis", checks);
        Assert.Contains("cache", checks);
        Assert.Contains(checks, c => c.StartsWith("masstransit", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MigrateCreatedTheInvalidatorSchema()
    {
        await using var command = fixture.Database.DataSource.CreateCommand(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'invalidator' AND table_name = 'schema_migrations'");

        Assert.Equal(1L, await command.ExecuteScalarAsync());
    }
}
