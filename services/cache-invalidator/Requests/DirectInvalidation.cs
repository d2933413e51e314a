using CacheInvalidator.Invalidation;
using Platform.Caching;
using Platform.Contracts.Caching;

namespace CacheInvalidator.Requests;

/// <summary>
/// The one path of a direct invalidation request, whether it came as a message or over HTTP: validate it, evict its keys
/// and tags on every node, count it, then record it. The record is written after the eviction succeeded, so it lists what
/// was applied; when the database refuses the write, the message fails and is retried (evicting again is harmless) and
/// the HTTP caller gets a 503, so no applied request goes unrecorded without its sender knowing.
/// </summary>
public sealed class DirectInvalidation(ITwoLevelCache cache, InvalidationMetrics metrics, InvalidationRequestLog log)
{
    /// <summary>Applies and records <paramref name="request"/>; throws <see cref="InvalidInvalidationRequestException"/> when it is invalid.</summary>
    /// <returns>The record's id and time; null when <paramref name="messageId"/> was recorded already (a redelivery).</returns>
    public async Task<(long Id, DateTimeOffset At)?> ApplyAsync(
        CacheInvalidationRequested request, string channel, string? messageId, TimeSpan? lag, CancellationToken cancellationToken)
    {
        var plan = InvalidationConsumer.For(request);
        await cache.InvalidateAsync(plan.Keys, plan.Tags, cancellationToken);
        metrics.Applied(nameof(CacheInvalidationRequested), plan, lag);
        return await log.AddAsync(channel, messageId, request.Actor, request.Source, request.Reason ?? "", plan.Keys, plan.Tags, cancellationToken);
    }
}
