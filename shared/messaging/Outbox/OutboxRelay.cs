using System.Data;
using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Platform.Messaging.Outbox;

/// <summary>
/// Publishes one schema's outbox rows through MassTransit. Runs on every node; the node whose dedicated connection
/// holds the schema's session advisory lock is active, the others stand by and retry the lock. The active relay
/// LISTENs on <c>&lt;schema&gt;_outbox</c> on that same connection, so it wakes at the commit of every write, and polls
/// slowly as a fallback. See docs/adr/005-outbox-relay.md.
/// </summary>
internal sealed partial class OutboxRelay(
    string schema,
    NpgsqlDataSource dataSource,
    IBusControl bus,
    IOptions<OutboxOptions> options,
    OutboxMetrics metrics,
    OutboxRelayStatus status,
    TimeProvider time,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    /// <summary>Source of the relay's producer activities, parented on the writer's stored trace context.</summary>
    public static readonly ActivitySource ActivitySource = new(OutboxMetrics.MeterName);

    private readonly OutboxOptions _options = options.Value;
    private readonly OutboxPublisher _publisher = new(bus, options.Value.PublishTimeout);
    private readonly long _lockKey = OutboxSchema.LockKey(schema);
    private readonly string _claim = OutboxSql.Claim(schema);
    private readonly string _markDispatched = OutboxSql.MarkDispatched(schema);
    private readonly string _markFailed = OutboxSql.MarkFailed(schema);
    private readonly string _stats = OutboxSql.Stats(schema);
    private readonly string _cleanup = OutboxSql.Cleanup(schema);
    private int _notified;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Host start must not wait for the first lock attempt.
        await Task.Yield();
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await TryRunActiveAsync(stoppingToken))
                {
                    await ObserveAsync(null, stoppingToken);
                    failures = 0;
                    await Task.Delay(_options.StandbyRetryInterval, time, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A relay that dies quietly is worse than one that retries: database errors, a killed lock
                // connection and bugs alike end the active phase and start over after a pause.
                failures++;
                var pause = Backoff(failures, _options.BrokerRetryBaseDelay, _options.BrokerRetryMaxDelay);
                LogRelayError(e, schema, pause.TotalSeconds);
                try
                {
                    await Task.Delay(pause, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task<bool> TryRunActiveAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var tryLock = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection))
        {
            tryLock.Parameters.AddWithValue("key", _lockKey);
            if (await tryLock.ExecuteScalarAsync(cancellationToken) is not true)
            {
                return false;
            }
        }

        connection.Notification += OnNotification;
        try
        {
            await using (var listen = new NpgsqlCommand($"LISTEN {OutboxSchema.Channel(schema)}", connection))
            {
                await listen.ExecuteNonQueryAsync(cancellationToken);
            }

            status.SetActive(true);
            LogActive(schema);
            await RunActiveAsync(connection, cancellationToken);
            return true;
        }
        finally
        {
            status.SetActive(false);
            connection.Notification -= OnNotification;
            await ReleaseAsync(connection);
            LogStandingDown(schema);
        }
    }

    private async Task RunActiveAsync(NpgsqlConnection lockConnection, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var nextPoll = now;
        var nextObserve = now;
        var nextCleanup = now;
        DateTimeOffset? retryDue = null;
        var brokerFailures = 0;
        var backlog = false;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            now = time.GetUtcNow();
            if (now >= nextObserve)
            {
                // On the lock connection: a killed session surfaces here even while batches keep the relay busy.
                retryDue = await ObserveAsync(lockConnection, cancellationToken);
                nextObserve = now + _options.StatsRefreshInterval;
            }

            if (now >= nextCleanup)
            {
                await CleanupAsync(cancellationToken);
                nextCleanup = now + _options.CleanupInterval;
            }

            var notified = Interlocked.Exchange(ref _notified, 0) == 1;
            if (notified || now >= nextPoll || now >= retryDue)
            {
                var outcome = await DispatchAsync(backlog, cancellationToken);
                backlog = outcome.Claimed >= _options.BatchSize;
                nextPoll = time.GetUtcNow() + _options.PollInterval;
                if (outcome.BrokerDown)
                {
                    brokerFailures++;
                    var pause = Backoff(brokerFailures, _options.BrokerRetryBaseDelay, _options.BrokerRetryMaxDelay);
                    if (brokerFailures == 1)
                    {
                        LogBrokerDown(outcome.BrokerError, schema, pause.TotalSeconds);
                    }

                    await Task.Delay(pause, time, cancellationToken);
                    nextPoll = time.GetUtcNow();
                    continue;
                }

                if (brokerFailures > 0)
                {
                    LogBrokerBack(schema, brokerFailures);
                    brokerFailures = 0;
                }

                if (outcome.Failed > 0)
                {
                    // A retried message is due no earlier than this; the next observation refines it.
                    var hint = time.GetUtcNow() + _options.RetryBaseDelay;
                    retryDue = retryDue is { } due && due > now && due < hint ? due : hint;
                }
                else if (now >= retryDue)
                {
                    retryDue = null;
                }

                if (backlog)
                {
                    // A full batch means more is probably waiting: go again without sleeping.
                    Volatile.Write(ref _notified, 1);
                }

                continue;
            }

            var wake = Min(Min(nextPoll, nextObserve), Min(nextCleanup, retryDue ?? DateTimeOffset.MaxValue));
            // Whole milliseconds, at least one: Npgsql takes a timeout of 0 ms as "wait forever", which would sleep
            // through every deadline until the next NOTIFY.
            var waitMs = Math.Ceiling((wake - now).TotalMilliseconds);
            if (waitMs >= 1 && await lockConnection.WaitAsync(TimeSpan.FromMilliseconds(waitMs), cancellationToken))
            {
                Volatile.Write(ref _notified, 1);
            }
        }
    }

    /// <summary>
    /// One batch, or while a backlog drains <see cref="OutboxOptions.MaxConcurrentBatches"/> at once: each claims
    /// different rows (SKIP LOCKED), so the database work of one overlaps the broker round trips of another.
    /// </summary>
    private async Task<BatchOutcome> DispatchAsync(bool backlog, CancellationToken cancellationToken)
    {
        if (!backlog || _options.MaxConcurrentBatches == 1)
        {
            return await DispatchBatchAsync(cancellationToken);
        }

        var outcomes = await Task.WhenAll(Enumerable.Range(0, _options.MaxConcurrentBatches).Select(_ => DispatchBatchAsync(cancellationToken)));
        return new BatchOutcome(
            outcomes.Max(o => o.Claimed),
            outcomes.Sum(o => o.Published),
            outcomes.Sum(o => o.Failed),
            outcomes.FirstOrDefault(o => o.BrokerDown)?.BrokerError);
    }

    private async Task<BatchOutcome> DispatchBatchAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var rows = await ClaimAsync(connection, transaction, cancellationToken);
        if (rows.Count == 0)
        {
            await transaction.CommitAsync(cancellationToken);
            return new BatchOutcome(0, 0, 0, null);
        }

        var results = await _publisher.PublishAsync(rows, cancellationToken);

        // Published messages are recorded even while the host stops: otherwise they would all be sent again.
        var published = new List<long>(rows.Count);
        var failedIds = new List<long>();
        var failedErrors = new List<string>();
        Exception? brokerError = null;
        for (var i = 0; i < rows.Count; i++)
        {
            switch (results[i])
            {
                case { Kind: PublishResultKind.Published }:
                    published.Add(rows[i].Id);
                    break;
                case { Kind: PublishResultKind.MessageFailed } failure:
                    failedIds.Add(rows[i].Id);
                    failedErrors.Add(failure.Error!);
                    break;
                case { Kind: PublishResultKind.BrokerFailed } failure:
                    brokerError ??= failure.Exception;
                    break;
            }
        }

        if (published.Count > 0)
        {
            await using var mark = new NpgsqlCommand(_markDispatched, connection, transaction);
            mark.Parameters.Add(new NpgsqlParameter<long[]>("ids", [.. published]));
            await mark.ExecuteNonQueryAsync(CancellationToken.None);
        }

        if (failedIds.Count > 0)
        {
            await MarkFailedAsync(connection, transaction, failedIds, failedErrors);
        }

        await transaction.CommitAsync(CancellationToken.None);
        metrics.BatchDuration(schema, Stopwatch.GetElapsedTime(started));
        if (published.Count > 0)
        {
            metrics.Published(schema, published.Count);
        }

        if (failedIds.Count > 0)
        {
            metrics.Failed(schema, failedIds.Count, "message");
        }

        var notSent = rows.Count - published.Count - failedIds.Count;
        if (notSent > 0)
        {
            metrics.Failed(schema, notSent, "broker");
        }

        return new BatchOutcome(rows.Count, published.Count, failedIds.Count, brokerError);
    }

    private async Task<List<OutboxRow>> ClaimAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var claim = new NpgsqlCommand(_claim, connection, transaction);
        claim.Parameters.AddWithValue("limit", _options.BatchSize);
        await using var reader = await claim.ExecuteReaderAsync(cancellationToken);
        var rows = new List<OutboxRow>(_options.BatchSize);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new OutboxRow(
                reader.GetInt64(0),
                reader.GetGuid(1),
                reader.IsDBNull(2) ? "" : reader.GetString(2),
                reader.IsDBNull(3) ? "" : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4)));
        }

        return rows;
    }

    private async Task MarkFailedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, List<long> ids, List<string> errors)
    {
        await using var mark = new NpgsqlCommand(_markFailed, connection, transaction);
        mark.Parameters.Add(new NpgsqlParameter<long[]>("ids", [.. ids]));
        mark.Parameters.Add(new NpgsqlParameter<string[]>("errors", [.. errors]));
        mark.Parameters.AddWithValue("base_s", _options.RetryBaseDelay.TotalSeconds);
        mark.Parameters.AddWithValue("max_s", _options.RetryMaxDelay.TotalSeconds);
        mark.Parameters.AddWithValue("max_attempts", _options.MaxAttempts);
        await using var reader = await mark.ExecuteReaderAsync(CancellationToken.None);
        var movedAside = 0;
        while (await reader.ReadAsync(CancellationToken.None))
        {
            var error = errors[ids.IndexOf(reader.GetInt64(0))];
            if (reader.GetBoolean(4))
            {
                movedAside++;
                LogMovedAside(schema, reader.GetGuid(1), reader.IsDBNull(2) ? "" : reader.GetString(2), reader.GetInt32(3), error);
            }
            else
            {
                LogAttemptFailed(schema, reader.GetGuid(1), reader.GetInt32(3), error);
            }
        }

        if (movedAside > 0)
        {
            metrics.MovedAside(schema, movedAside);
        }
    }

    private async Task<DateTimeOffset?> ObserveAsync(NpgsqlConnection? connection, CancellationToken cancellationToken)
    {
        await using var pooled = connection is null ? await dataSource.OpenConnectionAsync(cancellationToken) : null;
        await using var stats = new NpgsqlCommand(_stats, connection ?? pooled);
        await using var reader = await stats.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var depth = reader.GetInt64(0);
        TimeSpan? age = reader.IsDBNull(1) ? null : TimeSpan.FromSeconds(Math.Max(0, reader.GetDouble(1)));
        var now = time.GetUtcNow();
        DateTimeOffset? retryDue = reader.IsDBNull(2) ? null : now + TimeSpan.FromSeconds(reader.GetDouble(2));
        status.Observe(depth, age, now);
        return retryDue;
    }

    private async Task CleanupAsync(CancellationToken cancellationToken)
    {
        var total = 0;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        while (true)
        {
            await using var delete = new NpgsqlCommand(_cleanup, connection);
            delete.Parameters.AddWithValue("retention_s", _options.Retention.TotalSeconds);
            delete.Parameters.AddWithValue("limit", _options.CleanupBatchSize);
            var deleted = await delete.ExecuteNonQueryAsync(cancellationToken);
            total += deleted;
            if (deleted < _options.CleanupBatchSize)
            {
                break;
            }
        }

        if (total > 0)
        {
            LogCleanedUp(schema, total, _options.Retention);
        }
    }

    private async Task ReleaseAsync(NpgsqlConnection connection)
    {
        if (connection.FullState != ConnectionState.Open)
        {
            // A broken session ended on the server, and its lock with it.
            return;
        }

        try
        {
            await using var release = new NpgsqlCommand("UNLISTEN *; SELECT pg_advisory_unlock(@key)", connection) { CommandTimeout = 5 };
            release.Parameters.AddWithValue("key", _lockKey);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            // The connection broke on the way out: Npgsql discards it, the session ends and releases the lock.
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e) => Volatile.Write(ref _notified, 1);

    internal static TimeSpan Backoff(int failures, TimeSpan baseDelay, TimeSpan maxDelay)
    {
        var factor = Math.Pow(2, Math.Min(failures - 1, 30));
        return TimeSpan.FromTicks((long)Math.Min(baseDelay.Ticks * factor, maxDelay.Ticks));
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    [LoggerMessage(LogLevel.Information, "Outbox relay for schema {Schema} is active on this node")]
    private partial void LogActive(string schema);

    [LoggerMessage(LogLevel.Information, "Outbox relay for schema {Schema} stood down")]
    private partial void LogStandingDown(string schema);

    [LoggerMessage(LogLevel.Error, "Outbox relay for schema {Schema} failed; retrying in {PauseSeconds} s")]
    private partial void LogRelayError(Exception exception, string schema, double pauseSeconds);

    [LoggerMessage(LogLevel.Warning, "Outbox relay for schema {Schema} cannot reach the broker; pausing {PauseSeconds} s and backing off until it is back (writes keep succeeding)")]
    private partial void LogBrokerDown(Exception? exception, string schema, double pauseSeconds);

    [LoggerMessage(LogLevel.Information, "Outbox relay for schema {Schema} reaches the broker again after {Failures} failed batches")]
    private partial void LogBrokerBack(string schema, int failures);

    [LoggerMessage(LogLevel.Error, "Outbox message {MessageId} ({MessageType}) in schema {Schema} moved aside after {Attempts} attempts: {Error}")]
    private partial void LogMovedAside(string schema, Guid messageId, string messageType, int attempts, string error);

    [LoggerMessage(LogLevel.Debug, "Outbox message {MessageId} in schema {Schema} failed attempt {Attempts}: {Error}")]
    private partial void LogAttemptFailed(string schema, Guid messageId, int attempts, string error);

    [LoggerMessage(LogLevel.Information, "Outbox cleanup in schema {Schema} deleted {Count} dispatched rows older than {Retention}")]
    private partial void LogCleanedUp(string schema, int count, TimeSpan retention);

    private sealed record BatchOutcome(int Claimed, int Published, int Failed, Exception? BrokerError)
    {
        public bool BrokerDown => BrokerError is not null;
    }
}

/// <summary>A claimed row, as the relay needs it.</summary>
internal sealed record OutboxRow(long Id, Guid MessageId, string MessageType, string Payload, string? Headers);
