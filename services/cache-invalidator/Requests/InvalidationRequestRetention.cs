using Microsoft.Extensions.Options;
using Npgsql;

namespace CacheInvalidator.Requests;

/// <summary>
/// Deletes recorded requests older than <see cref="InvalidationAuditOptions.RetentionDays"/>, in batches, every
/// <see cref="InvalidationAuditOptions.RetentionInterval"/>. Every node may run it: batches skip rows another node is deleting.
/// </summary>
public sealed partial class InvalidationRequestRetention(
    InvalidationRequestLog log,
    IOptions<InvalidationAuditOptions> options,
    TimeProvider time,
    ILogger<InvalidationRequestRetention> logger) : BackgroundService
{
    private const int BatchSize = 1000;

    private readonly InvalidationAuditOptions _options = options.Value;

    /// <summary>One pass; returns how many rows it deleted.</summary>
    public async Task<long> RunOnceAsync(CancellationToken cancellationToken)
    {
        var horizon = time.GetUtcNow() - TimeSpan.FromDays(_options.RetentionDays);
        long deleted = 0;
        int count;
        do
        {
            count = await log.DeleteOlderAsync(horizon, BatchSize, cancellationToken);
            deleted += count;
        }
        while (count == BatchSize);

        if (deleted > 0)
        {
            LogDeleted(deleted, _options.RetentionDays);
        }

        return deleted;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (NpgsqlException e)
            {
                // The database is away: the next pass catches up; rows only wait a little longer.
                LogFailed(e.Message);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            try
            {
                await Task.Delay(_options.RetentionInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} invalidation requests recorded more than {Days} days ago")]
    private partial void LogDeleted(long count, int days);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Invalidation request retention failed: {Reason}; trying again next interval")]
    private partial void LogFailed(string reason);
}
