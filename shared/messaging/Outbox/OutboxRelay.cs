using System.Data;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Messaging.Bus;

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
    RabbitMqConnector connector,
    IOptions<OutboxOptions> options,
    OutboxMetrics metrics,
    OutboxRelayStatus status,
    TimeProvider time,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    /// <summary>Source of the relay's producer activities, parented on the writer's stored trace context.</summary>
    public static readonly ActivitySource ActivitySource = new(OutboxMetrics.MeterName);

    private readonly OutboxOptions _options = options.Value;
    private readonly OutboxAmqpPublisher _publisher = new(bus, connector, options.Value.PublishTimeout, logger);
    private readonly long _lockKey = OutboxSchema.LockKey(schema);
    private readonly string _claim = OutboxSql.ClaimAndMark(schema);
    private readonly string _unmark = OutboxSql.Unmark(schema);
    private readonly string _markFailed = OutboxSql.MarkFailed(schema);
    private readonly string _stats = OutboxSql.Stats(schema);
    private readonly string _cleanup = OutboxSql.Cleanup(schema);
    private int _notified;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Host start must not wait for the first lock attempt.
        await Task.Yield();
        await using var publisher = _publisher;
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
                // Drains until the outbox runs dry, but hands back in time for the next observation (lock check) and cleanup.
                var outcome = await DispatchAsync(Min(nextObserve, nextCleanup), cancellationToken);
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

                if (outcome.Backlog)
                {
                    // It stopped at the deadline with more waiting: go again right after the observation.
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
    /// Publishes batches until one comes back short (the outbox is drained), the broker fails, or
    /// <paramref name="deadline"/> passes. A pipeline: the next batch is claimed while the ones before it publish, up
    /// to <see cref="OutboxOptions.MaxConcurrentBatches"/> publish at once, and batches commit in claim order. Claims
    /// run one after another, each in its own transaction, so each skips the rows the ones before it still hold.
    /// </summary>
    private async Task<DispatchOutcome> DispatchAsync(DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        var running = new List<Task<BatchOutcome>>(_options.MaxConcurrentBatches);
        var outcome = new DispatchOutcome();
        ExceptionDispatchInfo? failure = null;
        Task previousCommit = Task.CompletedTask;
        try
        {
            while (true)
            {
                // Claimed while earlier batches publish: the database round trip overlaps the broker's.
                var batch = await ClaimAsync(cancellationToken);
                if (batch is null)
                {
                    break;
                }

                while (running.Count >= _options.MaxConcurrentBatches)
                {
                    var done = await Task.WhenAny(running);
                    running.Remove(done);
                    try
                    {
                        outcome.Add(await done);
                    }
                    catch (Exception e)
                    {
                        failure ??= ExceptionDispatchInfo.Capture(e);
                    }
                }

                if (outcome.BrokerDown || failure is not null)
                {
                    // Rolled back unpublished: its rows wait like the rest until the broker or the database is back.
                    await batch.DisposeAsync();
                    break;
                }

                var complete = CompleteAsync(batch, previousCommit, cancellationToken);
                previousCommit = complete;
                running.Add(complete);
                if (batch.Rows.Count < _options.BatchSize)
                {
                    break;
                }

                if (time.GetUtcNow() >= deadline)
                {
                    outcome.Backlog = true;
                    break;
                }
            }
        }
        finally
        {
            // Every claimed batch is seen to its end, also when a claim throws or the host stops: a batch left
            // behind would hold its row locks, and published rows are recorded rather than sent again.
            foreach (var task in running)
            {
                try
                {
                    outcome.Add(await task);
                }
                catch (Exception e)
                {
                    failure ??= ExceptionDispatchInfo.Capture(e);
                }
            }
        }

        // A batch's database failure goes to the relay loop, which starts over after a pause.
        failure?.Throw();
        return outcome;
    }

    /// <summary>Claims (and provisionally marks) the next batch in a transaction of its own; null when nothing is due.</summary>
    private async Task<ClaimedBatch?> ClaimAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        NpgsqlTransaction? transaction = null;
        try
        {
            transaction = await connection.BeginTransactionAsync(cancellationToken);
            var rows = new List<OutboxRow>(_options.BatchSize);
            await using (var claim = new NpgsqlCommand(_claim, connection, transaction))
            {
                claim.Parameters.AddWithValue("limit", _options.BatchSize);
                await using var reader = await claim.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    rows.Add(new OutboxRow(
                        reader.GetInt64(0),
                        reader.GetGuid(1),
                        reader.IsDBNull(2) ? "" : reader.GetString(2),
                        reader.IsDBNull(3) ? "" : reader.GetString(3),
                        reader.IsDBNull(4) ? null : reader.GetString(4)));
                }
            }

            if (rows.Count == 0)
            {
                await transaction.DisposeAsync();
                await connection.DisposeAsync();
                return null;
            }

            // UPDATE … RETURNING comes back in any order; publishing in id order keeps a batch's broker order stable.
            rows.Sort(static (a, b) => a.Id.CompareTo(b.Id));
            return new ClaimedBatch(connection, transaction, rows, started);
        }
        catch
        {
            if (transaction is not null)
            {
                await transaction.DisposeAsync();
            }

            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Publishes a claimed batch, un-marks what the broker did not confirm, records message failures, and commits
    /// after <paramref name="previousCommit"/> (commits stay in claim order).
    /// </summary>
    private async Task<BatchOutcome> CompleteAsync(ClaimedBatch batch, Task previousCommit, CancellationToken cancellationToken)
    {
        await using var _ = batch;
        var rows = batch.Rows;
        var results = await _publisher.PublishAsync(rows, cancellationToken);

        // Published messages are recorded even while the host stops: otherwise they would all be sent again.
        var published = 0;
        var unsent = new List<long>();
        var failedIds = new List<long>();
        var failedErrors = new List<string>();
        Exception? brokerError = null;
        for (var i = 0; i < rows.Count; i++)
        {
            switch (results[i])
            {
                case { Kind: PublishResultKind.Published }:
                    published++;
                    break;
                case { Kind: PublishResultKind.MessageFailed } failure:
                    failedIds.Add(rows[i].Id);
                    failedErrors.Add(failure.Error!);
                    break;
                default:
                    unsent.Add(rows[i].Id);
                    brokerError ??= results[i].Exception;
                    break;
            }
        }

        if (unsent.Count > 0)
        {
            await using var unmark = new NpgsqlCommand(_unmark, batch.Connection, batch.Transaction);
            unmark.Parameters.Add(new NpgsqlParameter<long[]>("ids", [.. unsent]));
            await unmark.ExecuteNonQueryAsync(CancellationToken.None);
        }

        if (failedIds.Count > 0)
        {
            await MarkFailedAsync(batch.Connection, batch.Transaction, failedIds, failedErrors);
        }

        // Whether the batch before this one committed or failed, it is finished: only the order matters here.
        await previousCommit.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        await batch.Transaction.CommitAsync(CancellationToken.None);
        metrics.BatchDuration(schema, Stopwatch.GetElapsedTime(batch.Started));
        if (published > 0)
        {
            metrics.Published(schema, published);
        }

        if (failedIds.Count > 0)
        {
            metrics.Failed(schema, failedIds.Count, "message");
        }

        if (unsent.Count > 0)
        {
            metrics.Failed(schema, unsent.Count, "broker");
        }

        return new BatchOutcome(failedIds.Count, unsent.Count > 0 ? brokerError ?? new TimeoutException("publish not confirmed") : null);
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

    private sealed record BatchOutcome(int Failed, Exception? BrokerError);

    /// <summary>What one drain did, summed over its batches.</summary>
    private sealed class DispatchOutcome
    {
        public int Failed { get; private set; }

        public Exception? BrokerError { get; private set; }

        public bool BrokerDown => BrokerError is not null;

        /// <summary>Stopped at the deadline with full batches still coming.</summary>
        public bool Backlog { get; set; }

        public void Add(BatchOutcome batch)
        {
            Failed += batch.Failed;
            BrokerError ??= batch.BrokerError;
        }
    }

    /// <summary>A claimed batch: its rows, and the connection and transaction that hold their locks until commit.</summary>
    private sealed class ClaimedBatch(NpgsqlConnection connection, NpgsqlTransaction transaction, List<OutboxRow> rows, long started) : IAsyncDisposable
    {
        public NpgsqlConnection Connection { get; } = connection;

        public NpgsqlTransaction Transaction { get; } = transaction;

        public List<OutboxRow> Rows { get; } = rows;

        public long Started { get; } = started;

        public async ValueTask DisposeAsync()
        {
            // Without a commit the transaction rolls back: the claim's stamps go, the rows wait again.
            await Transaction.DisposeAsync();
            await Connection.DisposeAsync();
        }
    }
}

/// <summary>A claimed row, as the relay needs it.</summary>
internal sealed record OutboxRow(long Id, Guid MessageId, string MessageType, string Payload, string? Headers);
