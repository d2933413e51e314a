using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Caching;
using Platform.Contracts.Caching;

namespace Catalog.Api.Tests.Analytics;

public sealed class PopularProductsTests(AnalyticsCatalogFixture fixture) : IClassFixture<AnalyticsCatalogFixture>
{
    [Fact]
    public async Task PopularListsTheMostViewedActiveProductsOfTheCategoryOverTheDays()
    {
        const long category = 3;
        var active = await fixture.ProductsAsync(category);
        var inactive = (await fixture.ProductsAsync(category, "draft", 1)).Concat(await fixture.ProductsAsync(category, "archived", 1)).First();
        await fixture.ViewsAsync(category, active[0], daysAgo: 0, views: 5);
        await fixture.ViewsAsync(category, active[0], daysAgo: 3, views: 10);
        await fixture.ViewsAsync(category, active[1], daysAgo: 0, views: 20);
        await fixture.ViewsAsync(category, active[2], daysAgo: 10, views: 100);
        await fixture.ViewsAsync(category, inactive, daysAgo: 0, views: 500);
        await using var node = fixture.StartAnalyticsNode();
        var client = node.CreateClient();

        var week = await client.GetFromJsonAsync<JsonElement>($"/api/products/popular?category={category}");
        var month = await client.GetFromJsonAsync<JsonElement>($"/api/products/popular?category={category}&days=30&limit=2");

        Assert.Equal([(active[1], 20L), (active[0], 15L)], Items(week));
        Assert.Equal(7, week.GetProperty("days").GetInt32());
        Assert.Equal(AnalyticsCatalogFixture.Today.AddDays(-6).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), week.GetProperty("from").GetString());
        Assert.Equal([(active[2], 100L), (active[1], 20L)], Items(month));
        Assert.All(week.GetProperty("items").EnumerateArray(), i => Assert.Equal(category, i.GetProperty("categoryId").GetInt64()));
    }

    [Fact]
    public async Task PopularWithoutACategoryRanksTheProductsOfEveryCategory()
    {
        var (a, b) = ((await fixture.ProductsAsync(5))[0], (await fixture.ProductsAsync(6))[0]);
        await fixture.ViewsAsync(5, a, daysAgo: 1, views: 1_000_000);
        await fixture.ViewsAsync(6, b, daysAgo: 2, views: 2_000_000);
        await using var node = fixture.StartAnalyticsNode();

        var popular = await node.CreateClient().GetFromJsonAsync<JsonElement>("/api/products/popular?limit=2");

        Assert.Equal([(b, 2_000_000L), (a, 1_000_000L)], Items(popular));
        Assert.Equal(JsonValueKind.Null, popular.GetProperty("categoryId").ValueKind);
    }

    [Theory]
    [InlineData("days=0&limit=0", new[] { "days", "limit" })]
    [InlineData("days=91", new[] { "days" })]
    [InlineData("days=seven&limit=101", new[] { "days", "limit" })]
    [InlineData("limit=-1", new[] { "limit" })]
    public async Task BadPopularParametersAre400NamingEachOne(string query, string[] named)
    {
        await using var node = fixture.StartAnalyticsNode();

        var response = await node.CreateClient().GetAsync(new Uri($"/api/products/popular?category=1&{query}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(named.Order(), problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).Order());
    }

    [Fact]
    public async Task PopularOfAnUnknownCategoryIs404()
    {
        await using var node = fixture.StartAnalyticsNode();

        var response = await node.CreateClient().GetAsync(new Uri("/api/products/popular?category=no-such-category", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task APopularListStaysCachedUntilItsCategorysRollupIsAnnounced()
    {
        const long category = 8;
        var products = await fixture.ProductsAsync(category);
        await fixture.ViewsAsync(category, products[0], daysAgo: 0, views: 3);
        await using var node = fixture.StartAnalyticsNode();
        var client = node.CreateClient();
        var before = Items(await client.GetFromJsonAsync<JsonElement>($"/api/products/popular?category={category}"));

        // A rollup commits (more views for another product) but its announcement has not been applied yet.
        await fixture.ViewsAsync(category, products[1], daysAgo: 0, views: 9);
        var cached = Items(await client.GetFromJsonAsync<JsonElement>($"/api/products/popular?category={category}"));
        // What the invalidator does on AnalyticsRollupCompleted for this category.
        await node.Services.GetRequiredService<ITwoLevelCache>().RemoveByTagAsync(CacheNames.AnalyticsCategory(category));
        var after = Items(await client.GetFromJsonAsync<JsonElement>($"/api/products/popular?category={category}"));

        Assert.Equal([(products[0], 3L)], before);
        Assert.Equal(before, cached);
        Assert.Equal([(products[1], 9L), (products[0], 3L)], after);
    }

    private static List<(long, long)> Items(JsonElement page) =>
        [.. page.GetProperty("items").EnumerateArray().Select(i => (i.GetProperty("productId").GetInt64(), i.GetProperty("views").GetInt64()))];
}
