using CacheInvalidator.Invalidation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Platform.Messaging.Bus;
using Platform.Testing;
using RabbitMQ.Client;

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
        Assert.Contains("invalidation-queue", checks);
    }

    [Fact]
    public async Task TheInvalidationQueueCheckIsHealthyOnlyWhileTheBrokerCountsAConsumer()
    {
        await using var node = new ServiceHost<Program>(fixture.Settings);
        await Readiness.WaitForReadyChecksAsync(node.CreateClient());
        var served = node.Services.GetRequiredService<InvalidationQueueHealthCheck>();
        var connector = node.Services.GetRequiredService<RabbitMqConnector>();
        var context = new HealthCheckContext { Registration = new HealthCheckRegistration("invalidation-queue", served, HealthStatus.Unhealthy, null) };
        var idle = $"{fixture.BusPrefix}-idle-{Guid.NewGuid():N}";
        await using (var connection = await connector.ConnectAsync("test", CancellationToken.None))
        await using (var channel = await connection.CreateChannelAsync())
        {
            await channel.QueueDeclareAsync(idle, durable: false, exclusive: false, autoDelete: false);
        }

        await using var withoutConsumer = new InvalidationQueueHealthCheck(connector, idle);
        await using var missing = new InvalidationQueueHealthCheck(connector, idle + "-missing");
        try
        {
            // The service's own queue: its consumer is attached once readiness answers 200.
            var consumed = await Eventually.ReturnsAsync(async () =>
                await served.CheckHealthAsync(context) is { Status: HealthStatus.Healthy } r ? r : (HealthCheckResult?)null, TimeSpan.FromSeconds(30), "a consumer on the invalidation queue");
            Assert.True((uint)consumed.Data["consumers"] >= 1);

            var idleResult = await withoutConsumer.CheckHealthAsync(context);
            Assert.Equal(HealthStatus.Degraded, idleResult.Status);
            Assert.Contains("has no consumer", idleResult.Description, StringComparison.Ordinal);

            var missingResult = await missing.CheckHealthAsync(context);
            Assert.Equal(HealthStatus.Degraded, missingResult.Status);
            Assert.Contains("does not exist", missingResult.Description, StringComparison.Ordinal);
        }
        finally
        {
            await using var connection = await connector.ConnectAsync("test", CancellationToken.None);
            await using var channel = await connection.CreateChannelAsync();
            await channel.QueueDeleteAsync(idle);
        }
    }

    [Fact]
    public async Task MigrateCreatedTheInvalidatorSchema()
    {
        await using var command = fixture.Database.DataSource.CreateCommand(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'invalidator' AND table_name = 'schema_migrations'");

        Assert.Equal(1L, await command.ExecuteScalarAsync());
    }
}
