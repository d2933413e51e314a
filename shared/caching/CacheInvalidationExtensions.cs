using System.Diagnostics;

namespace Platform.Caching;

/// <summary>Invalidating several keys and tags as one step.</summary>
public static class CacheInvalidationExtensions
{
    /// <summary>Name of the <see cref="ActivitySource"/> of eviction spans; the hosting defaults trace every <c>Platform.*</c> source.</summary>
    public const string ActivitySourceName = "Platform.Caching";

    /// <summary>Name of the span that covers one <see cref="InvalidateAsync"/>; each other node's <see cref="ApplyActivityName"/> span is its child.</summary>
    public const string EvictActivityName = "cache evict";

    /// <summary>
    /// Name of the span of another node applying an invalidation from the backplane, child of the <c>cache evict</c>
    /// span that made it: the last hop of a write's trace.
    /// </summary>
    public const string ApplyActivityName = "cache backplane apply";

    internal static readonly ActivitySource Source = new(ActivitySourceName);

    /// <summary>
    /// Removes <paramref name="keys"/> and invalidates <paramref name="tags"/>, all issued at once: they are independent,
    /// so they share Redis round trips (one pipelined write) instead of paying one each. Fails if any of them fails.
    /// Traced as one <c>cache evict</c> span (child of the caller's activity: the consumed message, the write request).
    /// </summary>
    public static async Task InvalidateAsync(this ITwoLevelCache cache, IReadOnlyList<string> keys, IReadOnlyList<string> tags, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cache);
        using var activity = Source.StartActivity(EvictActivityName);
        activity?.SetTag("platform.cache.keys", keys.Count);
        activity?.SetTag("platform.cache.tags", tags.Count);
        var pending = new Task[keys.Count + tags.Count];
        var n = 0;
        foreach (var key in keys)
        {
            pending[n++] = cache.RemoveAsync(key, cancellationToken).AsTask();
        }

        foreach (var tag in tags)
        {
            pending[n++] = cache.RemoveByTagAsync(tag, cancellationToken).AsTask();
        }

        try
        {
            await Task.WhenAll(pending).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
    }
}
