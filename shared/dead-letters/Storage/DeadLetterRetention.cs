using Microsoft.Extensions.Options;
using Npgsql;
using Platform.DeadLetters.Monitoring;

namespace Platform.DeadLetters.Storage;

/// <summary>
/// Deletes dead letters that were replayed or purged more than <see cref="DeadLetterOptions.RetentionDays"/> ago,
/// in batches, every <see cref="DeadLetterOptions.RetentionInterval"/>. Rows still <c>stored</c> are never deleted
/// (they are work for ops, whatever their age); the history of who replayed or purged what is kept. Every node may
/// run it: a batch deletes rows nobody else is deleting (<c>SKIP LOCKED</c>).
/// </summary>
internal sealed partial class DeadLetterRetention(
    NpgsqlDataSource db,
    DeadLetterMetrics metrics,
    IOptions<DeadLetterOptions> options,
    TimeProvider time,
    ILogger<DeadLetterRetention> logger) : BackgroundService
{
    private const int BatchSize = 1000;

    private const string DeleteSql = """
        DELETE FROM invalidator.dead_letters
        WHERE id IN (
            SELECT id FROM invalidator.dead_letters
            WHERE status <> 'stored' AND coalesce(purged_at, last_replayed_at, stored_at) < @horizon
            LIMIT @batch
            FOR UPDATE SKIP LOCKED)
        """;

    private readonly DeadLetterOptions _options = options.Value;

    /// <summary>One pass: deletes every replayed or purged row older than the horizon; returns how many.</summary>
    public async Task<long> RunOnceAsync(CancellationToken cancellationToken)
    {
        var horizon = time.GetUtcNow() - TimeSpan.FromDays(_options.RetentionDays);
        long deleted = 0;
        while (true)
        {
            await using var command = db.CreateCommand(DeleteSql);
            command.Parameters.AddWithValue("horizon", horizon);
            command.Parameters.AddWithValue("batch", BatchSize);
            var count = await command.ExecuteNonQueryAsync(cancellationToken);
            deleted += count;
            if (count < BatchSize)
            {
                break;
            }
        }

        if (deleted > 0)
        {
            metrics.Deleted(deleted);
            LogDeleted(logger, deleted, _options.RetentionDays);
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
                // The database is away: the next pass tries again; nothing is lost by waiting.
                LogFailed(logger, e.Message);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} dead letters replayed or purged more than {Days} days ago")]
    private static partial void LogDeleted(ILogger logger, long count, int days);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead-letter retention pass failed: {Reason}; trying again next interval")]
    private static partial void LogFailed(ILogger logger, string reason);
}
