using System.Net;
using System.Net.Http.Json;
using Catalog.Api.Products;
using Platform.Testing;

namespace Catalog.Api.Tests.Products;

/// <summary>
/// The writing node evicts what its commit made stale on every node itself (ADR 009). No invalidator runs in these
/// tests, so without that eviction the other node would serve its cached copy until it expires (10 minutes).
/// </summary>
public sealed class WriteEvictionTests(SeededCatalogFixture fixture) : IClassFixture<SeededCatalogFixture>
{
    [Fact]
    public async Task AnUpdateOnOneNodeIsReadOnTheOtherNodeWithoutTheInvalidator()
    {
        await using var a = fixture.StartNode("node-a");
        await using var b = fixture.StartNode("node-b");
        var writer = CatalogFixture.Writer(a);
        var reader = b.CreateClient();
        var before = await CatalogFixture.GetJsonAsync<ProductDto>(reader, "/api/products/21");
        var list = await CatalogFixture.GetJsonAsync<ProductPage>(reader, $"/api/products?category={before.CategoryId}&limit=100");
        Assert.Contains(list.Items, p => p.Id == 21);

        var response = await PutAsync(writer, before, "Renamed by node A");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // The backplane message reaches node B a moment after the PUT returns: poll for it, with a deadline.
        await Eventually.TrueAsync(async () =>
            (await CatalogFixture.GetJsonAsync<ProductDto>(reader, "/api/products/21")).Version == before.Version + 1, TimeSpan.FromSeconds(10), "item evicted on node B");
        await Eventually.TrueAsync(async () =>
            (await CatalogFixture.GetJsonAsync<ProductPage>(reader, $"/api/products?category={before.CategoryId}&limit=100"))
                .Items.Any(p => p.Id == 21 && p.Name == "Renamed by node A"), TimeSpan.FromSeconds(10), "category list evicted on node B");
    }

    [Fact]
    public async Task AWriteSucceedsWhenRedisIsDownAndItsEventIsStillInTheOutbox()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var node = fixture.StartNode("node-redis-down", new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = redis.Configuration });
        var writer = CatalogFixture.Writer(node);
        var before = await CatalogFixture.GetJsonAsync<ProductDto>(writer, "/api/products/22");
        await redis.KillAsync();

        var response = await PutAsync(writer, before, "Written while Redis is down");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(before.Version + 1, await fixture.ScalarAsync<int>("SELECT version FROM catalog.products WHERE id = 22"));
        Assert.Equal(1L, await fixture.ScalarAsync<long>(
            $"SELECT count(*) FROM catalog.outbox WHERE message_type = 'catalog.product-updated.v1' AND payload->>'productId' = '22' AND (payload->>'version')::int = {before.Version + 1}"));
    }

    private static Task<HttpResponseMessage> PutAsync(HttpClient writer, ProductDto current, string name)
    {
        var put = new HttpRequestMessage(HttpMethod.Put, $"/api/products/{current.Id}")
        {
            // A PUT replaces the whole state: everything but the name as it was read.
            Content = JsonContent.Create(new { name, description = current.Description, categoryId = current.CategoryId, price = current.Price, currency = current.Currency, status = current.Status }),
        };
        put.Headers.IfMatch.ParseAdd($"\"v{current.Version}\"");
        return writer.SendAsync(put);
    }
}
