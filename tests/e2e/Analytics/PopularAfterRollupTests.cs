extern alias aggregator;
extern alias catalog;
extern alias invalidator;

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Testing;
using AggregatorProgram = aggregator::Program;
using AnalyticsReadEndpoints = catalog::Catalog.Api.Analytics.AnalyticsReadEndpoints;
using CatalogProgram = catalog::Program;
using DemoSeeder = catalog::Catalog.Api.Seeding.DemoSeeder;
using InvalidatorProgram = invalidator::Program;

namespace Platform.EndToEnd.Tests.Analytics;

/// <summary>
/// The analytics loop in one process: views posted to catalog node A go out through the catalog's outbox, the
/// aggregator ingests and rolls them up, announces the rollup through its own outbox, the invalidator evicts the
/// category's analytics tag, and both catalog nodes serve the new popular list.
/// </summary>
public sealed class PopularAfterRollupTests : IAsyncLifetime
{
    private const long Category = 2;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly ServiceFixture _fixture = new();

    public async Task InitializeAsync()
    {
        await _fixture.InitializeAsync();
        await new DemoSeeder(_fixture.Database.DataSource, NullLogger<DemoSeeder>.Instance).SeedAsync(5, 200, CancellationToken.None);
    }

    public Task DisposeAsync() => _fixture.DisposeAsync();

    [Fact]
    public async Task ViewsPostedOnOneNodeChangeThePopularListOnBothNodesAfterTheNextRollup()
    {
        await using var invalidatorHost = new ServiceHost<InvalidatorProgram>(_fixture.Settings);
        await using var aggregatorHost = new ServiceHost<AggregatorProgram>(new Dictionary<string, string?>(_fixture.Settings)
        {
            ["Analytics:RollupInterval"] = "00:00:00.300",
            ["Analytics:BatchTimeLimit"] = "00:00:00.020",
        });
        await using var nodeA = Node("catalog-a");
        await using var nodeB = Node("catalog-b");
        // Queues are bound to the event exchanges when the consumers start; an event published before is not theirs.
        await ReadyAsync(invalidatorHost.CreateClient(), "invalidator");
        await ReadyAsync(aggregatorHost.CreateClient(), "aggregator");
        var (clientA, clientB) = (nodeA.CreateClient(), nodeB.CreateClient());
        var product = await ActiveProductAsync();
        var path = $"/api/products/popular?category={Category}&days=1";

        // Both nodes cache the list as it is before any view.
        var beforeA = Items(await clientA.GetFromJsonAsync<JsonElement>(path));
        var beforeB = Items(await clientB.GetFromJsonAsync<JsonElement>(path));
        for (var i = 0; i < 3; i++)
        {
            var view = await clientA.PostAsync(new Uri($"/api/products/{product}/views", UriKind.Relative), null);
            Assert.Equal(HttpStatusCode.Accepted, view.StatusCode);
        }

        Assert.Empty(beforeA);
        Assert.Empty(beforeB);
        await Eventually.TrueAsync(async () => Items(await clientB.GetFromJsonAsync<JsonElement>(path)).SequenceEqual([(product, 3L)]),
            Deadline, "node B lists the viewed product with its three views");
        await Eventually.TrueAsync(async () => Items(await clientA.GetFromJsonAsync<JsonElement>(path)).SequenceEqual([(product, 3L)]),
            Deadline, "node A lists the viewed product with its three views");
    }

    private WebApplicationFactory<CatalogProgram> Node(string name) =>
        new ServiceHost<CatalogProgram>(new Dictionary<string, string?>(_fixture.Settings)
        {
            ["Service:NodeName"] = name,
            ["RateLimiting:PermitsPerSecond"] = "10000",
            ["RateLimiting:Burst"] = "10000",
        }).WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<IStartupFilter, MapAnalyticsReadsIfMissing>()));

    private async Task<long> ActiveProductAsync()
    {
        await using var command = _fixture.Database.DataSource.CreateCommand(
            $"SELECT min(id) FROM catalog.products WHERE category_id = {Category} AND status = 'active'");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task ReadyAsync(HttpClient client, string what) =>
        await Eventually.TrueAsync(async () => (await client.GetAsync(new Uri("/health/ready", UriKind.Relative))).IsSuccessStatusCode, Deadline, $"{what} ready");

    private static List<(long, long)> Items(JsonElement page) =>
        [.. page.GetProperty("items").EnumerateArray().Select(i => (i.GetProperty("productId").GetInt64(), i.GetProperty("views").GetInt64()))];

    /// <summary>Maps the catalog's analytics reads into a node until <c>MapCatalogApi</c> does; a no-op once it does.</summary>
    private sealed class MapAnalyticsReadsIfMissing : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            next(app);
            var mapped = app.ApplicationServices.GetRequiredService<EndpointDataSource>().Endpoints
                .OfType<RouteEndpoint>().Any(e => e.RoutePattern.RawText == "/api/products/popular");
            if (!mapped)
            {
                app.UseRouting();
                app.UseEndpoints(endpoints => AnalyticsReadEndpoints.MapAnalyticsReads(endpoints));
            }
        };
    }
}
