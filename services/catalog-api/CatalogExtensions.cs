using System.IO.Compression;
using Catalog.Api.Analytics;
using Catalog.Api.Caching;
using Catalog.Api.Categories;
using Catalog.Api.Data;
using Catalog.Api.Http;
using Catalog.Api.Products;
using Catalog.Api.Writes;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;
using Platform.Caching;
using Platform.Contracts.Caching;
using Platform.Hosting;
using Platform.Hosting.Configuration;
using Platform.Hosting.Connections;
using Platform.Hosting.Security;
using Platform.Messaging.Bus;
using Platform.Messaging.Outbox;

namespace Catalog.Api;

/// <summary>The catalog service's wiring: its servers, cache, outbox relay, security and endpoints.</summary>
public static class CatalogExtensions
{
    public static WebApplicationBuilder AddCatalog(this WebApplicationBuilder builder)
    {
        builder.AddPlatformPostgres();
        builder.AddPlatformRedis();
        builder.AddPlatformBus();
        builder.AddPlatformCache(cache => cache.KindOf = CacheNames.KindOf);
        builder.AddOutboxRelay(CatalogCommands.Schema);
        builder.AddApiKeyAuthentication(CatalogScopes.Write);
        builder.AddPlatformRateLimiting();
        builder.AddViewLimits();
        // Before ready: the hot read paths (every content coding, HEAD), product updates through the PUT endpoint, rolled
        // back, and a PUT over HTTP that is refused as stale (412).
        builder.AddWarmUp(plan =>
        {
            plan.Paths.AddRange([
                "/api/categories", "/api/products", "/api/products?sort=name&limit=50", "/api/products?sort=price_desc",
                "/api/products?category=1&sort=price_asc", "/api/products/1", "/api/products/popular?category=1",
                "/api/analytics/categories/1/daily",
            ]);
            plan.Steps.Add(WriteWarmUp.RunAsync);
            plan.Requests.Add(WriteWarmUp.StalePutAsync);
        });

        builder.Services.AddValidatedOptions<CatalogOptions>(CatalogOptions.Section);
        builder.Services.TryAddTimeProvider();
        builder.Services.AddDbContext<CatalogDbContext>((sp, options) => options
            .UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>())
            // EF Core logs every failed statement at Error with its stack, the expected ones too (a duplicate sku is a 409).
            // Failures nobody handles still reach the exception handler, which logs them at Error.
            .ConfigureWarnings(w => w.Log((RelationalEventId.CommandError, LogLevel.Debug), (CoreEventId.SaveChangesFailed, LogLevel.Debug))));
        builder.Services.AddSingleton<CachedJson>();
        builder.Services.AddSingleton<WriteEviction>();
        builder.Services.AddSingleton<CategoryDirectory>();

        builder.Services.AddResponseCompression(o =>
        {
            o.EnableForHttps = true;
            o.Providers.Add<BrotliCompressionProvider>();
            o.Providers.Add<GzipCompressionProvider>();
            o.MimeTypes = ["application/json", "application/problem+json"];
        });
        builder.Services.Configure<BrotliCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);
        builder.Services.Configure<GzipCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);
        builder.Services.AddOpenApi(CatalogOpenApi.Add);
        return builder;
    }

    public static WebApplication MapCatalogApi(this WebApplication app)
    {
        app.UseResponseCompression();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.MapOpenApi("/openapi/{documentName}.json");

        app.MapCategories().MapCategoryWrites();
        app.MapGroup("/api/products").WithTags("Products").MapProductReads().MapProductWrites();
        app.MapAnalyticsReads();
        return app;
    }

    private static void TryAddTimeProvider(this IServiceCollection services)
    {
        if (!services.Any(d => d.ServiceType == typeof(TimeProvider)))
        {
            services.AddSingleton(TimeProvider.System);
        }
    }
}
