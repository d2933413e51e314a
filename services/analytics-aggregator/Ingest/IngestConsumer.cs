using MassTransit;
using Microsoft.Extensions.Options;
using Platform.Contracts.Catalog;
using Platform.Messaging.Bus;

namespace AnalyticsAggregator.Ingest;

/// <summary>
/// Writes every catalog event to the raw table, a batch per message type at a time. MassTransit acks the batch's
/// messages only after <see cref="RawEventWriter.WriteAsync"/> committed; a crash in between redelivers them, and the
/// message-id key makes the second write a no-op. A failing batch is retried, then its messages go to the error queue.
/// </summary>
public sealed class IngestConsumer(RawEventWriter writer) :
    IConsumer<Batch<ProductCreated>>,
    IConsumer<Batch<ProductUpdated>>,
    IConsumer<Batch<ProductDeleted>>,
    IConsumer<Batch<ProductPriceChanged>>,
    IConsumer<Batch<ProductViewed>>,
    IConsumer<Batch<CategoryChanged>>
{
    public Task Consume(ConsumeContext<Batch<ProductCreated>> context) => WriteAsync(context, RawEvent.From);

    public Task Consume(ConsumeContext<Batch<ProductUpdated>> context) => WriteAsync(context, RawEvent.From);

    public Task Consume(ConsumeContext<Batch<ProductDeleted>> context) => WriteAsync(context, RawEvent.From);

    public Task Consume(ConsumeContext<Batch<ProductPriceChanged>> context) => WriteAsync(context, RawEvent.From);

    public Task Consume(ConsumeContext<Batch<ProductViewed>> context) => WriteAsync(context, RawEvent.From);

    public Task Consume(ConsumeContext<Batch<CategoryChanged>> context) => WriteAsync(context, RawEvent.From);

    private Task WriteAsync<T>(ConsumeContext<Batch<T>> context, Func<Guid, T, RawEvent> map)
        where T : class
    {
        var batch = context.Message;
        var rows = new RawEvent[batch.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            var message = batch[i];
            // Every MassTransit publish carries one (the relay's is the outbox message id); without it a redelivery
            // could not be told from a new event, so such a message is refused rather than counted at least once.
            var id = message.MessageId ?? throw new InvalidOperationException($"{typeof(T).Name} without a MessageId cannot be deduplicated");
            rows[i] = map(id, message.Message);
        }

        return writer.WriteAsync(rows, context.CancellationToken);
    }
}

/// <summary>The ingest endpoint: queue name, queue type, batch size, concurrency and retries from <see cref="AnalyticsOptions"/>.</summary>
public sealed class IngestConsumerDefinition : ConsumerDefinition<IngestConsumer>
{
    private readonly AnalyticsOptions _options;

    public IngestConsumerDefinition(IOptions<AnalyticsOptions> options, IOptions<BusOptions> bus)
    {
        _options = options.Value;
        var prefix = bus.Value.EntityPrefix;
        EndpointName = prefix.Length == 0 ? _options.QueueName : $"{prefix}-{_options.QueueName}";
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<IngestConsumer> consumerConfigurator, IRegistrationContext context)
    {
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit && _options.QuorumQueue)
        {
            rabbit.SetQuorumQueue();
        }

        endpointConfigurator.UseMessageRetry(retry => retry.Intervals(_options.RetryIntervals()));

        // BatchOptions also raises the endpoint's prefetch and concurrency to BatchSize × BatchConcurrency, so a batch
        // can fill without waiting for the time limit.
        consumerConfigurator.Options<BatchOptions>(batch => batch
            .SetMessageLimit(_options.BatchSize)
            .SetTimeLimit(_options.BatchTimeLimit)
            .SetConcurrencyLimit(_options.BatchConcurrency));
    }
}
