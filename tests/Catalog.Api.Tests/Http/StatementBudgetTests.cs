using System.Net;
using Catalog.Api.Tests.Analytics;

namespace Catalog.Api.Tests.Http;

/// <summary>
/// No N+1 on any read: every read endpoint, uncached (the cost of a miss), issues a fixed number of SQL statements,
/// the same for a page of 2 items as for a page of 50.
/// </summary>
public sealed class StatementBudgetTests(AnalyticsCatalogFixture fixture) : IClassFixture<AnalyticsCatalogFixture>
{
    [Theory]
    [InlineData("/api/categories", null, 1)]
    [InlineData("/api/products?sort=name&limit={n}", null, 1)]
    [InlineData("/api/products?category=3&sort=price_desc&limit={n}", null, 2)]
    [InlineData("/api/products?category=3&sort=recent&limit={n}&cursor=FIRST", null, 2)]
    [InlineData("/api/products/{first}", null, 1)]
    [InlineData("/api/products/popular?category=3&limit={n}", "views", 2)]
    [InlineData("/api/analytics/categories/3/daily?days={n}", "days", 2)]
    public async Task EveryReadIssuesAFixedNumberOfStatementsWhateverItsSize(string template, string? data, int budget)
    {
        var products = await fixture.ProductsAsync(3, count: 60);
        if (data == "views")
        {
            for (var i = 0; i < products.Count; i++)
            {
                await fixture.ViewsAsync(3, products[i], daysAgo: 1, views: 1000 + i);
            }
        }
        else if (data == "days")
        {
            for (var day = 1; day <= 50; day++)
            {
                await fixture.CategoryDayAsync(3, AnalyticsCatalogFixture.Today.AddDays(-day), 10 * day, day, 100);
            }
        }

        await using var node = fixture.StartNode(overrides: new Dictionary<string, string?> { ["Catalog:CacheEnabled"] = "false" });
        var client = node.CreateClient();
        var cursor = await FirstCursorAsync(client);
        var counts = new List<int>();
        foreach (var size in new[] { 2, 50 })
        {
            var path = template.Replace("{n}", size.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("{first}", products[0].ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("FIRST", cursor, StringComparison.Ordinal);
            HttpResponseMessage? response = null;
            var sql = await fixture.SqlDuringAsync(async () => response = await client.GetAsync(new Uri(path, UriKind.Relative)));
            Assert.Equal(HttpStatusCode.OK, response!.StatusCode);
            // The relay polls the outbox of the same database on its own schedule: not the request's statements.
            var statements = sql.Where(s => !s.Contains("outbox", StringComparison.Ordinal)).ToList();
            Assert.True(statements.Count >= 1 && statements.Count <= budget, $"{path}: {statements.Count} statements, budget 1 to {budget}:\n{string.Join("\n---\n", statements)}");
            counts.Add(statements.Count);
        }

        Assert.Equal(counts[0], counts[1]);
    }

    private static async Task<string> FirstCursorAsync(HttpClient client)
    {
        var page = await CatalogFixture.GetJsonAsync<Catalog.Api.Products.ProductPage>(client, "/api/products?category=3&sort=recent&limit=3");
        return page.NextCursor!;
    }
}
