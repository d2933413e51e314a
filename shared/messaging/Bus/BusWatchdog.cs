using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Platform.Messaging.Bus;

/// <summary>
/// Ends the process when MassTransit's receive endpoints stay unhealthy although RabbitMQ answers, so the process
/// supervisor starts it afresh. MassTransit 8 endpoints do not always come back after a broker restart (seen here
/// after a kill -9 of RabbitMQ under load: the bus Degraded, its endpoint never consuming again, for minutes; upstream
/// MassTransit#5942), and a consumer that silently stops consuming is worse than a restart. A broker that is really
/// down is not a reason: every check first connects to RabbitMQ itself. Exit code 75 (EX_TEMPFAIL). Opt in with
/// <see cref="BusOptions.StuckEndpointTimeout"/> &gt; 0 (the invalidator does; a publish-only service has no endpoint to lose).
/// </summary>
public sealed partial class BusWatchdog(
    IBusControl bus,
    RabbitMqConnector connector,
    IHostApplicationLifetime lifetime,
    IOptions<BusOptions> options,
    TimeProvider time,
    ILogger<BusWatchdog> logger) : BackgroundService
{
    public const int ExitCode = 75;

    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var limit = options.Value.StuckEndpointTimeout;
        if (limit <= TimeSpan.Zero)
        {
            return;
        }

        DateTimeOffset? stuckSince = null;
        using var timer = new PeriodicTimer(CheckInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var health = bus.CheckHealth();
                if (health.Status == BusHealthStatus.Healthy || !await BrokerAnswersAsync(stoppingToken))
                {
                    stuckSince = null;
                    continue;
                }

                stuckSince ??= time.GetUtcNow();
                if (time.GetUtcNow() - stuckSince.Value >= limit)
                {
                    LogStuck(logger, limit.TotalSeconds, health.Description);
                    Environment.ExitCode = ExitCode;
                    lifetime.StopApplication();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host stopping.
        }
    }

    private async Task<bool> BrokerAnswersAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await connector.ConnectAsync("bus-watchdog", cancellationToken);
            return connection.IsOpen;
        }
        catch (Exception e) when (RabbitMqConnector.IsBrokerFailure(e))
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "MassTransit has not been healthy for {Seconds} s although RabbitMQ answers ({Description}); stopping so the supervisor restarts this process")]
    private static partial void LogStuck(ILogger logger, double seconds, string description);
}
