using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using MassTransit;
using MassTransit.Logging;
using MassTransit.RabbitMqTransport.Topology;
using Microsoft.Extensions.Logging;
using Platform.Messaging.Bus;
using Platform.Messaging.Wire;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Platform.Messaging.Outbox;

/// <summary>
/// Publishes a claimed batch over its own AMQP channel with publisher confirms: every message of the batch is written in
/// row order, then every confirm is awaited, so a batch costs about one round trip to the broker instead of a pass
/// through MassTransit's send pipeline per message (issue #16: MassTransit's publish with confirms was the relay's
/// ceiling). What reaches the broker is what MassTransit's publish sends — the message type's exchange, declared from
/// MassTransit's own publish topology (with its bindings), the JSON envelope (<see cref="JsonEnvelope"/>) around the
/// stored payload, the row's id as MessageId, persistent delivery, the stored headers plus the relay's trace context —
/// so consumers cannot tell the difference. Each outcome is sorted into published, failed because of the message
/// (counts against it), or failed because of the broker (does not).
/// </summary>
internal sealed partial class OutboxAmqpPublisher(IBus bus, RabbitMqConnector connector, TimeSpan publishTimeout, ILogger logger) : IAsyncDisposable
{
    private const int MaxErrorLength = 2_000;
    private static readonly MethodInfo RouteOfMethod = typeof(OutboxAmqpPublisher).GetMethod(nameof(RouteOf), BindingFlags.NonPublic | BindingFlags.Static)!;

    private readonly ConcurrentDictionary<Type, Route> _routes = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnection? _connection;
    private IChannel? _channel;
    private HashSet<Type> _declared = [];

    public async Task<PublishResult[]> PublishAsync(IReadOnlyList<OutboxRow> rows, CancellationToken cancellationToken)
    {
        var results = new PublishResult?[rows.Count];
        var pending = new (ValueTask Confirm, Activity? Activity)[rows.Count];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(publishTimeout);

        IChannel channel;

        // One batch's messages go out back to back, in row (= commit) order: batches publishing at once do not interleave.
        await _gate.WaitAsync(cancellationToken);
        try
        {
            try
            {
                channel = await ChannelAsync(timeout.Token);
            }
            catch (Exception e) when (e is OperationCanceledException || RabbitMqConnector.IsBrokerFailure(e))
            {
                return [.. rows.Select(_ => PublishResult.BrokerFailed(e))];
            }

            for (var i = 0; i < rows.Count; i++)
            {
                try
                {
                    var (exchange, body, properties, activity) = await PrepareAsync(channel, rows[i], timeout.Token);
                    pending[i] = (channel.BasicPublishAsync(exchange, "", mandatory: false, properties, body, timeout.Token), activity);
                }
                catch (Exception e) when (e is OutboxPayloadException or JsonException or NotSupportedException)
                {
                    results[i] = PublishResult.MessageFailed(Describe(e));
                }
                catch (Exception e) when (e is OperationCanceledException || IsBrokerFailure(e))
                {
                    results[i] = PublishResult.BrokerFailed(e);
                }
            }
        }
        finally
        {
            _gate.Release();
        }

        for (var i = 0; i < rows.Count; i++)
        {
            if (results[i] is not null)
            {
                continue;
            }

            var (confirm, activity) = pending[i];
            try
            {
                await confirm;
                results[i] = PublishResult.Published;
            }
            catch (Exception e) when (e is OperationCanceledException || e is RabbitMQ.Client.Exceptions.PublishException || IsBrokerFailure(e))
            {
                // A nack or a return: the broker did not take the message; it is not the message's fault.
                activity?.SetStatus(ActivityStatusCode.Error, e.Message);
                results[i] = PublishResult.BrokerFailed(e);
            }
            finally
            {
                activity?.Dispose();
            }
        }

        if (results.Any(r => r!.Kind == PublishResultKind.BrokerFailed))
        {
            // Confirms still outstanding on this channel could arrive late and be taken for the next batch's. Under the
            // gate, and only if no other batch has replaced the channel meanwhile: a batch publishing now keeps its own.
            await _gate.WaitAsync(CancellationToken.None);
            try
            {
                if (ReferenceEquals(_channel, channel))
                {
                    await ResetAsync();
                }
            }
            finally
            {
                _gate.Release();
            }
        }

        return results!;
    }

    public async ValueTask DisposeAsync()
    {
        await ResetAsync();
        _gate.Dispose();
    }

