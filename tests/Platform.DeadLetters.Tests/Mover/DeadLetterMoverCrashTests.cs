using Microsoft.Extensions.DependencyInjection;
using Platform.DeadLetters.Mover;
using Platform.DeadLetters.Operations;
using Platform.Testing;

namespace Platform.DeadLetters.Tests.Mover;

/// <summary>
/// The mover dies between committing a row and acking its delivery. Simulated at the network: the node reaches RabbitMQ
/// through a <see cref="TcpProxy"/>, and the mover's after-commit hook (DeadLetterMoverHooks, a test seam run after the
/// commit and before the ack) cuts the proxy, so the ack never reaches the broker — exactly what the broker sees when
/// the process is killed there. The node is then stopped and a fresh one started, as a restart would.
/// </summary>
public sealed class DeadLetterMoverCrashTests
{
    [Fact]
    public async Task MoverKilledBetweenCommitAndAckLosesNothingAndDoublesNothing()
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        await using var proxy = new TcpProxy(TestServers.RabbitMq.Port);
        var viaProxy = new UriBuilder(TestServers.RabbitMq) { Port = proxy.Port }.Uri;
        var consumer = await world.StartConsumerAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await consumer.PublishProductUpdatedAsync(i));
        }

        await Eventually.TrueAsync(async () => await world.QueueDepthAsync(world.ErrorQueue) == 5, DeadLetterHarness.Patience, "5 faults in the error queue");
        var committed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var hooks = new DeadLetterMoverHooks
        {
            AfterCommitAsync = (record, _) =>
            {
                if (committed.TrySetResult(record.MessageId))
                {
                    proxy.Cut();
                }

                return Task.CompletedTask;
            },
        };

        var dying = await world.StartOpsNodeAsync(s => s.AddSingleton(hooks), viaProxy, withBus: false);
        var killedAfter = await committed.Task.WaitAsync(DeadLetterHarness.Patience);
        await dying.DisposeAsync();

        // The row is committed, the delivery is not acked: the broker still holds all five.
        Assert.Equal(DeadLetterStatus.Stored, (await world.RowAsync(killedAfter)).Status);
        await Eventually.TrueAsync(async () => await world.QueueDepthAsync(world.ErrorQueue) == 5, DeadLetterHarness.Patience, "unacked deliveries back in the queue");

        proxy.Restore();
        DeadLetterInstruments? metrics = null;
        await world.StartOpsNodeAsync(rabbitMq: viaProxy, withBus: false, beforeStart: s => metrics = new DeadLetterInstruments(s));
        await world.WaitForStoredAsync(5);
        await Eventually.TrueAsync(async () => await world.QueueDepthAsync(world.ErrorQueue) == 0, DeadLetterHarness.Patience, "error queue drained");
        await Eventually.TrueAsync(() => Task.FromResult(metrics!.Sum("platform.dead_letters.duplicates") >= 1), DeadLetterHarness.Patience, "redelivery recognised");

        Assert.Equal(5L, await world.ScalarAsync<long>("SELECT count(*) FROM invalidator.dead_letters"));
        foreach (var id in ids)
        {
            var row = await world.RowAsync(id.ToString());
            Assert.Equal((DeadLetterStatus.Stored, 1, 0), (row.Status, row.FailureCount, row.ReplayCount));
        }

        metrics!.Dispose();
    }
}
