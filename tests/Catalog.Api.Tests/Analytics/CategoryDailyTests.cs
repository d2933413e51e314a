using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Catalog.Api.Tests.Analytics;

public sealed class CategoryDailyTests(AnalyticsCatalogFixture fixture) : IClassFixture<AnalyticsCatalogFixture>
{
    [Fact]
    public async Task TheDailySeriesListsEveryDayOfTheRangeWithZerosForQuietDays()
    {
        const long category = 4;
        var today = AnalyticsCatalogFixture.Today;
        await fixture.CategoryDayAsync(category, today.AddDays(-3), 40, 7, 9);
        await fixture.CategoryDayAsync(category, today.AddDays(-1), 12, 3, 3);
        await fixture.CategoryDayAsync(category, today.AddDays(-9), 99, 9, 9);
        await using var node = fixture.StartAnalyticsNode();

        var series = await node.CreateClient().GetFromJsonAsync<JsonElement>($"/api/analytics/categories/{category}/daily?from={Day(today.AddDays(-4))}&to={Day(today)}");

        Assert.Equal(category, series.GetProperty("categoryId").GetInt64());
        Assert.Equal(
            [(Day(today.AddDays(-4)), 0L, 0, 0), (Day(today.AddDays(-3)), 40L, 7, 9), (Day(today.AddDays(-2)), 0L, 0, 0), (Day(today.AddDays(-1)), 12L, 3, 3), (Day(today), 0L, 0, 0)],
            series.GetProperty("days").EnumerateArray().Select(d => (d.GetProperty("day").GetString(), d.GetProperty("views").GetInt64(),
                d.GetProperty("productsViewed").GetInt32(), d.GetProperty("activeProducts").GetInt32())).ToList());
    }

    [Fact]
    public async Task TheDailySeriesDefaultsToTheLast30DaysAndTakesASlug()
    {
        await using var node = fixture.StartAnalyticsNode();

        var series = await node.CreateClient().GetFromJsonAsync<JsonElement>("/api/analytics/categories/books/daily");

        Assert.Equal(30, series.GetProperty("days").GetArrayLength());
        Assert.Equal(Day(AnalyticsCatalogFixture.Today), series.GetProperty("to").GetString());
    }

    [Theory]
    [InlineData("from=2026-13-01", "from")]
    [InlineData("to=yesterday", "to")]
    [InlineData("from=2026-02-01&to=2026-01-01", "from")]
    [InlineData("from=2024-01-01&to=2026-01-01", "from")]
    public async Task ABadRangeIs400NamingTheParameter(string query, string named)
    {
        await using var node = fixture.StartAnalyticsNode();

        var response = await node.CreateClient().GetAsync(new Uri($"/api/analytics/categories/1/daily?{query}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal([named], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));
    }

    [Fact]
    public async Task TheSeriesOfAnUnknownCategoryIs404()
    {
        await using var node = fixture.StartAnalyticsNode();

        var response = await node.CreateClient().GetAsync(new Uri("/api/analytics/categories/999999/daily", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
