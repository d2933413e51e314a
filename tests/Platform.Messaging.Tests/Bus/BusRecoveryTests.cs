using System.Diagnostics;
using System.Globalization;
using MassTransit;
using Platform.Testing;
using Xunit.Abstractions;

namespace Platform.Messaging.Tests.Bus;

/// <summary>
/// The scenario of MassTransit#5942, on a RabbitMQ node of the test's own (never the shared one): a consumer endpoint
/// shaped like the invalidator's (quorum queue, prefetch 64, 32 at once, retries) under a steady publish load, the
/// broker killed with SIGKILL and started again. MassTransit 8.4.0 sometimes left the endpoint faulted ("Degraded",
/// consuming nothing) for minutes after that; this test holds MassTransit to coming back by itself.
/// </summary>
public sealed class BusRecoveryTests(ITestOutputHelper output)
{
    /// <summary>
    /// Longer than the one minute after which the invalidator's watchdog used to restart the process: an endpoint not
    /// back by then is the stuck state, not a slow reconnect.
    /// </summary>
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task ConsumerEndpointConsumesAgainAfterTheBrokerIsKilledUnderLoadAndRestarted()
    {
        await using var broker = await RabbitMqServer.StartAsync();
        var prefix = TestIsolation.NewPrefix();
        await using var consumer = await BusNode.StartConsumerAsync(broker.AmqpUri, prefix);
        await using var publisher = await BusNode.StartPublisherAsync(broker.AmqpUri, prefix);
        var cycles = Cycles();
        await using var load = PublishLoad.Start(publisher.Bus, TimeSpan.FromMinutes(1 + (2 * cycles)));
        for (var cycle = 1; cycle <= cycles; cycle++)
        {
            var before = consumer.Consumed.Count;
            await Eventually.TrueAsync(() => Task.FromResult(consumer.Consumed.Count >= before + 2_000), BusNode.Patience, "2,000 messages consumed under load before the kill");
            var backlogAtKill = load.Attempted - consumer.Consumed.Count;
            await broker.KillAsync();
            await Eventually.TrueAsync(
                () => Task.FromResult(consumer.Bus.CheckHealth().Status != BusHealthStatus.Healthy),
                BusNode.Patience,
                "the consumer's bus noticed that the broker is gone");

            await broker.RestartAsync();
            var sinceRestart = Stopwatch.StartNew();
            // The prefetched deliveries (64 at most) come again after a restart: only more than that is consuming again.
            var consumedAtRestart = consumer.Consumed.Count;
            try
            {
                await Eventually.TrueAsync(
                    () => Task.FromResult(consumer.Bus.CheckHealth().Status == BusHealthStatus.Healthy && consumer.Consumed.Count >= consumedAtRestart + 500),
                    Recovery,
                    $"cycle {cycle}: the consumer's bus Healthy again and 500 more messages consumed");
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException($"{e.Message}; bus health: {consumer.HealthDetail()}; consumed since the restart: {consumer.Consumed.Count - consumedAtRestart}; consumer log:\n{consumer.Log}", e);
            }

            output.WriteLine(
                $"cycle {cycle}: recovered {sinceRestart.Elapsed.TotalSeconds:0.0} s after the broker accepted AMQP again; " +
                $"{backlogAtKill} published and not yet consumed at the kill");
        }
    }

    /// <summary>Kill/restart cycles: 1 in the suite; <c>PLATFORM_BUS_RECOVERY_CYCLES</c> asks for more when hunting the rare stuck state.</summary>
    private static int Cycles() =>
        int.TryParse(Environment.GetEnvironmentVariable("PLATFORM_BUS_RECOVERY_CYCLES"), CultureInfo.InvariantCulture, out var cycles) && cycles > 0 ? cycles : 1;
}
