using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.DeadLetters.Mover;
using Platform.DeadLetters.Storage;
using Platform.Messaging.Bus;
using Platform.Messaging.Wire;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Platform.DeadLetters.Operations;

/// <summary>
/// Publishes stored dead letters back to their original queues (default exchange, routing key = queue) with publisher
/// confirms and <c>mandatory</c>, so a deleted queue is a failure instead of a silent drop. One channel per process,
/// opened on first use and again after it broke; replays take turns on it.
/// </summary>
internal sealed partial class DeadLetterPublisher(RabbitMqConnector connector, IOptions<DeadLetterOptions> options, ILogger<DeadLetterPublisher> logger)
    : IAsyncDisposable, IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnection? _connection;
    private IChannel? _channel;

    /// <summary>Publishes <paramref name="rows"/> and returns, per row, null when the broker confirmed it or why not.</summary>
    /// <exception cref="DeadLetterBrokerException">No connection or channel could be opened.</exception>
    public async Task<string?[]> PublishAsync(IReadOnlyList<ReplayRow> rows, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var channel = await ChannelAsync(cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.Value.PublishTimeout);

            // All of a batch in flight at once, then each confirm awaited: one round trip per batch, not per message.
            var pending = new ValueTask[rows.Count];
            var errors = new string?[rows.Count];
            for (var i = 0; i < rows.Count; i++)
            {
                try
                {
                    pending[i] = channel.BasicPublishAsync("", rows[i].OriginalQueue, mandatory: true, PropertiesOf(rows[i]), rows[i].Body, timeout.Token);
                }
                catch (Exception e) when (e is OperationCanceledException || RabbitMqConnector.IsBrokerFailure(e))
                {
                    errors[i] = Describe(e, rows[i]);
                }
            }

            for (var i = 0; i < rows.Count; i++)
            {
                if (errors[i] is not null)
                {
                    continue;
                }

                try
                {
                    await pending[i];
                }
                catch (Exception e) when (e is PublishException or OperationCanceledException || RabbitMqConnector.IsBrokerFailure(e))
                {
                    errors[i] = Describe(e, rows[i]);
                }
            }

            if (!channel.IsOpen)
            {
                await ResetAsync();
            }

            return errors;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ResetAsync();
        _gate.Dispose();
    }

    public void Dispose()
    {
        // The CLI's host is disposed synchronously; closing the socket is all that is left to do then.
        _channel?.Dispose();
        _connection?.Dispose();
        _gate.Dispose();
    }

    /// <summary>
    /// The stored properties and headers, minus what the failure added (<see cref="FaultHeaders.AddedByFailure"/>),
    /// user-id (the broker refuses one that is not the publishing user's) and expiration (a replay is deliberate; a
    /// TTL left from the first attempt would silently discard it). Persistent unless the sender said otherwise.
    /// </summary>
    internal static BasicProperties PropertiesOf(ReplayRow row)
    {
        var p = row.Properties;
        string? Text(string name) => p[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        long? Number(string name) => p[name] is JsonValue v && v.TryGetValue<long>(out var n) ? n : null;

        var properties = new BasicProperties
        {
            Headers = AmqpValues.ToTable(row.Headers, name => !FaultHeaders.AddedByFailure(name)),
            DeliveryMode = Number("deliveryMode") == 1 ? DeliveryModes.Transient : DeliveryModes.Persistent,
        };
        if (Text("messageId") is { } messageId)
        {
            properties.MessageId = messageId;
        }

        if (Text("correlationId") is { } correlationId)
        {
            properties.CorrelationId = correlationId;
        }

        if (Text("contentType") is { } contentType)
        {
            properties.ContentType = contentType;
        }

        if (Text("contentEncoding") is { } contentEncoding)
        {
            properties.ContentEncoding = contentEncoding;
        }

        if (Text("type") is { } type)
        {
            properties.Type = type;
        }

        if (Text("appId") is { } appId)
        {
            properties.AppId = appId;
        }

        if (Text("replyTo") is { } replyTo)
        {
            properties.ReplyTo = replyTo;
        }

        if (Number("priority") is { } priority and >= 0 and <= 255)
        {
            properties.Priority = (byte)priority;
        }

        if (Number("timestamp") is { } timestamp)
        {
            properties.Timestamp = new AmqpTimestamp(timestamp);
        }

        return properties;
    }

    private async Task<IChannel> ChannelAsync(CancellationToken cancellationToken)
    {
        if (_channel is { IsOpen: true } open)
        {
            return open;
        }

        await ResetAsync();
        try
        {
            _connection = await connector.ConnectAsync("dead-letter-replay", cancellationToken);
            _channel = await _connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
            return _channel;
        }
        catch (Exception e) when (RabbitMqConnector.IsBrokerFailure(e))
        {
            await ResetAsync();
            LogBrokerUnreachable(e);
            throw new DeadLetterBrokerException($"RabbitMQ unreachable: {e.Message}", e);
        }
    }

    private async Task ResetAsync()
    {
        var channel = _channel;
        var connection = _connection;
        _channel = null;
        _connection = null;
        try
        {
            if (channel is not null)
            {
                await channel.DisposeAsync();
            }

            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
        catch (Exception e) when (RabbitMqConnector.IsBrokerFailure(e))
        {
            // Already broken: nothing to close.
        }
    }

    private static string Describe(Exception e, ReplayRow row) => e switch
    {
        PublishException { IsReturn: true } => $"queue '{row.OriginalQueue}' does not exist (the broker returned the message unroutable)",
        PublishException => "the broker refused the message (nack)",
        OperationCanceledException => "no confirm from the broker in time",
        _ => $"RabbitMQ: {e.Message}",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead-letter replay cannot reach RabbitMQ")]
    private partial void LogBrokerUnreachable(Exception exception);
}
