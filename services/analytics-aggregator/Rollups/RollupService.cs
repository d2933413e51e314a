using AnalyticsAggregator.Retention;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AnalyticsAggregator.Rollups;

/// <summary>
/// The rollup loop every node runs: each <see cref="AnalyticsOptions.RollupInterval"/> it makes the coming days'
/// partitions, rolls up (only one node's pass runs; the others skip that tick), and hourly drops expired raw days.
/// A failed tick is logged and the next tick tries again: nothing is lost, the watermark simply did not move.
/// </summary>
internal sealed class RollupService(
    RollupJob job, RawEventPartitions partitions, IOptions<AnalyticsOptions> options, TimeProvider time, ILogger<RollupService> logger) : BackgroundService
{
    private static readonly TimeSpan RetentionCheckInterval = TimeSpan.FromHours(1);

    // Passes per tick while a backlog is worked off, so one tick cannot run for ever.
    private const int MaxPassesPerTick = 10;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.RollupEnabled)
        {
            return;
        }

        DateOnly? partitionsMadeFor = null;
        var nextRetention = time.GetUtcNow();
        using var timer = new PeriodicTimer(settings.RollupInterval, time);
        do
        {
            try
            {
                if (partitionsMadeFor != partitions.Today)
                {
                    await partitions.EnsureUpcomingAsync(stoppingToken);
                    partitionsMadeFor = partitions.Today;
                }

                for (var pass = 0; pass < MaxPassesPerTick; pass++)
                {
                    if (await job.TryRunAsync(stoppingToken) is not { More: true })
                    {
                        break;
                    }
                }

                if (time.GetUtcNow() >= nextRetention)
                {
                    await partitions.DropExpiredAsync(stoppingToken);
                    nextRetention = time.GetUtcNow() + RetentionCheckInterval;
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested && e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                logger.LogWarning(e, "Analytics rollup tick failed; the next tick, in {Interval}, tries again", settings.RollupInterval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
