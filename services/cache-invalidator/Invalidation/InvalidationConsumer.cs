using MassTransit;
using Microsoft.Extensions.Options;
using Platform.Caching;
using Platform.Contracts.Analytics;
using Platform.Contracts.Caching;
using Platform.Contracts.Catalog;
using Platform.Contracts.Invalidation;
using Platform.Messaging.Bus;

namespace CacheInvalidator.Invalidation;

/// <summary>
/// Applies the rule table to every event it is subscribed to. Idempotent: removing a key or bumping a tag twice,
/// or for an event older than one already applied, only costs a cache miss. When Redis cannot record an
/// invalidation the message fails and is retried (then dead-lettered): no invalidation is dropped silently.
/// </summary>
public sealed class InvalidationConsumer(ITwoLevelCache cache, InvalidationMetrics metrics, TimeProvider time) :
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

    public Task Consume(ConsumeContext<CacheInvalidationRequested> context) => ApplyAsync(context, For(context.Message));

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

        metrics.Applied(typeof(T).Name, plan, context.SentTime is { } sent ? time.GetUtcNow().UtcDateTime - sent : null);
    }
}

/// <summary>The invalidation endpoint: queue name, queue type, prefetch, concurrency and retries from <see cref="InvalidatorOptions"/>.</summary>
public sealed class InvalidationConsumerDefinition : ConsumerDefinition<InvalidationConsumer>
{
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
