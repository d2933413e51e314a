using Microsoft.Extensions.Options;
using Platform.Contracts.Catalog;
using Platform.Messaging.Bus;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace AnalyticsAggregator.Ingest;

/// <summary>
/// The ingest queue's broker entities, named and shaped the way MassTransit names and shapes a receive endpoint, so
/// publishers (the catalog's relay, any MassTransit service), the dead-letter mover and ops see the same thing as before:
/// queue and fanout exchange <c>{prefix-}analytics-aggregator</c>, each catalog event's exchange
/// (<c>{prefix-}Platform.Contracts.Catalog:ProductViewed</c>) bound to it, and the error queue and exchange
/// <c>…_error</c>.
/// </summary>
public sealed class IngestTopology(IOptions<AnalyticsOptions> options, IOptions<BusOptions> bus)
{
    private static readonly Type[] Events =
        [typeof(ProductCreated), typeof(ProductUpdated), typeof(ProductDeleted), typeof(ProductPriceChanged), typeof(ProductViewed), typeof(CategoryChanged)];

    public string Queue => Prefixed(options.Value.QueueName);

    public string ErrorQueue => Queue + "_error";

    /// <summary>The exchanges events are published to: MassTransit's entity name of each event type.</summary>
    public IEnumerable<string> EventExchanges => Events.Select(t => Prefixed($"{t.Namespace}:{t.Name}"));

    /// <summary>Declares everything (idempotent). The error queue is declared apart: one that exists with other arguments is used as it is.</summary>
    public async Task DeclareAsync(IConnection connection, CancellationToken cancellationToken)
    {
        var arguments = QueueArguments();
        await using (var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken))
        {
            await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false, arguments, cancellationToken: cancellationToken);
            await channel.ExchangeDeclareAsync(Queue, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
            await channel.QueueBindAsync(Queue, Queue, "", cancellationToken: cancellationToken);
            foreach (var exchange in EventExchanges)
            {
                await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
                await channel.ExchangeBindAsync(Queue, exchange, "", cancellationToken: cancellationToken);
            }

            await channel.ExchangeDeclareAsync(ErrorQueue, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        }

        try
        {
            await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            await channel.QueueDeclareAsync(ErrorQueue, durable: true, exclusive: false, autoDelete: false, arguments, cancellationToken: cancellationToken);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == Constants.PreconditionFailed)
        {
            // Made earlier with another queue type (MassTransit declares error queues lazily, classic or quorum): keep it.
        }

        await using (var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken))
        {
            await channel.QueueBindAsync(ErrorQueue, ErrorQueue, "", cancellationToken: cancellationToken);
        }
    }

    /// <summary>MassTransit's input address of the queue: where a fault says the message was being consumed.</summary>
    public string InputAddress(Uri broker)
    {
        var vhost = broker.AbsolutePath.Trim('/');
        return $"rabbitmq://{broker.Host}:{broker.Port}/{(vhost.Length == 0 ? "" : vhost + "/")}{Queue}";
    }

    private Dictionary<string, object?>? QueueArguments() =>
        options.Value.QuorumQueue ? new Dictionary<string, object?> { ["x-queue-type"] = "quorum" } : null;

    private string Prefixed(string name) => bus.Value.Prefixed(name);
}
