using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Catalog.Api.Products;

namespace Catalog.Api.Tests.Http;

/// <summary>
/// What an API consumer relies on beyond the bodies: the next page's Link header, PUT taking back what GET gave,
/// ETags that move whenever the bytes do, an OpenAPI document that states the rules, and paging that is exact where
/// the sort key never changes.
/// </summary>
public sealed class ApiContractTests(SeededCatalogFixture fixture) : IClassFixture<SeededCatalogFixture>
{
    [Fact]
    public async Task AListPageLinksToTheNextPageAndTheLastPageToNone()
    {
        await using var node = fixture.StartNode();
        var client = node.CreateClient();
        var path = "/api/products?category=4&sort=price_asc&limit=7";
        var seen = new List<long>();
        for (var pages = 0; pages < 1000; pages++)
        {
            var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            response.EnsureSuccessStatusCode();
            var page = (await response.Content.ReadFromJsonAsync<ProductPage>())!;
            seen.AddRange(page.Items.Select(p => p.Id));
            var hit = await client.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(response.Headers.TryGetValues("Link", out var l1) ? l1.Single() : null, hit.Headers.TryGetValues("Link", out var l2) ? l2.Single() : null);
            if (page.NextCursor is null)
            {
                Assert.False(response.Headers.Contains("Link"), "the last page has no next link");
                break;
            }

            var link = Assert.Single(response.Headers.GetValues("Link"));
            Assert.EndsWith(">; rel=\"next\"", link, StringComparison.Ordinal);
            path = link[1..link.IndexOf('>', StringComparison.Ordinal)];
            Assert.Contains($"cursor={page.NextCursor}", path, StringComparison.Ordinal);
        }

        var expected = await fixture.ListAsync("SELECT id::text FROM catalog.products WHERE category_id = 4 AND status = 'active' ORDER BY price, id");
        Assert.Equal(expected.Select(long.Parse), seen);
    }

    [Fact]
    public async Task APutAcceptsTheBodyAGetReturnedIgnoringItsReadOnlyFields()
    {
        await using var node = fixture.StartNode();
        var client = CatalogFixture.Writer(node);
        var created = await client.PostAsJsonAsync("/api/products", new { sku = Sku(), name = "Echo", categoryId = 2, price = 3.5m, status = "active" });
        var id = (await created.Content.ReadFromJsonAsync<ProductDto>())!.Id;
        var get = await client.GetAsync(new Uri($"/api/products/{id}", UriKind.Relative));
        var body = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(await get.Content.ReadAsStringAsync())!;
        var edited = body.ToDictionary(p => p.Key, p => (object)p.Value);
        edited["name"] = "Echo, renamed";

        using var put = new HttpRequestMessage(HttpMethod.Put, $"/api/products/{id}") { Content = JsonContent.Create(edited) };
        put.Headers.IfMatch.Add(get.Headers.ETag!);
        var response = await client.SendAsync(put);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var updated = (await response.Content.ReadFromJsonAsync<ProductDto>())!;
        Assert.Equal("Echo, renamed", updated.Name);
        Assert.Equal(2, updated.Version);
        Assert.Equal(body["sku"].GetString(), updated.Sku);
    }

