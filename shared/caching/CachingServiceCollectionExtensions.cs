using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Platform.Caching;

/// <summary>Registration of the platform cache in a service.</summary>
public static class CachingServiceCollectionExtensions
{
    /// <summary>
    /// Adds one <see cref="ITwoLevelCache"/> per process (a node), configured from the <c>Cache</c> section and
    /// validated at start, using the service's Redis connection (<c>AddPlatformRedis</c>) for L2 and the backplane.
    /// Adds a <c>cache</c> readiness check that reports Degraded while the node is deaf (no heartbeat confirmed in time).
    /// </summary>
    public static IHostApplicationBuilder AddPlatformCache(this IHostApplicationBuilder builder, Action<CacheOptions>? configure = null)
    {
        builder.Services.AddSingleton<IValidateOptions<CacheOptions>, CacheOptionsValidator>();
        var options = builder.Services.AddOptions<CacheOptions>().BindConfiguration(CacheOptions.Section).ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.AddSingleton(sp =>
        {
            var cacheOptions = sp.GetRequiredService<IOptions<CacheOptions>>().Value;
            return new TwoLevelCache(
                cacheOptions,
                cacheOptions.UseRedis ? sp.GetRequiredService<IConnectionMultiplexer>() : null,
                sp.GetRequiredService<ILogger<TwoLevelCache>>(),
                sp.GetService<TimeProvider>());
        });
        builder.Services.AddSingleton<ITwoLevelCache>(sp => sp.GetRequiredService<TwoLevelCache>());
        builder.Services.AddSingleton<CacheInspector>();
        builder.Services.AddHostedService<CacheStarter>();
        builder.Services.AddHealthChecks().AddCheck<CacheHealthCheck>("cache");
        return builder;
    }

    private sealed class CacheStarter(TwoLevelCache cache) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => cache.StartAsync();

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    // Ours: whether the node still hears every invalidation (Degraded, not Unhealthy, while it is deaf); a Redis PING,
    // the `redis` check, cannot see that.
    private sealed class CacheHealthCheck(TwoLevelCache cache) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var (count, bytes) = cache.L1Usage;
            var data = new Dictionary<string, object> { ["l1Entries"] = count, ["l1Bytes"] = bytes };
            return Task.FromResult(cache.IsBackplaneConnected
                ? HealthCheckResult.Healthy($"backplane hearing; L1 {count} entries", data)
                : HealthCheckResult.Degraded($"backplane deaf (no heartbeat confirmed in time): reads go to the source, L1 entries trusted at most the degraded TTL; L1 {count} entries", data: data));
        }
    }
}
