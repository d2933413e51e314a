using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Platform.Hosting.Configuration;
using Platform.Messaging.Bus;
using RabbitMQ.Client;

namespace AnalyticsAggregator.Ingest;

/// <summary>
/// Consumes the ingest queue straight through RabbitMQ.Client (ADR 008, "Ingest"): MassTransit's per-message pipeline
/// capped a node at about 9,000 messages/s here, a fifth of what the broker delivers and PostgreSQL stores. Holds one
/// <see cref="IngestSession"/> per broker connection and rebuilds it with backoff when the connection is lost;
/// deliveries not yet acked then come again and the message-id key makes the second write a no-op.
/// </summary>
public sealed partial class IngestService(
    RabbitMqConnector connector,
    IngestTopology topology,
    RawEventWriter writer,
    IngestStatus status,
    AnalyticsMetrics metrics,
    IOptions<AnalyticsOptions> options,
    IOptions<ConnectionStringsOptions> connectionStrings,
    TimeProvider time,
    ILogger<IngestService> logger) : BackgroundService
{
    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Host start must not wait for the broker.
        await Task.Yield();
        var failures = 0;
        var broker = new Uri(connectionStrings.Value.RabbitMq!);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await connector.ConnectAsync("analytics-ingest", stoppingToken);
                await topology.DeclareAsync(connection, stoppingToken);
                await using var session = await IngestSession.StartAsync(connection, topology, status, topology.InputAddress(broker), writer, metrics, options.Value, time, logger, stoppingToken);
                if (failures > 0)
                {
                    LogReconnected(logger, failures);
                }

                failures = 0;
                status.Consuming(topology.Queue);
                var reason = await session.Completion.WaitAsync(stoppingToken);
                status.Disconnected(reason);
                LogSessionEnded(logger, reason);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (RabbitMqConnector.IsBrokerFailure(e))
            {
                failures++;
                status.Disconnected(e.Message);
                LogBrokerFailure(logger, failures, e.Message);
            }

            // Whatever ended the session may end the next one at once too: never spin.
            var delay = TimeSpan.FromMilliseconds(Math.Min(MaxReconnectDelay.TotalMilliseconds, 250 * Math.Pow(2, Math.Min(failures, 6))));
            try
            {
                await Task.Delay(delay, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingest consuming again after {Failures} failed attempts")]
    private static partial void LogReconnected(ILogger logger, int failures);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingest session ended: {Reason}; reconnecting")]
    private static partial void LogSessionEnded(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingest cannot reach RabbitMQ (attempt {Failures}): {Reason}")]
    private static partial void LogBrokerFailure(ILogger logger, int failures, string reason);
}

/// <summary>
/// Whether the ingest consumer is attached to its queue; the <c>ingest</c> readiness check. Ours rather than
/// AspNetCore.HealthChecks.Rabbitmq, which only opens a channel: a broker that answers says nothing about whether this
/// consumer is subscribed (it may be backing off after a failed batch, or its queue may be gone).
/// </summary>
public sealed class IngestStatus : IHealthCheck
{
    private volatile string? _queue;
    private volatile string _reason = "not connected yet";
    private long _acked;

    public bool IsConsuming => _queue is not null;

    /// <summary>Deliveries acked since start (stored, duplicates and refused ones alike): done with, never redelivered.</summary>
    public long AckedDeliveries => Interlocked.Read(ref _acked);

    public void Acked(int deliveries) => Interlocked.Add(ref _acked, deliveries);

    public void Consuming(string queue) => _queue = queue;

    public void Disconnected(string reason)
    {
        _queue = null;
        _reason = reason;
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_queue is { } queue
            ? HealthCheckResult.Healthy($"consuming {queue}")
            : HealthCheckResult.Unhealthy($"not consuming: {_reason}"));
}
