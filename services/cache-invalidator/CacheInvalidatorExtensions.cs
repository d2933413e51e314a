using Platform.Hosting.Connections;
using Platform.Messaging.Bus;

namespace CacheInvalidator;

/// <summary>The cache-invalidator service's wiring: its servers, consumers and endpoints.</summary>
public static class CacheInvalidatorExtensions
{
    public static WebApplicationBuilder AddCacheInvalidator(this WebApplicationBuilder builder)
    {
        builder.AddPlatformPostgres();
        builder.AddPlatformRedis();
        builder.AddPlatformBus();
        return builder;
    }

    public static WebApplication MapCacheInvalidator(this WebApplication app) => app;
}
