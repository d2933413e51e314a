namespace Platform.Caching;

/// <summary>
/// A two-level cache: a bounded in-process L1 in front of a shared Redis L2, kept coherent across nodes by a
/// Redis backplane that orders invalidations by a Redis-assigned sequence number and loses none of them.
/// Shaped like FusionCache's <c>IFusionCache</c> so an adapter could swap implementations.
/// </summary>
public interface ITwoLevelCache
{
    /// <summary>
    /// Returns the cached value for <paramref name="key"/>, or runs <paramref name="factory"/> once per key per
    /// node (once per cluster with <see cref="CacheEntryOptions.ClusterSingleFlight"/>) and caches its result
    /// under <paramref name="tags"/>. A result whose key or tags were invalidated while the factory ran is
    /// returned to its callers but not stored.
    /// </summary>
    ValueTask<T> GetOrSetAsync<T>(
        string key,
        Func<CacheFactoryContext, CancellationToken, Task<T>> factory,
        CacheEntryOptions? options = null,
        IReadOnlyList<string>? tags = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Same as <see cref="GetOrSetAsync{T}(string, Func{CacheFactoryContext, CancellationToken, Task{T}}, CacheEntryOptions?, IReadOnlyList{string}?, CancellationToken)"/>
    /// with an explicit state, so callers can pass a static lambda and an L1 hit allocates nothing.
    /// </summary>
    ValueTask<T> GetOrSetAsync<TState, T>(
        string key,
        TState state,
        Func<TState, CacheFactoryContext, CancellationToken, Task<T>> factory,
        CacheEntryOptions? options = null,
        IReadOnlyList<string>? tags = null,
        CancellationToken cancellationToken = default);

    /// <summary>Looks the key up in L1 then L2; never runs a factory. Stale values are not returned.</summary>
    ValueTask<MaybeValue<T>> TryGetAsync<T>(string key, CancellationToken cancellationToken = default);

    /// <summary>Stores a value in L1 and L2 (unconditionally: the caller asserts it is current).</summary>
    ValueTask SetAsync<T>(string key, T value, CacheEntryOptions? options = null, IReadOnlyList<string>? tags = null, CancellationToken cancellationToken = default);

    /// <summary>Removes the key on every node. Throws <see cref="CacheUnavailableException"/> when the invalidation could not be recorded in Redis.</summary>
    ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Marks the key stale on every node: no longer served as fresh, still usable as a fail-safe fallback.</summary>
    ValueTask ExpireAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Invalidates every entry carrying <paramref name="tag"/> on every node, in O(1) (a version counter, no key scan).</summary>
    ValueTask RemoveByTagAsync(string tag, CancellationToken cancellationToken = default);
}
