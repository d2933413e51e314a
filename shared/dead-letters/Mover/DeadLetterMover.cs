using Microsoft.Extensions.Options;
using Platform.DeadLetters.Monitoring;
using Platform.DeadLetters.Storage;
using Platform.Messaging.Bus;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Platform.DeadLetters.Mover;

/// <summary>
/// Drains the configured MassTransit error queues into the dead-letter store. Each delivery is stored and committed
/// first and acked after, so a crash in between loses nothing: the broker redelivers it and the store recognises the
/// duplicate (same queue and message id, still stored) and it is acked without a change. A database failure nacks the
/// delivery back to the queue after a growing pause. A lost broker connection is rebuilt with backoff.
/// </summary>
internal sealed partial class DeadLetterMover(
    DeadLetterQueues queues,
    RabbitMqConnector connector,
    DeadLetterStore store,
    DeadLetterMetrics metrics,
    DeadLetterGauge gauge,
    DeadLetterMoverStatus status,
    DeadLetterMoverHooks hooks,
    IOptions<DeadLetterOptions> options,
    TimeProvider time,
    ILogger<DeadLetterMover> logger) : BackgroundService
{
    private readonly DeadLetterOptions _options = options.Value;
    private int _storeFailures;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Host start must not wait for the broker.
        await Task.Yield();
        if (!_options.MoverEnabled)
        {
            return;
        }

        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await connector.ConnectAsync("dead-letter-mover", stoppingToken);
                if (failures > 0)
                {
                    LogReconnected(failures);
                }

                failures = 0;
                await ConsumeUntilLostAsync(connection, stoppingToken);
                LogConnectionLost(connection.CloseReason?.ReplyText ?? "a channel closed");
                status.Disconnected("connection to RabbitMQ lost");

                // Whatever closed it may close the next one at once too; never spin.
                await Task.Delay(_options.RetryBaseDelay, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Broker down, access refused, or a bug: start over after a pause rather than die quietly.
                failures++;
                var pause = Backoff(failures);
                status.Disconnected(e.Message);
                LogMoverError(e, pause.TotalSeconds);
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

    /// <summary>
    /// Consumes every error queue that exists, and looks again for the others every
    /// <see cref="DeadLetterOptions.MissingQueuePollInterval"/>, until the connection or a channel is lost.
    /// </summary>
    private async Task ConsumeUntilLostAsync(IConnection connection, CancellationToken stoppingToken)
    {
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.ConnectionShutdownAsync += (_, _) =>
        {
            lost.TrySetResult();
            return Task.CompletedTask;
        };

        var channels = new List<IChannel>();
        var waiting = new List<string>(queues.Names);
        try
        {
            while (true)
            {
                foreach (var queue in waiting.ToList())
                {
                    if (await TryConsumeAsync(connection, queue, lost, stoppingToken) is { } channel)
                    {
                        channels.Add(channel);
                        waiting.Remove(queue);
                        LogConsuming(queue);
                    }
                }

                status.Connected([.. queues.Names.Except(waiting)], waiting);
                using var pause = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var poll = Task.Delay(waiting.Count == 0 ? Timeout.InfiniteTimeSpan : _options.MissingQueuePollInterval, time, pause.Token);
                var woke = await Task.WhenAny(lost.Task, poll);
                await pause.CancelAsync();
                stoppingToken.ThrowIfCancellationRequested();
                if (woke == lost.Task)
                {
                    return;
                }
            }
        }
        finally
        {
            foreach (var channel in channels)
            {
                await CloseQuietlyAsync(channel);
            }
        }
    }

    /// <summary>
    /// Subscribes to <paramref name="queue"/> if it exists. The mover never declares an error queue: MassTransit declares
    /// it at the first fault with the endpoint's own arguments (quorum, say), and a classic queue declared here first
    /// would make that declaration — and the move of the failed message — fail. Before that first fault there is
    /// nothing to drain, so checking passively loses nothing.
    /// </summary>
    private async Task<IChannel?> TryConsumeAsync(IConnection connection, string queue, TaskCompletionSource lost, CancellationToken stoppingToken)
    {
        var channel = await connection.CreateChannelAsync(cancellationToken: stoppingToken);
        try
        {
            await channel.QueueDeclarePassiveAsync(queue, stoppingToken);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == Constants.NotFound)
        {
            await CloseQuietlyAsync(channel);
            return null;
        }

        await channel.BasicQosAsync(0, (ushort)_options.PrefetchCount, false, stoppingToken);
        channel.ChannelShutdownAsync += (_, _) =>
        {
            // A channel that dies (broker closed it, an ack failed, the queue was deleted) is rebuilt with the connection.
            lost.TrySetResult();
            return Task.CompletedTask;
        };
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) => HandleAsync(channel, queue, delivery, stoppingToken);
        await channel.BasicConsumeAsync(queue, autoAck: false, consumer, stoppingToken);
        return channel;
    }

    private async Task HandleAsync(IChannel channel, string queue, BasicDeliverEventArgs delivery, CancellationToken stoppingToken)
    {
        DeadLetterRecord record;
        SaveOutcome outcome;
        try
        {
            record = DeadLetterRecord.FromDelivery(queue, delivery.BasicProperties, delivery.Body, time.GetUtcNow());
            (outcome, _) = await store.SaveAsync(record, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Not stored, not acked: closing the channel hands it back to the broker.
            return;
        }
        catch (Exception e)
        {
            // Database down, or something no retry fixes: either way never ack what is not stored; the error log and
            // the store_failures counter make a stuck queue visible.
            await RequeueLaterAsync(channel, queue, delivery.DeliveryTag, e, stoppingToken);
            return;
        }

        Interlocked.Exchange(ref _storeFailures, 0);
        if (hooks.AfterCommitAsync is { } afterCommit)
        {
            await afterCommit(record, stoppingToken);
        }

        try
        {
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, CancellationToken.None);
        }
        catch (Exception e) when (RabbitMqConnector.IsBrokerFailure(e))
        {
            // Stored but not acked: the broker redelivers it to whoever consumes next, who finds the duplicate.
            LogAckFailed(e, queue);
            return;
        }

        metrics.Stored(queue, outcome);
        if (outcome != SaveOutcome.Duplicate)
        {
            gauge.Nudge();
        }
    }

    private async Task RequeueLaterAsync(IChannel channel, string queue, ulong deliveryTag, Exception error, CancellationToken stoppingToken)
    {
        metrics.StoreFailed(queue);
        var failures = Interlocked.Increment(ref _storeFailures);
        var pause = Backoff(failures);
        LogStoreFailed(error, queue, pause.TotalSeconds);
        try
        {
            // The pause holds this queue's dispatch: while the database is down, nothing else would store either.
            await Task.Delay(pause, time, stoppingToken);
            await channel.BasicNackAsync(deliveryTag, multiple: false, requeue: true, CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the unacked delivery returns to the queue when the channel closes.
        }
        catch (Exception e) when (RabbitMqConnector.IsBrokerFailure(e))
        {
            LogAckFailed(e, queue);
        }
    }

    private TimeSpan Backoff(int failures)
    {
        var delay = _options.RetryBaseDelay * Math.Pow(2, Math.Min(failures - 1, 16));
        return delay < _options.RetryMaxDelay ? delay : _options.RetryMaxDelay;
    }

    private static async Task CloseQuietlyAsync(IChannel channel)
    {
        try
        {
            await channel.DisposeAsync();
        }
        catch (Exception e) when (RabbitMqConnector.IsBrokerFailure(e))
        {
            // Already gone.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Dead-letter mover consuming {Queue}")]
    private partial void LogConsuming(string queue);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dead-letter mover reconnected to RabbitMQ after {Failures} failed attempts")]
    private partial void LogReconnected(int failures);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead-letter mover lost its RabbitMQ connection ({Reason}); reconnecting")]
    private partial void LogConnectionLost(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead-letter mover failed; retrying in {PauseSeconds:0.##} s")]
    private partial void LogMoverError(Exception exception, double pauseSeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Dead letter from {Queue} could not be stored; requeued after {PauseSeconds:0.##} s")]
    private partial void LogStoreFailed(Exception exception, string queue, double pauseSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead letter from {Queue} is stored but its ack/nack failed; the redelivery will be recognised")]
    private partial void LogAckFailed(Exception exception, string queue);
}
