using Catalog.Api.Categories;
using Platform.Hosting.Connections;
using Platform.Messaging.Bus;

namespace Catalog.Api;

/// <summary>The catalog service's wiring: its servers and its endpoints.</summary>
public static class CatalogExtensions
{
    public static WebApplicationBuilder AddCatalog(this WebApplicationBuilder builder)
    {
        builder.AddPlatformPostgres();
        builder.AddPlatformRedis();
        builder.AddPlatformBus();
        return builder;
    }

    public static WebApplication MapCatalogApi(this WebApplication app)
    {
        app.MapCategories();
        return app;
    }
}
