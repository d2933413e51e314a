using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Catalog.Api.Products;

namespace Catalog.Api.Tests.Products;

public sealed class ProductListTests(SeededCatalogFixture fixture) : IClassFixture<SeededCatalogFixture>
{
    [Theory]
    [InlineData("recent")]
    [InlineData("name")]
    [InlineData("price_asc")]
    [InlineData("price_desc")]
    public async Task WalkingEveryPageReturnsEachActiveProductOfTheCategoryOnceInOrder(string sort)
    {
        await using var node = fixture.StartNode();
        var client = node.CreateClient();
        var expected = await fixture.ScalarAsync<long>("SELECT count(*) FROM catalog.products WHERE status = 'active' AND category_id = 3");

        var seen = new List<ProductDto>();
        string? cursor = null;
        do
        {
            var page = await CatalogFixture.GetJsonAsync<ProductPage>(client, $"/api/products?category=3&sort={sort}&limit=37" + (cursor is null ? "" : $"&cursor={cursor}"));
            seen.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        Assert.Equal(expected, seen.Count);
        Assert.Equal(seen.Count, seen.Select(p => p.Id).Distinct().Count());
        Assert.All(seen, p => Assert.Equal(3, p.CategoryId));
        var ordered = sort switch
        {
            "recent" => seen.OrderByDescending(p => p.CreatedAt).ThenByDescending(p => p.Id),
            "name" => seen.OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Id),
            "price_asc" => seen.OrderBy(p => p.Price).ThenBy(p => p.Id),
            _ => seen.OrderByDescending(p => p.Price).ThenByDescending(p => p.Id),
        };
        Assert.Equal(ordered.Select(p => p.Id), seen.Select(p => p.Id));
    }

    [Fact]
    public async Task CategoryBySlugAndByIdGiveTheSamePage()
    {
        await using var node = fixture.StartNode();
        var client = node.CreateClient();

        var bySlug = await CatalogFixture.GetJsonAsync<ProductPage>(client, "/api/products?category=books");
        var byId = await CatalogFixture.GetJsonAsync<ProductPage>(client, "/api/products?category=2");

        Assert.Equal(20, bySlug.Items.Count);
        Assert.Equal(byId.Items.Select(p => p.Id), bySlug.Items.Select(p => p.Id));
    }

    [Theory]
    [InlineData("sort=cheapest", "sort")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=101", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("cursor=not-a-cursor", "cursor")]
    [InlineData("cursor=%00%01", "cursor")]
    public async Task BadListParameterIsA400NamingIt(string query, string parameter)
    {
        await using var node = fixture.StartNode();

        var response = await node.CreateClient().GetAsync(new Uri($"/api/products?{query}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(parameter, out _), $"errors should name '{parameter}'");
    }

    [Fact]
    public async Task CursorOfAnotherSortIsRejected()
    {
        await using var node = fixture.StartNode();
        var client = node.CreateClient();
        var first = await CatalogFixture.GetJsonAsync<ProductPage>(client, "/api/products?sort=name");

        var response = await client.GetAsync(new Uri($"/api/products?sort=recent&cursor={first.NextCursor}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("belongs to sort 'name'", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownCategoryIsA404Problem()
    {
        await using var node = fixture.StartNode();

        var response = await node.CreateClient().GetAsync(new Uri("/api/products?category=no-such-thing", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task ListsSendAnETagAndNoCacheAndAnswer304WhenItMatches()
    {
        await using var node = fixture.StartNode();
        var client = node.CreateClient();

        var first = await client.GetAsync(new Uri("/api/products?category=4", UriKind.Relative));
        var etag = first.Headers.ETag;
        using var conditional = new HttpRequestMessage(HttpMethod.Get, "/api/products?category=4");
        conditional.Headers.IfNoneMatch.Add(etag!);
        var second = await client.SendAsync(conditional);

        Assert.NotNull(etag);
        Assert.True(first.Headers.CacheControl?.NoCache);
        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
        Assert.Empty(await second.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task ClientMaxAgeIsConfigurable()
    {
        await using var node = fixture.StartNode(overrides: new Dictionary<string, string?> { ["Catalog:ClientMaxAgeSeconds"] = "30" });

        var response = await node.CreateClient().GetAsync(new Uri("/api/products", UriKind.Relative));

        Assert.Equal(TimeSpan.FromSeconds(30), response.Headers.CacheControl?.MaxAge);
    }

    [Theory]
    [InlineData("br")]
    [InlineData("gzip")]
    public async Task ListsAreCompressedWhenTheClientAsks(string encoding)
    {
        await using var node = fixture.StartNode();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/products?limit=100");
        request.Headers.AcceptEncoding.ParseAdd(encoding);

        var response = await node.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(encoding, response.Content.Headers.ContentEncoding);
    }

    [Fact]
    public async Task ProductByIdHasAVersionETagAndAnswers304()
    {
        await using var node = fixture.StartNode();
        var client = node.CreateClient();

        var response = await client.GetAsync(new Uri("/api/products/42", UriKind.Relative));
        var product = await response.Content.ReadFromJsonAsync<ProductDto>();
        using var conditional = new HttpRequestMessage(HttpMethod.Get, "/api/products/42");
        conditional.Headers.IfNoneMatch.ParseAdd($"\"v{product!.Version}\"");
        var notModified = await client.SendAsync(conditional);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"\"v{product.Version}\"", response.Headers.ETag?.Tag);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
    }

    [Fact]
    public async Task MissingProductIsA404ProblemAndStaysSoOnTheSecondRead()
    {
        await using var node = fixture.StartNode();
        var client = node.CreateClient();

        var first = await client.GetAsync(new Uri("/api/products/999999", UriKind.Relative));
        var second = await client.GetAsync(new Uri("/api/products/999999", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, first.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, second.StatusCode);
        Assert.Equal("application/problem+json", second.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task OpenApiDocumentDescribesTheProductEndpoints()
    {
        await using var node = fixture.StartNode();

        var document = await CatalogFixture.GetJsonAsync<JsonElement>(node.CreateClient(), "/openapi/v1.json");

        var paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/products", out _));
        Assert.True(paths.TryGetProperty("/api/products/{id}", out _));
        Assert.True(paths.TryGetProperty("/api/categories", out _));
    }
}
