using Microsoft.Extensions.Options;
using Platform.Caching;
using Platform.Contracts.Invalidation;

namespace Catalog.Api.Caching;

/// <summary>
/// After a write commits, the writing node evicts what the write made stale itself: the same rule table the
/// invalidator applies (<see cref="InvalidationRules"/>), through the cache's Redis sequence and backplane, so every
/// node drops its copy within a backplane hop instead of after the whole outbox → RabbitMQ → invalidator chain.
/// Best effort and bounded: the commit already happened and its events are in the outbox, so the invalidator's
/// eviction still comes (a crash right after commit, Redis down, a timeout here). It never fails the request (ADR 009).
/// </summary>
public sealed partial class WriteEviction(ITwoLevelCache cache, IOptions<CatalogOptions> options, ILogger<WriteEviction> logger)
{
    private readonly CatalogOptions _options = options.Value;

    /// <summary>Evicts every key and tag of <paramref name="plan"/>, waiting at most <see cref="CatalogOptions.EvictOnWriteTimeout"/>.</summary>
    public async Task EvictAsync(InvalidationPlan plan)
    {
        if (!_options.CacheEnabled || !_options.EvictOnWrite)
        {
            return;
        }

        var all = cache.InvalidateAsync(plan.Keys, plan.Tags);
        try
        {
            // Not the request's token: a client that hangs up after the commit must not cut the eviction short.
            await all.WaitAsync(_options.EvictOnWriteTimeout);
        }
        catch (TimeoutException)
        {
            LogSlow(logger, _options.EvictOnWriteTimeout.TotalMilliseconds);
            _ = all.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
        }
        catch (Exception e) when (all.IsFaulted)
        {
            LogFailed(logger, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Eviction after a write took longer than {TimeoutMs} ms; the invalidator's eviction from the outbox event will follow")]
    private static partial void LogSlow(ILogger logger, double timeoutMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Eviction after a write failed ({Reason}); the invalidator's eviction from the outbox event will follow")]
    private static partial void LogFailed(ILogger logger, string reason);
}