    [Fact]
    public async Task APutWithAnotherProductsIdIsA400NamingIdAndChangesNothing()
    {
        await using var node = fixture.StartNode();
        var client = CatalogFixture.Writer(node);
        var created = await client.PostAsJsonAsync("/api/products", new { sku = Sku(), name = "Mine", categoryId = 2, price = 3.5m, status = "active" });
        var id = (await created.Content.ReadFromJsonAsync<ProductDto>())!.Id;

        using var put = new HttpRequestMessage(HttpMethod.Put, $"/api/products/{id}")
        {
            Content = JsonContent.Create(new { id = id + 1, name = "Theirs", description = "", categoryId = 2, price = 3.5m, currency = "EUR", status = "active" }),
        };
        put.Headers.IfMatch.ParseAdd("\"v1\"");
        var response = await client.SendAsync(put);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("id", out _));
        Assert.Equal("Mine", await fixture.ScalarAsync<string>($"SELECT name FROM catalog.products WHERE id = {id}"));
    }

    [Fact]
    public async Task ACategoryCreateRefusesAnIdAndItsPutAcceptsTheGetBodyBack()
    {
        await using var node = fixture.StartNode();
        var client = CatalogFixture.Writer(node);
        var slug = "c-" + Guid.NewGuid().ToString("N")[..10];

        var withId = await client.PostAsJsonAsync("/api/categories", new { id = 5, slug, name = "Lamps" });
        Assert.Equal(HttpStatusCode.BadRequest, withId.StatusCode);
        Assert.Contains("\"id\"", await withId.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var created = await client.PostAsJsonAsync("/api/categories", new { slug, name = "Lamps" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(await created.Content.ReadAsStringAsync())!;
        var edited = body.ToDictionary(p => p.Key, p => (object)p.Value);
        edited["name"] = "Lamps and lights";
        using var put = new HttpRequestMessage(HttpMethod.Put, $"/api/categories/{body["id"].GetInt64()}") { Content = JsonContent.Create(edited) };
        put.Headers.IfMatch.Add(created.Headers.ETag!);

        var response = await client.SendAsync(put);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Lamps and lights", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AChangeMadeOutsideTheApiMovesTheItemsETag()
    {
        await using var node = fixture.StartNode(overrides: new Dictionary<string, string?> { ["Catalog:CacheEnabled"] = "false" });
        var client = CatalogFixture.Writer(node);
        var created = await client.PostAsJsonAsync("/api/products", new { sku = Sku(), name = "Before", categoryId = 3, price = 1m, status = "active" });
        var id = (await created.Content.ReadFromJsonAsync<ProductDto>())!.Id;
        var before = await client.GetAsync(new Uri($"/api/products/{id}", UriKind.Relative));

        await fixture.ScalarAsync<object>($"UPDATE catalog.products SET name = 'Changed by hand' WHERE id = {id} RETURNING 1");
        using var revalidate = new HttpRequestMessage(HttpMethod.Get, $"/api/products/{id}");
        revalidate.Headers.IfNoneMatch.Add(before.Headers.ETag!);
        var after = await client.SendAsync(revalidate);

        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Contains("Changed by hand", await after.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.NotEqual(before.Headers.ETag, after.Headers.ETag);

        // The API's own update moves the version once, not twice.
        using var put = new HttpRequestMessage(HttpMethod.Put, $"/api/products/{id}")
        {
            Content = JsonContent.Create(new { name = "Via the API", description = "", categoryId = 3, price = 1m, currency = "EUR", status = "active" }),
        };
        put.Headers.IfMatch.Add(after.Headers.ETag!);
        var updated = await client.SendAsync(put);
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal("\"v3\"", updated.Headers.ETag?.Tag);
    }

    [Fact]
    public async Task RecentPagingSeesEveryProductExactlyOnceWhileNamesAndPricesChange()
    {
        await using var node = fixture.StartNode(overrides: new Dictionary<string, string?> { ["Catalog:CacheEnabled"] = "false" });
        var client = node.CreateClient();
        var expected = (await fixture.ListAsync("SELECT id::text FROM catalog.products WHERE category_id = 9 AND status = 'active'")).Select(long.Parse).ToHashSet();

        using var stop = new CancellationTokenSource();
        var changing = Task.Run(async () =>
        {
            var rounds = 0;
            while (!stop.IsCancellationRequested)
            {
                // Every product of the category moves in name and price order on every round.
                await fixture.ScalarAsync<object>("UPDATE catalog.products SET price = CASE WHEN price > 500 THEN price - 400 ELSE price + 400 END, name = reverse(name) WHERE category_id = 9 AND status = 'active' RETURNING 1");
                rounds++;
            }

            return rounds;
        });

        var seen = new List<long>();
        string? cursor = null;
        do
        {
            var page = await CatalogFixture.GetJsonAsync<ProductPage>(client, "/api/products?category=9&sort=recent&limit=5" + (cursor is null ? "" : $"&cursor={cursor}"));
            seen.AddRange(page.Items.Select(p => p.Id));
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        await stop.CancelAsync();
        Assert.True(await changing > 0);

        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Equal(expected, seen.ToHashSet());
    }

    [Fact]
    public async Task TheOpenApiDocumentStatesKeysRefusalsSortsAndPaging()
    {
        await using var node = fixture.StartNode();

        var document = await CatalogFixture.GetJsonAsync<JsonElement>(node.CreateClient(), "/openapi/v1.json");

        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey");
        Assert.Equal("apiKey", scheme.GetProperty("type").GetString());
        Assert.Equal("X-Api-Key", scheme.GetProperty("name").GetString());
        var paths = document.GetProperty("paths");
        var list = paths.GetProperty("/api/products").GetProperty("get");
        var sort = list.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "sort");
        Assert.Equal(["recent", "name", "price_asc", "price_desc"], sort.GetProperty("schema").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("exactly once", list.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.True(list.GetProperty("responses").GetProperty("200").GetProperty("headers").TryGetProperty("Link", out _));
        Assert.False(list.TryGetProperty("security", out _));
        var update = paths.GetProperty("/api/products/{id}").GetProperty("put");
        Assert.Equal("ApiKey", update.GetProperty("security")[0].EnumerateObject().Single().Name);
        foreach (var status in new[] { "400", "401", "403", "404", "412", "428", "429" })
        {
            Assert.True(update.GetProperty("responses").TryGetProperty(status, out _), $"PUT /api/products/{{id}} does not document {status}");
        }

        Assert.True(paths.GetProperty("/api/products/{id}").GetProperty("get").GetProperty("responses").TryGetProperty("400", out _));
    }

    private static string Sku() => "T-" + Guid.NewGuid().ToString("N")[..12].ToUpperInvariant();
}
