using CacheInvalidator.Requests;
using MassTransit;
using Microsoft.Extensions.Options;
using Platform.Caching;
using Platform.Contracts.Analytics;
using Platform.Contracts.Caching;
using Platform.Contracts.Catalog;
using Platform.Contracts.Invalidation;
using Platform.Messaging.Bus;
using Platform.Messaging.Wire;

namespace CacheInvalidator.Invalidation;

/// <summary>
/// Applies the rule table to every event it is subscribed to. Idempotent: removing a key or bumping a tag twice,
/// or for an event older than one already applied, only costs a cache miss. When Redis cannot record an
/// invalidation the message fails and is retried (then dead-lettered): no invalidation is dropped silently. A direct
/// request (<see cref="CacheInvalidationRequested"/>, in MassTransit's envelope or as plain JSON) takes the path the ops
/// endpoint takes too (<see cref="DirectInvalidation"/>), which also records it.
/// </summary>
public sealed class InvalidationConsumer(ITwoLevelCache cache, InvalidationMetrics metrics, DirectInvalidation direct, TimeProvider time) :
    IConsumer<ProductCreated>,
    IConsumer<ProductUpdated>,
    IConsumer<ProductDeleted>,
    IConsumer<ProductPriceChanged>,
    IConsumer<CategoryChanged>,
    IConsumer<AnalyticsRollupCompleted>,
    IConsumer<CacheInvalidationRequested>
{
    public Task Consume(ConsumeContext<ProductCreated> context) => ApplyAsync(context, InvalidationRules.For(context.Message));

    public Task Consume(ConsumeContext<ProductUpdated> context) => ApplyAsync(context, InvalidationRules.For(context.Message));

    public Task Consume(ConsumeContext<ProductDeleted> context) => ApplyAsync(context, InvalidationRules.For(context.Message));

    public Task Consume(ConsumeContext<ProductPriceChanged> context) => ApplyAsync(context, InvalidationRules.For(context.Message));

    public Task Consume(ConsumeContext<CategoryChanged> context) => ApplyAsync(context, InvalidationRules.For(context.Message));

    public Task Consume(ConsumeContext<AnalyticsRollupCompleted> context) => ApplyAsync(context, InvalidationRules.For(context.Message));

    public async Task Consume(ConsumeContext<CacheInvalidationRequested> context)
    {
        var plain = string.Equals(context.ReceiveContext.ContentType?.MediaType, PlainJson.ContentType, StringComparison.OrdinalIgnoreCase);
        var transportId = context.TryGetPayload<RabbitMqBasicConsumeContext>(out var rabbit) ? rabbit.Properties.MessageId : null;
        await direct.ApplyAsync(
            context.Message,
            plain ? InvalidationChannel.PlainJson : InvalidationChannel.MassTransit,
            string.IsNullOrWhiteSpace(transportId) ? context.MessageId?.ToString() : transportId,
            plain ? null : Lag(context),
            context.CancellationToken);
    }

    /// <summary>A direct request from another service, validated: it names the keys and tags itself.</summary>
    public static InvalidationPlan For(CacheInvalidationRequested request)
    {
        InvalidationRequestValidator.ThrowIfInvalid(request);
        return new([.. request.Keys.Distinct(StringComparer.Ordinal)], [.. request.Tags.Distinct(StringComparer.Ordinal)]);
    }

    private async Task ApplyAsync<T>(ConsumeContext<T> context, InvalidationPlan plan)
        where T : class
    {
        await cache.InvalidateAsync(plan.Keys, plan.Tags, context.CancellationToken);

        metrics.Applied(typeof(T).Name, plan, Lag(context));
    }

    // A plain JSON message has no send time (MassTransit would derive one from a random message id), so no lag.
    private TimeSpan? Lag(ConsumeContext context) => context.SentTime is { } sent ? time.GetUtcNow().UtcDateTime - sent : null;
}

/// <summary>The invalidation endpoint: queue name, queue type, prefetch, concurrency and retries from <see cref="InvalidatorOptions"/>.</summary>
public sealed class InvalidationConsumerDefinition : ConsumerDefinition<InvalidationConsumer>
{
    /// <summary>The types a plain JSON message may name on this queue: every type the consumer takes, the direct request first.</summary>
    public static readonly IReadOnlyList<Type> PlainJsonTypes =
    [
        typeof(CacheInvalidationRequested), typeof(ProductCreated), typeof(ProductUpdated), typeof(ProductDeleted), typeof(ProductPriceChanged),
        typeof(CategoryChanged), typeof(AnalyticsRollupCompleted),
    ];

    private readonly InvalidatorOptions _options;

    public InvalidationConsumerDefinition(IOptions<InvalidatorOptions> options, IOptions<BusOptions> bus)
    {
        _options = options.Value;
        EndpointName = bus.Value.Prefixed(_options.QueueName);
        ConcurrentMessageLimit = _options.ConcurrencyLimit;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<InvalidationConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = _options.PrefetchCount;

        // Plain JSON (no envelope) for publishers without MassTransit; a body naming no type is a direct request.
        endpointConfigurator.AddDeserializer(new PlainJsonDeserializerFactory(PlainJsonTypes, typeof(CacheInvalidationRequested)));
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit && _options.QuorumQueue)
        {
            rabbit.SetQuorumQueue();
        }

        endpointConfigurator.UseMessageRetry(retry =>
        {
            // A malformed request fails the same way every time: straight to the error queue with its reason.
            retry.Ignore<InvalidInvalidationRequestException>();
            retry.Intervals(_options.RetryIntervals());
        });
    }
}