    private async Task<(string Exchange, byte[] Body, BasicProperties Properties, Activity? Activity)> PrepareAsync(IChannel channel, OutboxRow row, CancellationToken cancellationToken)
    {
        // Deserialized only to prove the payload still fits its contract; the stored JSON is what is sent.
        var (_, type) = OutboxJson.Deserialize(row.MessageType, row.Payload);
        var headers = OutboxJson.ParseHeaders(row.Headers);
        var route = _routes.GetOrAdd(type, static (t, b) => (Route)RouteOfMethod.MakeGenericMethod(t).Invoke(null, [b])!, bus);
        if (!_declared.Contains(type))
        {
            await DeclareAsync(channel, route.Topology, cancellationToken);
            _declared.Add(type);
        }

        var activity = StartActivity(row, headers);
        if (activity is not null)
        {
            // The consumer continues the trace from the publish, as it would from MassTransit's send: MassTransit reads
            // the parent from its own header; traceparent stays for readers that speak W3C.
            headers[DiagnosticHeaders.ActivityId] = activity.Id!;
            headers[OutboxJson.TraceParentHeader] = activity.Id!;
            if (activity.TraceStateString is { } state)
            {
                headers[OutboxJson.TraceStateHeader] = state;
            }
            else
            {
                headers.Remove(OutboxJson.TraceStateHeader);
            }
        }

        var envelopeHeaders = headers.Select(h => new KeyValuePair<string, object>(h.Key, h.Value)).ToList();
        var body = JsonEnvelope.Write(
            new EnvelopeFields(route.MessageTypes)
            {
                MessageId = row.MessageId,
                SourceAddress = bus.Address,
                DestinationAddress = route.Address,
            },
            row.Payload,
            envelopeHeaders);
        var amqpHeaders = new Dictionary<string, object?>(headers.Count);
        foreach (var (name, value) in headers)
        {
            amqpHeaders[name] = value;
        }

        var properties = new BasicProperties
        {
            MessageId = row.MessageId.ToString(),
            ContentType = JsonEnvelope.ContentType,
            DeliveryMode = DeliveryModes.Persistent,
            Headers = amqpHeaders,
        };
        return (route.Exchange, body, properties, activity);
    }

    // The exchanges and exchange-to-exchange bindings MassTransit's publish would declare for the type, once per channel.
    private static async Task DeclareAsync(IChannel channel, BrokerTopology topology, CancellationToken cancellationToken)
    {
        foreach (var exchange in topology.Exchanges)
        {
            await channel.ExchangeDeclareAsync(exchange.ExchangeName, exchange.ExchangeType, exchange.Durable, exchange.AutoDelete, exchange.ExchangeArguments, cancellationToken: cancellationToken);
        }

        foreach (var binding in topology.ExchangeBindings)
        {
            await channel.ExchangeBindAsync(binding.Destination.ExchangeName, binding.Source.ExchangeName, binding.RoutingKey, binding.Arguments, cancellationToken: cancellationToken);
        }
    }

    private static Route RouteOf<T>(IBus bus)
        where T : class
    {
        var topology = (IRabbitMqMessagePublishTopology<T>)bus.Topology.PublishTopology.GetMessageTopology<T>();
        var address = topology.GetSendSettings(bus.Address).GetSendAddress(bus.Address);
        return new Route(topology.Exchange.ExchangeName, address, topology.GetBrokerTopology(), MessageTypeCache<T>.MessageTypeNames);
    }

    private static Activity? StartActivity(OutboxRow row, Dictionary<string, string> headers)
    {
        if (!OutboxRelay.ActivitySource.HasListeners())
        {
            return null;
        }

        ActivityContext parent = default;
        if (headers.TryGetValue(OutboxJson.TraceParentHeader, out var traceParent))
        {
            headers.TryGetValue(OutboxJson.TraceStateHeader, out var traceState);
            ActivityContext.TryParse(traceParent, traceState, isRemote: true, out parent);
        }

        var activity = OutboxRelay.ActivitySource.StartActivity("outbox publish", ActivityKind.Producer, parent);
        activity?.SetTag("messaging.system", "rabbitmq");
        activity?.SetTag("messaging.message.id", row.MessageId.ToString());
        activity?.SetTag("platform.outbox.message_type", row.MessageType);
        return activity;
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
            _connection = await connector.ConnectAsync("outbox-relay", cancellationToken);
            // No client-side throttle of outstanding confirms: a batch (Outbox:BatchSize) is the bound.
            _channel = await _connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true, outstandingPublisherConfirmationsRateLimiter: null),
                cancellationToken);
            return _channel;
        }
        catch (Exception e) when (e is OperationCanceledException || RabbitMqConnector.IsBrokerFailure(e))
        {
            await ResetAsync();
            throw;
        }
    }

    private async Task ResetAsync()
    {
        var channel = _channel;
        var connection = _connection;
        _channel = null;
        _connection = null;
        _declared = [];
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
            LogCloseFailed(e);
        }
    }

    private static bool IsBrokerFailure(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is OperationCanceledException or ObjectDisposedException or RabbitMQClientException || RabbitMqConnector.IsBrokerFailure(e))
            {
                return true;
            }
        }

        return false;
    }

    private static string Describe(Exception e)
    {
        var text = e is OutboxPayloadException ? e.Message : $"{e.GetType().Name}: {e.Message}";
        return text.Length <= MaxErrorLength ? text : text[..MaxErrorLength];
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Closing the outbox relay's AMQP connection failed")]
    private partial void LogCloseFailed(Exception e);

    private sealed record Route(string Exchange, Uri Address, BrokerTopology Topology, string[] MessageTypes);
}
