using System.Net;
using System.Net.Http.Json;
using Catalog.Api.Categories;

namespace Catalog.Api.Tests.Categories;

public sealed class CategoryListTests(CatalogFixture fixture) : IClassFixture<CatalogFixture>, IAsyncLifetime
{
    public async Task InitializeAsync() => await fixture.SeedAsync(categories: 50, products: 200);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task ListReturnsEverySeededCategoryOrderedByName()
    {
        await using var node = fixture.StartNode();
        var client = node.CreateClient();

        var response = await client.GetAsync(new Uri("/api/categories", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadFromJsonAsync<ListResponse<CategoryDto>>();
        Assert.NotNull(body);
        Assert.Equal(50, body.Items.Count);
        Assert.Equal(body.Items.Select(c => c.Name).Order(StringComparer.Ordinal), body.Items.Select(c => c.Name));
        Assert.Contains(body.Items, c => c is { Slug: "audio", Name: "Audio", Version: 1 });
    }

    [Fact]
    public async Task TwoNodesOverOneDatabaseServeTheSameCategories()
    {
        await using var nodeA = fixture.StartNode("node-a");
        await using var nodeB = fixture.StartNode("node-b");

        var fromA = await CatalogFixture.GetJsonAsync<ListResponse<CategoryDto>>(nodeA.CreateClient(), "/api/categories");
        var fromB = await CatalogFixture.GetJsonAsync<ListResponse<CategoryDto>>(nodeB.CreateClient(), "/api/categories");

        Assert.Equal(fromA.Items.Select(c => c.Id), fromB.Items.Select(c => c.Id));
    }
}
