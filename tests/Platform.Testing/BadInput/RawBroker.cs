using System.Text;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Platform.Testing.BadInput;

/// <summary>A message as read back from a queue: its properties, its headers as text, its body.</summary>
public sealed record BrokerMessage(string? MessageId, string? ContentType, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string Header(string name) => Headers.TryGetValue(name, out var value) ? value : "";
}

/// <summary>
/// RabbitMQ as a sender of raw bytes sees it (RabbitMQ.Client, no MassTransit): publish anything to a queue through the
/// default exchange with confirms, read a queue's depth and consumers, drain it. Used to send what no well-behaved
/// publisher would, to the queue names the services declare.
/// </summary>
public sealed class RawBroker : IAsyncDisposable
{
    private readonly SemaphoreSlim _publishGate = new(1, 1);
    private IConnection _connection;
    private IChannel? _publisher;

    private RawBroker(IConnection connection)
    {
        _connection = connection;
    }

    public static async Task<RawBroker> ConnectAsync() => new(await NewConnectionAsync());

    /// <summary>Publishes to <paramref name="queue"/>, mandatory and confirmed: throws if the broker refuses or cannot route it.</summary>
    public Task PublishAsync(string queue, ReadOnlyMemory<byte> body, BasicProperties properties) => PublishToExchangeAsync("", queue, body, properties);

    /// <summary>Publishes to <paramref name="exchange"/> as any publisher would, mandatory and confirmed.</summary>
    public async Task PublishToExchangeAsync(string exchange, string routingKey, ReadOnlyMemory<byte> body, BasicProperties properties)
    {
        await _publishGate.WaitAsync();
        try
        {
            _publisher ??= await (await ConnectionAsync()).CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
            await _publisher.BasicPublishAsync(exchange, routingKey, mandatory: true, properties, body);
        }
        catch
        {
            // A failed publish may have closed the channel; the next one opens a new one.
            _publisher = null;
            throw;
        }
        finally
        {
            _publishGate.Release();
        }
    }

    /// <summary>Ready messages and consumers of <paramref name="queue"/>, or null when it does not exist.</summary>
    public async Task<(uint Messages, uint Consumers)?> StateAsync(string queue)
    {
        // A passive declare of a missing queue closes its channel: one channel per probe.
        try
        {
            await using var channel = await (await ConnectionAsync()).CreateChannelAsync();
            var ok = await channel.QueueDeclarePassiveAsync(queue);
            return (ok.MessageCount, ok.ConsumerCount);
        }
        catch (OperationInterruptedException)
        {
            return null;
        }
    }

    /// <summary>Waits until <paramref name="queue"/> exists and something consumes it.</summary>
    public Task WaitForConsumerAsync(string queue, TimeSpan timeout) =>
        Eventually.TrueAsync(async () => await StateAsync(queue) is { Consumers: > 0 }, timeout, $"a consumer on {queue}");

    /// <summary>Takes every message now in <paramref name="queue"/> (none when it does not exist).</summary>
    public async Task<List<BrokerMessage>> DrainAsync(string queue)
    {
        var messages = new List<BrokerMessage>();
        try
        {
            await using var channel = await (await ConnectionAsync()).CreateChannelAsync();
            while (await channel.BasicGetAsync(queue, autoAck: true) is { } result)
            {
                var headers = (result.BasicProperties.Headers ?? new Dictionary<string, object?>())
                    .ToDictionary(h => h.Key, h => Text(h.Value), StringComparer.Ordinal);
                messages.Add(new BrokerMessage(result.BasicProperties.MessageId, result.BasicProperties.ContentType, headers, result.Body.ToArray()));
            }
        }
        catch (OperationInterruptedException)
        {
            // The queue does not exist (yet), or is a quorum queue still starting (the broker then closes the whole
            // connection, which the next call replaces): nothing to take now.
        }

        return messages;
    }

    /// <summary>Deletes queues and exchanges a test made or made its services make; missing ones are fine.</summary>
    public async Task DeleteAsync(IEnumerable<string> queues, IEnumerable<string> exchanges)
    {
        var connection = await ConnectionAsync();
        foreach (var queue in queues)
        {
            await using var channel = await connection.CreateChannelAsync();
            await channel.QueueDeleteAsync(queue);
        }

        foreach (var exchange in exchanges)
        {
            await using var channel = await connection.CreateChannelAsync();
            await channel.ExchangeDeleteAsync(exchange);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_publisher is not null)
        {
            await _publisher.DisposeAsync();
        }

        await _connection.DisposeAsync();
        _publishGate.Dispose();
    }

    private static Task<IConnection> NewConnectionAsync() =>
        new ConnectionFactory { Uri = TestServers.RabbitMq }.CreateConnectionAsync("bad-input-tests");

    /// <summary>The connection, replaced when the broker closed it (it does on an internal error of one queue).</summary>
    private async Task<IConnection> ConnectionAsync()
    {
        if (!_connection.IsOpen)
        {
            await _connection.DisposeAsync();
            _connection = await NewConnectionAsync();
            _publisher = null;
        }

        return _connection;
    }

    private static string Text(object? value) => value switch
    {
        null => "",
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
}
