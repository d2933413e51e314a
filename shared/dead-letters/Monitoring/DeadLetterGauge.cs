using Microsoft.Extensions.Options;
using Platform.DeadLetters.Mover;
using Platform.DeadLetters.Storage;

namespace Platform.DeadLetters.Monitoring;

/// <summary>
/// Keeps the stored-count gauge fresh: reads the counts every <see cref="DeadLetterOptions.GaugeRefreshInterval"/>, and
/// soon after this node stores, replays or purges (<see cref="Nudge"/>). Configured queues report 0 rather than vanish.
/// </summary>
internal sealed partial class DeadLetterGauge(
    DeadLetterStore store,
    DeadLetterMetrics metrics,
    IOptions<DeadLetterOptions> options,
    DeadLetterQueues queues,
    TimeProvider time,
    ILogger<DeadLetterGauge> logger) : BackgroundService
{
    private readonly SemaphoreSlim _nudge = new(0, 1);

    public void Nudge()
    {
        // At most one pending nudge: a burst of stores causes one read, not one per message.
        if (_nudge.CurrentCount == 0)
        {
            try
            {
                _nudge.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another thread nudged first.
            }
        }
    }

    public override void Dispose()
    {
        _nudge.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var counts = new Dictionary<string, long>(StringComparer.Ordinal);
                var oldest = new Dictionary<string, DateTimeOffset?>(StringComparer.Ordinal);
                foreach (var queue in queues.Names)
                {
                    counts[queue] = 0;
                    oldest[queue] = null;
                }

                foreach (var (queue, (count, oldestFailedAt)) in await store.StoredCountsAsync(stoppingToken))
                {
                    counts[queue] = count;
                    oldest[queue] = oldestFailedAt;
                }

                metrics.SetCurrent(counts);
                metrics.SetOldest(oldest);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
            {
                // The gauge keeps its last value; the postgres readiness check reports the outage.
                LogRefreshFailed(e);
            }

            try
            {
                using var delay = new CancellationTokenSource(options.Value.GaugeRefreshInterval, time);
                using var either = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, delay.Token);
                await _nudge.WaitAsync(either.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // The interval passed without a nudge.
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead-letter gauge could not read the stored counts")]
    private partial void LogRefreshFailed(Exception exception);
}
