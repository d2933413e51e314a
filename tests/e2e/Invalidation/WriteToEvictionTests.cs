extern alias catalog;
extern alias invalidator;

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Testing;
using CatalogProgram = catalog::Program;
using DemoSeeder = catalog::Catalog.Api.Seeding.DemoSeeder;
using InvalidatorProgram = invalidator::Program;

namespace Platform.EndToEnd.Tests.Invalidation;

/// <summary>
/// The whole loop in one process: catalog node A commits a change and its event (outbox), the relay publishes
/// it to RabbitMQ, the invalidator evicts through Redis, and node B's L1 learns it over the backplane.
/// </summary>
public sealed class WriteToEvictionTests : IAsyncLifetime
{
    private const string WriterKey = "e2e-writer-key-0123456789";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly ServiceFixture _fixture = new();

    public async Task InitializeAsync()
    {
        await _fixture.InitializeAsync();
        await new DemoSeeder(_fixture.Database.DataSource, NullLogger<DemoSeeder>.Instance).SeedAsync(5, 200, CancellationToken.None);
    }

    public Task DisposeAsync() => _fixture.DisposeAsync();

    [Fact]
    public async Task AWriteOnOneCatalogNodeIsSeenOnTheOtherNodeAfterEviction()
    {
        await using var invalidatorHost = new ServiceHost<InvalidatorProgram>(_fixture.Settings);
        _ = invalidatorHost.Services;
        await using var nodeA = Node("catalog-a");
        await using var nodeB = Node("catalog-b");
        var readerB = nodeB.CreateClient();
        var writerA = nodeA.CreateClient();
        writerA.DefaultRequestHeaders.Add("X-Api-Key", WriterKey);

        var before = await readerB.GetFromJsonAsync<JsonElement>("/api/products/5");
        var pageBefore = await readerB.GetFromJsonAsync<JsonElement>($"/api/products?category={before.GetProperty("categoryId").GetInt64()}&sort=name&limit=100");
        using var put = new HttpRequestMessage(HttpMethod.Put, "/api/products/5")
        {
            Content = JsonContent.Create(new
            {
                name = "Renamed end to end",
                description = before.GetProperty("description").GetString(),
                categoryId = before.GetProperty("categoryId").GetInt64(),
                price = 1.5m,
                currency = before.GetProperty("currency").GetString(),
                status = "active",
            }),
        };
        put.Headers.IfMatch.ParseAdd($"\"v{before.GetProperty("version").GetInt32()}\"");
        var response = await writerA.SendAsync(put);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        await Eventually.TrueAsync(async () =>
        {
            var after = await readerB.GetFromJsonAsync<JsonElement>("/api/products/5");
            return after.GetProperty("version").GetInt32() == before.GetProperty("version").GetInt32() + 1;
        }, Deadline, "node B serves the new version of the product");
        await Eventually.TrueAsync(async () =>
        {
            var page = await readerB.GetFromJsonAsync<JsonElement>($"/api/products?category={before.GetProperty("categoryId").GetInt64()}&sort=name&limit=100");
            return page.GetProperty("items").EnumerateArray().Any(p => p.GetProperty("name").GetString() == "Renamed end to end");
        }, Deadline, "node B's category page shows the new name");
        Assert.DoesNotContain(pageBefore.GetProperty("items").EnumerateArray(), p => p.GetProperty("name").GetString() == "Renamed end to end");
    }

    private ServiceHost<CatalogProgram> Node(string name) => new(new Dictionary<string, string?>(_fixture.Settings)
    {
        ["Service:NodeName"] = name,
        ["Auth:ApiKeys:0:Name"] = "writer",
        ["Auth:ApiKeys:0:Key"] = WriterKey,
        ["Auth:ApiKeys:0:Scopes:0"] = "catalog:write",
    });
}
