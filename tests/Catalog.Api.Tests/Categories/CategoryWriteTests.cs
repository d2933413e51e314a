using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Catalog.Api.Categories;

namespace Catalog.Api.Tests.Categories;

public sealed class CategoryWriteTests(CatalogFixture fixture) : IClassFixture<CatalogFixture>
{
    private static string Slug() => "c-" + Guid.NewGuid().ToString("N")[..8];

    private static HttpRequestMessage Put(long id, object body, string? ifMatch)
    {
        var put = new HttpRequestMessage(HttpMethod.Put, $"/api/categories/{id}") { Content = JsonContent.Create(body) };
        if (ifMatch is not null)
        {
            put.Headers.IfMatch.ParseAdd(ifMatch);
        }

        return put;
    }

    private static async Task<CategoryDto> CreateAsync(HttpClient client, string slug)
    {
        var response = await client.PostAsJsonAsync("/api/categories", new { slug, name = "New one" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<CategoryDto>())!;
    }

    private Task<long> ChangedEventsAsync(long id) =>
        fixture.ScalarAsync<long>($"SELECT count(*) FROM catalog.outbox WHERE message_type = 'catalog.category-changed.v1' AND payload->>'categoryId' = '{id}'");

    [Fact]
    public async Task CreateAndUpdateRecordCategoryChangedAndADuplicateSlugIs409()
    {
        await using var node = fixture.StartNode();
        var client = CatalogFixture.Writer(node);
        var slug = Slug();

        var created = await CreateAsync(client, slug);
        using var put = Put(created.Id, new { slug, name = "Renamed", description = "" }, "\"v1\"");
        var updated = await client.SendAsync(put);
        var duplicate = await client.PostAsJsonAsync("/api/categories", new { slug, name = "Again" });
        var badSlug = await client.PostAsJsonAsync("/api/categories", new { slug = "Not A Slug", name = "x" });

        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal("\"v2\"", updated.Headers.ETag?.Tag);
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        Assert.True((await duplicate.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("slug", out _));
        Assert.Equal(HttpStatusCode.BadRequest, badSlug.StatusCode);
        Assert.Equal(2L, await ChangedEventsAsync(created.Id));
    }

    [Fact]
    public async Task UpdateWithoutIfMatchIs428AndChangesNothing()
    {
        await using var node = fixture.StartNode();
        var client = CatalogFixture.Writer(node);
        var slug = Slug();
        var created = await CreateAsync(client, slug);

        using var put = Put(created.Id, new { slug, name = "Overwritten blind", description = "" }, ifMatch: null);
        var response = await client.SendAsync(put);

        Assert.Equal((HttpStatusCode)428, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("New one", await fixture.ScalarAsync<string>($"SELECT name FROM catalog.categories WHERE id = {created.Id}"));
        Assert.Equal(1L, await ChangedEventsAsync(created.Id));
    }

    [Fact]
    public async Task UpdateWithAStaleIfMatchIs412WithTheCurrentETagAndChangesNothing()
    {
        await using var node = fixture.StartNode();
        var client = CatalogFixture.Writer(node);
        var slug = Slug();
        var created = await CreateAsync(client, slug);
        using var first = Put(created.Id, new { slug, name = "First", description = "" }, "\"v1\"");
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(first)).StatusCode);

        using var stale = Put(created.Id, new { slug, name = "Lost update", description = "" }, "\"v1\"");
        var response = await client.SendAsync(stale);

        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        Assert.Equal("\"v2\"", response.Headers.ETag?.Tag);
        Assert.Equal("First", await fixture.ScalarAsync<string>($"SELECT name FROM catalog.categories WHERE id = {created.Id}"));
    }

    [Fact]
    public async Task UpdateMissingTheDescriptionIs400NamingItInsteadOfBlankingIt()
    {
        await using var node = fixture.StartNode();
        var client = CatalogFixture.Writer(node);
        var slug = Slug();
        var created = (await (await client.PostAsJsonAsync("/api/categories", new { slug, name = "Lamps", description = "Kept" })).Content.ReadFromJsonAsync<CategoryDto>())!;

        using var put = Put(created.Id, new { slug, name = "Renamed" }, "\"v1\"");
        var response = await client.SendAsync(put);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("description", out _));
        Assert.Equal("Kept", await fixture.ScalarAsync<string>($"SELECT description FROM catalog.categories WHERE id = {created.Id}"));
    }

    [Fact]
    public async Task UpdateOfAnUnknownCategoryIs404()
    {
        await using var node = fixture.StartNode();

        using var put = Put(987_654_321, new { slug = Slug(), name = "Nobody", description = "" }, "\"v1\"");
        var response = await CatalogFixture.Writer(node).SendAsync(put);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
