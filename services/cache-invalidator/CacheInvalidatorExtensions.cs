using CacheInvalidator.Invalidation;
using CacheInvalidator.OpsConsole;
using CacheInvalidator.Requests;
using Microsoft.Extensions.Options;
using Platform.Caching;
using Platform.DeadLetters;
using Platform.Hosting;
using Platform.Hosting.Configuration;
using Platform.Hosting.Connections;
using Platform.Hosting.Security;
using Platform.Messaging.Bus;

namespace CacheInvalidator;

/// <summary>The cache-invalidator service's wiring: its servers, consumers and endpoints, the dead-letter store it hosts (Platform.DeadLetters) and the ops console.</summary>
public static class CacheInvalidatorExtensions
{
    public static WebApplicationBuilder AddCacheInvalidator(this WebApplicationBuilder builder)
    {
        builder.AddPlatformPostgres();
        builder.AddPlatformRedis();
        builder.AddPlatformCache();
        // Pools opened before ready (no HTTP read path of its own to warm).
        builder.AddWarmUp();
        builder.Services.AddValidatedOptions<InvalidatorOptions>(InvalidatorOptions.Section);
        builder.Services.AddSingleton<InvalidationMetrics>();
        builder.Services.AddValidatedOptions<InvalidationAuditOptions>(InvalidationAuditOptions.Section);
        builder.Services.AddSingleton<InvalidationRequestLog>();
        builder.Services.AddSingleton<DirectInvalidation>();
        builder.Services.AddHostedService<InvalidationRequestRetention>();
        if (!builder.Services.Any(d => d.ServiceType == typeof(TimeProvider)))
        {
            builder.Services.AddSingleton(TimeProvider.System);
        }

        builder.AddPlatformBus(bus => bus.AddConsumer<InvalidationConsumer>(typeof(InvalidationConsumerDefinition)));
        builder.Services.AddSingleton(sp => new InvalidationQueueHealthCheck(
            sp.GetRequiredService<RabbitMqConnector>(),
            sp.GetRequiredService<IOptions<BusOptions>>().Value.Prefixed(sp.GetRequiredService<IOptions<InvalidatorOptions>>().Value.QueueName)));
        builder.Services.AddHealthChecks().AddCheck<InvalidationQueueHealthCheck>("invalidation-queue");
        builder.AddDeadLetters();
        builder.AddApiKeyAuthentication(OpsScopes.Admin, CacheScopes.Invalidate);
        builder.AddOpsConsole();
        builder.AddPlatformRateLimiting();
        return builder;
    }

    public static WebApplication MapCacheInvalidator(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseAntiforgery();
        app.MapDeadLetterOps();
        app.MapOpsConsole();
        app.MapInvalidationRequests();
        return app;
    }
}
