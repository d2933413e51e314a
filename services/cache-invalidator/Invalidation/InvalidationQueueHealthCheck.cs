using Microsoft.Extensions.Diagnostics.HealthChecks;
using Platform.Messaging.Bus;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace CacheInvalidator.Invalidation;

/// <summary>
/// Readiness check <c>invalidation-queue</c>: the broker's own count of consumers on the invalidation queue. MassTransit's
/// bus check reports an endpoint Ready when the broker refused its consumer — narrowing RabbitMQ permissions (issue #13)
/// showed a 403 on MassTransit's fault exchange leaving the queue with 0 consumers while every check said Healthy, and
/// each message redelivered about every 28 s. Degraded (HTTP 200), not Unhealthy, for the reason the outbox check gives:
/// it must page someone, not take the ops console out of the load balancer when ops need it. The count is every node's:
/// with several invalidators, one whose consumer is gone still reads Healthy while another consumes the queue.
/// </summary>
public sealed class InvalidationQueueHealthCheck(RabbitMqConnector connector, string queue) : IHealthCheck, IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnection? _connection;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_connection is not { IsOpen: true })
            {
                await CloseAsync();
                _connection = await connector.ConnectAsync("health", cancellationToken);
            }

            // A channel per probe: a passive declare of a missing queue closes its channel.
            await using var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
            var state = await channel.QueueDeclarePassiveAsync(queue, cancellationToken);
            var data = new Dictionary<string, object> { ["consumers"] = state.ConsumerCount, ["ready"] = state.MessageCount };
            return state.ConsumerCount > 0
                ? HealthCheckResult.Healthy($"{queue}: {state.ConsumerCount} consumer(s), {state.MessageCount} message(s) ready", data)
                : HealthCheckResult.Degraded($"{queue} has no consumer: invalidations wait there ({state.MessageCount} ready); check the invalidator's log for a refused consumer (e.g. ACCESS_REFUSED)", data: data);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return HealthCheckResult.Degraded($"{queue} does not exist yet (the bus declares it when its endpoint starts)");
        }
        catch (Exception e) when (RabbitMqConnector.IsBrokerFailure(e))
        {
            await CloseAsync();
            return HealthCheckResult.Degraded($"cannot ask RabbitMQ about {queue}: {e.Message}");
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        _gate.Dispose();
    }

    private async Task CloseAsync()
    {
        var connection = _connection;
        _connection = null;
        if (connection is null)
        {
            return;
        }

        try
        {
            await connection.DisposeAsync();
        }
        catch (Exception e) when (RabbitMqConnector.IsBrokerFailure(e))
        {
            // Already gone.
        }
    }
}
