using System.Threading.Channels;
using Platform.Messaging.Bus;
using Platform.Messaging.Wire;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace AnalyticsAggregator.Ingest;

/// <summary>
/// One broker connection's worth of ingest. Deliveries are parsed as they arrive (a refused one is published to the
/// error queue, with MassTransit's fault headers, before anything after it is acked) and gathered into batches of
/// <see cref="AnalyticsOptions.BatchSize"/>, or whatever arrived within <see cref="AnalyticsOptions.BatchTimeLimit"/>.
/// Up to <see cref="AnalyticsOptions.BatchConcurrency"/> batches are written at once; acks go out in delivery order,
/// one multiple-ack per run of committed batches, so an ack never covers a row that is not committed. A batch that
/// fails every retry is published to the error queue message by message, then acked.
/// </summary>
internal sealed partial class IngestSession : IAsyncDisposable
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private readonly IChannel _channel;
    private readonly IChannel _errors;
    private readonly IngestTopology _topology;
    private readonly IngestStatus _status;
    private readonly string _inputAddress;
    private readonly RawEventWriter _writer;
    private readonly AnalyticsMetrics _metrics;
    private readonly AnalyticsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop;
    private readonly Channel<Batch> _toWrite = Channel.CreateUnbounded<Batch>(new UnboundedChannelOptions { SingleWriter = false });
    private readonly Queue<Batch> _unacked = new();
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _ackGate = new(1, 1);
    private readonly SemaphoreSlim _errorGate = new(1, 1);
    private readonly TaskCompletionSource<string> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TimeSpan[] _retryIntervals;
    private Task[] _workers = [];
    private Task _flusher = Task.CompletedTask;
    private Batch _current = new();
    private string? _consumerTag;

    private IngestSession(IChannel channel, IChannel errors, IngestTopology topology, IngestStatus status, string inputAddress, RawEventWriter writer, AnalyticsMetrics metrics,
        AnalyticsOptions options, TimeProvider time, ILogger logger, CancellationToken stoppingToken)
    {
        _channel = channel;
        _errors = errors;
        _topology = topology;
        _status = status;
        _inputAddress = inputAddress;
        _writer = writer;
        _metrics = metrics;
        _options = options;
        _time = time;
        _logger = logger;
        _retryIntervals = options.RetryIntervals();
        _stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
    }

    /// <summary>Completes with the reason when the session can no longer ack (its channel or connection closed).</summary>
    public Task<string> Completion => _completion.Task;

    public static async Task<IngestSession> StartAsync(IConnection connection, IngestTopology topology, IngestStatus status, string inputAddress, RawEventWriter writer,
        AnalyticsMetrics metrics, AnalyticsOptions options, TimeProvider time, ILogger logger, CancellationToken stoppingToken)
    {
        var channel = await connection.CreateChannelAsync(cancellationToken: stoppingToken);
        var errors = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), stoppingToken);
        var session = new IngestSession(channel, errors, topology, status, inputAddress, writer, metrics, options, time, logger, stoppingToken);
        channel.ChannelShutdownAsync += (_, e) =>
        {
            session.End($"channel closed: {e.ReplyText}");
            return Task.CompletedTask;
        };
        errors.ChannelShutdownAsync += (_, e) =>
        {
            session.End($"error channel closed: {e.ReplyText}");
            return Task.CompletedTask;
        };

        // Room for the batches being written plus the one filling, so a batch never waits on the prefetch to fill.
        var prefetch = (ushort)Math.Min(ushort.MaxValue, options.BatchSize * (options.BatchConcurrency + 1));
        await channel.BasicQosAsync(0, prefetch, global: false, stoppingToken);
        session._workers = [.. Enumerable.Range(0, options.BatchConcurrency).Select(_ => Task.Run(session.WriteBatchesAsync, CancellationToken.None))];
        session._flusher = Task.Run(session.FlushOnTimeAsync, CancellationToken.None);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += session.OnReceivedAsync;
        session._consumerTag = await channel.BasicConsumeAsync(topology.Queue, autoAck: false, consumer, stoppingToken);
        return session;
    }

    public async ValueTask DisposeAsync()
    {
        // Stop taking deliveries, write and ack what was taken (unless the host is out of time), then close.
        try
        {
            if (_consumerTag is not null && _channel.IsOpen)
            {
                await _channel.BasicCancelAsync(_consumerTag);
            }
        }
        catch (Exception e) when (RabbitMqConnector.IsBrokerFailure(e))
        {
            // Closed already: nothing more will be acked; the broker redelivers.
        }

        Seal();
        _toWrite.Writer.TryComplete();
        var drained = Task.WhenAll(_workers);
        if (!_completion.Task.IsCompleted)
        {
            // Still connected: give the batches taken a moment to commit and be acked (else they are redelivered).
            await drained.WaitAsync(DrainTimeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await _stop.CancelAsync();
        await Task.WhenAll([.. _workers, _flusher]).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _channel.DisposeAsync();
        await _errors.DisposeAsync();
        _stop.Dispose();
        _ackGate.Dispose();
        _errorGate.Dispose();
    }

    private void End(string reason) => _completion.TrySetResult(reason);

    private async Task OnReceivedAsync(object sender, BasicDeliverEventArgs delivery)
    {
        // The body's buffer is reused once this handler returns: rows keep a copy for a possible dead-lettering.
        var body = delivery.Body.ToArray();
        var properties = delivery.BasicProperties;
        if (IngestEnvelope.TryParse(body, properties.ContentType, properties.MessageId, out var row, out var refusal))
        {
            Add(delivery.DeliveryTag, new Pending(row, body, properties));
            return;
        }

        try
        {
            await DeadLetterAsync(body, properties, refusal.Code, refusal.Reason, refusal.MessageType, stackTrace: null);
            _metrics.DeadLettered(1, refusal.Code);
            LogRefused(_logger, refusal.Code, refusal.Reason);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Not in the error queue, so it must not be acked: end the session, the broker redelivers it.
            End($"could not dead-letter a refused message: {e.Message}");
            return;
        }

        Add(delivery.DeliveryTag, null);
    }

    private void Add(ulong deliveryTag, Pending? pending)
    {
        lock (_lock)
        {
            _current.LastTag = deliveryTag;
            _current.Deliveries++;
            if (pending is { } p)
            {
                _current.Rows.Add(p);
            }

            if (_current.Rows.Count >= _options.BatchSize)
            {
                SealLocked();
            }
        }
    }

    private void Seal()
    {
        lock (_lock)
        {
            SealLocked();
        }
    }

    private void SealLocked()
    {
        if (_current.LastTag == 0)
        {
            return;
        }

        var batch = _current;
        _current = new Batch();
        _unacked.Enqueue(batch);
        _toWrite.Writer.TryWrite(batch);
    }

    private async Task FlushOnTimeAsync()
    {
        using var timer = new PeriodicTimer(_options.BatchTimeLimit, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                Seal();
            }
        }
        catch (OperationCanceledException)
        {
            // Session over.
        }
    }

    private async Task WriteBatchesAsync()
    {
        try
        {
            await foreach (var batch in _toWrite.Reader.ReadAllAsync(CancellationToken.None))
            {
                await WriteAsync(batch);
                lock (_lock)
                {
                    batch.Committed = true;
                }

                await AckCommittedAsync();
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Shutting down mid-write: not acked, redelivered to whoever consumes next.
        }
        catch (Exception e) when (RabbitMqConnector.IsBrokerFailure(e))
        {
            End($"ack failed: {e.Message}");
        }
    }

    private async Task WriteAsync(Batch batch)
    {
        if (batch.Rows.Count == 0)
        {
            return;
        }

        var rows = new RawEvent[batch.Rows.Count];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = batch.Rows[i].Row;
        }

        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await _writer.WriteAsync(rows, _stop.Token);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException && attempt < _retryIntervals.Length)
            {
                LogRetry(_logger, rows.Length, attempt + 1, _retryIntervals.Length, _retryIntervals[attempt].TotalMilliseconds, e.Message);
                await Task.Delay(_retryIntervals[attempt], _time, _stop.Token);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Every retry failed: the events go to the error queue (the dead-letter store) for ops to replay.
                LogBatchDeadLettered(_logger, rows.Length, e.GetType().Name, e.Message);
                foreach (var pending in batch.Rows)
                {
                    await DeadLetterAsync(pending.Body, pending.Properties, e.GetType().FullName ?? e.GetType().Name, e.Message, IngestEnvelope.UrnOf(pending.Row.Kind), e.StackTrace);
                }

                _metrics.DeadLettered(rows.Length, "write_failed");
                return;
            }
        }
    }

    /// <summary>Acks the longest run of committed batches at the head of the queue with one multiple-ack.</summary>
    private async Task AckCommittedAsync()
    {
        await _ackGate.WaitAsync(CancellationToken.None);
        try
        {
            ulong upTo = 0;
            var deliveries = 0;
            lock (_lock)
            {
                while (_unacked.TryPeek(out var head) && head.Committed)
                {
                    var batch = _unacked.Dequeue();
                    upTo = batch.LastTag;
                    deliveries += batch.Deliveries;
                }
            }

            if (upTo > 0)
            {
                await _channel.BasicAckAsync(upTo, multiple: true, CancellationToken.None);
                _status.Acked(deliveries);
            }
        }
        finally
        {
            _ackGate.Release();
        }
    }

    /// <summary>Publishes the delivery as it came, plus MassTransit's fault headers, to the error exchange, and waits for the broker's confirm.</summary>
    private async Task DeadLetterAsync(byte[] body, IReadOnlyBasicProperties original, string exceptionType, string reason, string? messageUrn, string? stackTrace)
    {
        var properties = new BasicProperties(original) { Persistent = true };
        var headers = properties.Headers is { } existing ? new Dictionary<string, object?>(existing) : [];
        FaultHeaders.AddFault(
            headers,
            exceptionType,
            reason,
            stackTrace ?? $"   at {typeof(IngestEnvelope).FullName}.{nameof(IngestEnvelope.TryParse)} (refused before any write)",
            typeof(IngestService).FullName,
            _inputAddress,
            _time.GetUtcNow(),
            messageUrn);
        properties.Headers = headers;
        await _errorGate.WaitAsync(CancellationToken.None);
        try
        {
            await _errors.BasicPublishAsync(_topology.ErrorQueue, "", mandatory: false, properties, body, CancellationToken.None);
        }
        finally
        {
            _errorGate.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused an ingest message ({Code}): {Reason}; moved to the error queue")]
    private static partial void LogRefused(ILogger logger, string code, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "R-RETRY writing {Count} events, attempt {Attempt} of {Retries}, next in {DelayMs} ms: {Reason}")]
    private static partial void LogRetry(ILogger logger, int count, int attempt, int retries, double delayMs, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing {Count} events failed every retry ({Exception}: {Reason}); they are in the error queue")]
    private static partial void LogBatchDeadLettered(ILogger logger, int count, string exception, string reason);

    private readonly record struct Pending(RawEvent Row, byte[] Body, IReadOnlyBasicProperties Properties);

    /// <summary>Deliveries up to <see cref="LastTag"/> (refused ones included, already in the error queue).</summary>
    private sealed class Batch
    {
        public List<Pending> Rows { get; } = [];

        public ulong LastTag { get; set; }

        public int Deliveries { get; set; }

        public bool Committed { get; set; }
    }
}
