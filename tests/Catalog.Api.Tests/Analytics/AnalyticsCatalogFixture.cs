using Catalog.Api.Analytics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;

namespace Catalog.Api.Tests.Analytics;

/// <summary>
/// A seeded catalog (20 categories, 2,000 products) whose tests write the aggregator's daily tables directly: the
/// catalog only reads them, so what the aggregator would have written is the input here.
/// </summary>
public sealed class AnalyticsCatalogFixture : CatalogFixture
{
    public static DateOnly Today => DateOnly.FromDateTime(DateTime.UtcNow);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await SeedAsync(20, 2000);
    }

    /// <summary>A catalog node with the analytics reads mapped (see <see cref="MapAnalyticsReadsIfMissing"/>).</summary>
    public WebApplicationFactory<Program> StartAnalyticsNode(string nodeName = "node-a") =>
        StartNode(nodeName).WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<IStartupFilter, MapAnalyticsReadsIfMissing>()));

    /// <summary>Ids of products of <paramref name="category"/> with <paramref name="status"/>, lowest first.</summary>
    public async Task<List<long>> ProductsAsync(long category, string status = "active", int count = 5)
    {
        await using var command = Database.DataSource.CreateCommand(
            "SELECT id FROM catalog.products WHERE category_id = @c AND status = @s ORDER BY id LIMIT @n");
        command.Parameters.AddWithValue("c", category);
        command.Parameters.AddWithValue("s", status);
        command.Parameters.AddWithValue("n", count);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<long>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }

    /// <summary>Writes (adds to) a product's views on the day <paramref name="daysAgo"/> days before today, as a rollup would.</summary>
    public async Task ViewsAsync(long category, long product, int daysAgo, int views)
    {
        await using var command = Database.DataSource.CreateCommand("""
            INSERT INTO analytics.product_daily (category_id, day, product_id, views) VALUES (@c, @d, @p, @v)
            ON CONFLICT (category_id, day, product_id) DO UPDATE SET views = analytics.product_daily.views + excluded.views
            """);
        command.Parameters.AddWithValue("c", category);
        command.Parameters.Add(new NpgsqlParameter<DateOnly>("d", Today.AddDays(-daysAgo)) { NpgsqlDbType = NpgsqlDbType.Date });
        command.Parameters.AddWithValue("p", product);
        command.Parameters.AddWithValue("v", views);
        await command.ExecuteNonQueryAsync();
    }

    public async Task CategoryDayAsync(long category, DateOnly day, long views, int productsViewed, int activeProducts)
    {
        await using var command = Database.DataSource.CreateCommand("""
            INSERT INTO analytics.category_daily (category_id, day, views, products_viewed, active_products) VALUES (@c, @d, @v, @pv, @ap)
            ON CONFLICT (category_id, day) DO UPDATE SET views = excluded.views, products_viewed = excluded.products_viewed, active_products = excluded.active_products
            """);
        command.Parameters.AddWithValue("c", category);
        command.Parameters.Add(new NpgsqlParameter<DateOnly>("d", day) { NpgsqlDbType = NpgsqlDbType.Date });
        command.Parameters.AddWithValue("v", views);
        command.Parameters.AddWithValue("pv", productsViewed);
        command.Parameters.AddWithValue("ap", activeProducts);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>
/// Maps <see cref="AnalyticsReadEndpoints.MapAnalyticsReads"/> into a node under test when <c>MapCatalogApi</c> does not
/// map it (yet); a no-op once it does, so the tests keep working either way.
/// </summary>
internal sealed class MapAnalyticsReadsIfMissing : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        next(app);
        var mapped = app.ApplicationServices.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>().Any(e => e.RoutePattern.RawText == "/api/products/popular");
        if (!mapped)
        {
            app.UseRouting();
            app.UseEndpoints(endpoints => endpoints.MapAnalyticsReads());
        }
    };
}
