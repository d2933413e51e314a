namespace Platform.Caching;

/// <summary>Invalidating several keys and tags as one step.</summary>
public static class CacheInvalidationExtensions
{
    /// <summary>
    /// Removes <paramref name="keys"/> and invalidates <paramref name="tags"/>, all issued at once: they are independent,
    /// so they share Redis round trips (one pipelined write) instead of paying one each. Fails if any of them fails.
    /// </summary>
    public static Task InvalidateAsync(this ITwoLevelCache cache, IReadOnlyList<string> keys, IReadOnlyList<string> tags, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cache);
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

        return Task.WhenAll(pending);
    }
}
