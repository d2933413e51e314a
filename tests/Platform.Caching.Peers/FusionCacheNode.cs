using Microsoft.Extensions.Caching.StackExchangeRedis;
using StackExchange.Redis;
using ZiggyCreatures.Caching.Fusion;
using ZiggyCreatures.Caching.Fusion.Backplane.StackExchangeRedis;
using ZiggyCreatures.Caching.Fusion.Locking.Distributed.Redis;
using ZiggyCreatures.Caching.Fusion.Serialization.SystemTextJson;

namespace Platform.Caching.Peers;

/// <summary>
/// FusionCache 2.9 set up the way its docs recommend for several nodes (Backplane.md, CacheStampede.md, StepByStep.md):
/// memory L1 + Redis L2 through <c>Microsoft.Extensions.Caching.StackExchangeRedis</c>, its Redis backplane, its Redis
/// distributed locker and the System.Text.Json serializer, all three Redis parts on one connection of the node's own
/// (the docs' "re-use the same connection multiplexer"). Entry defaults as close to ours as FusionCache allows:
/// fail-safe 1 h with a 30 s throttle (our defaults), distributed-cache soft/hard timeouts 1 s / 2 s (StepByStep),
/// L2 writes awaited (its default, as ours), no factory timeouts and no eager refresh (ours has none by default).
/// </summary>
public static class FusionCacheNode
{
    /// <summary>
    /// One node. <paramref name="prefix"/> isolates it with the other nodes of its cluster: cache name, key prefix,
    /// backplane channel and the Redis keys of L2 (<c>InstanceName</c>) all start with it, so parallel tests and
    /// benchmark runs never hear or see each other.
    /// </summary>
    public static IFusionCache Create(IConnectionMultiplexer connection, string prefix, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var options = new FusionCacheOptions
        {
            CacheName = prefix.TrimEnd(':'),
            CacheKeyPrefix = prefix,
            BackplaneChannelPrefix = prefix,
            // A node must hear the others from its first call, as ours does once StartAsync returned.
            WaitForInitialBackplaneSubscribe = true,
            DistributedCacheCircuitBreakerDuration = TimeSpan.FromSeconds(2),
            DefaultEntryOptions = new FusionCacheEntryOptions
            {
                Duration = duration,
                IsFailSafeEnabled = true,
                FailSafeMaxDuration = TimeSpan.FromHours(1),
                FailSafeThrottleDuration = TimeSpan.FromSeconds(30),
                DistributedCacheSoftTimeout = TimeSpan.FromSeconds(1),
                DistributedCacheHardTimeout = TimeSpan.FromSeconds(2),
            },
        };
        Task<IConnectionMultiplexer> Shared() => Task.FromResult(connection);
        var cache = new FusionCache(options);
        cache.SetupSerializer(new FusionCacheSystemTextJsonSerializer());
        cache.SetupDistributedCache(new RedisCache(new RedisCacheOptions { ConnectionMultiplexerFactory = Shared, InstanceName = prefix }));
        cache.SetupBackplane(new RedisBackplane(new RedisBackplaneOptions { ConnectionMultiplexerFactory = Shared }));
        cache.SetupDistributedLocker(new RedisDistributedLocker(new RedisDistributedLockerOptions { ConnectionMultiplexerFactory = Shared }));
        return cache;
    }
}
