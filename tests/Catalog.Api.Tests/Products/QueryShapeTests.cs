using System.Diagnostics;
using System.Text.Json;
using Catalog.Api.Data;
using Catalog.Api.Products;
using Microsoft.EntityFrameworkCore;

namespace Catalog.Api.Tests.Products;

/// <summary>
/// The SQL behind the API: every list query uses its index, a miss costs one query, EF matches the schema.
/// Plans are judged at the demo volume: on a table of a few hundred rows PostgreSQL rightly prefers a sort.
/// </summary>
public sealed class QueryShapeTests(DemoCatalogFixture fixture) : IClassFixture<DemoCatalogFixture>
{
    [Theory]
    [InlineData(true, ProductSort.Recent, "products_active_category_recent_idx")]
    [InlineData(true, ProductSort.Name, "products_active_category_name_idx")]
    [InlineData(true, ProductSort.PriceAsc, "products_active_category_price_idx")]
    [InlineData(true, ProductSort.PriceDesc, "products_active_category_price_idx")]
    [InlineData(false, ProductSort.Recent, "products_active_recent_idx")]
    [InlineData(false, ProductSort.Name, "products_active_name_idx")]
    [InlineData(false, ProductSort.PriceAsc, "products_active_price_idx")]
    [InlineData(false, ProductSort.PriceDesc, "products_active_price_idx")]
    public async Task EachListQueryIsAnIndexScanOfItsIndex(bool byCategory, ProductSort sort, string index)
    {
        foreach (var withCursor in new[] { false, true })
        {
            var sql = ProductQueries.ListSql(byCategory, sort, withCursor);
            var explain = "EXPLAIN (FORMAT JSON) " + sql
                .Replace("@limit", "21", StringComparison.Ordinal)
                .Replace("@category", "3", StringComparison.Ordinal)
                .Replace("@after_id", "1000", StringComparison.Ordinal)
                .Replace("@after_value", sort switch
                {
                    ProductSort.Recent => "'2026-03-01T00:00:00Z'::timestamptz",
                    ProductSort.Name => "'M'::text",
                    _ => "500::numeric",
                }, StringComparison.Ordinal);

            var plan = await fixture.ScalarAsync<string>(explain);

            var indexes = IndexNames(JsonDocument.Parse(plan).RootElement).ToList();
            Assert.True(indexes.Contains(index), $"{sort} (category: {byCategory}, cursor: {withCursor}) used [{string.Join(", ", indexes)}]:\n{plan}");
            Assert.DoesNotContain("\"Sort\"", plan, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AListMissCostsOneQueryAndAHitNone()
    {
        // Query shape only: on a loaded machine a late heartbeat makes a node deaf for a moment (ADR 013), and a deaf
        // node rightly reads its category lookup again; that is tested in Platform.Caching.Tests, not here.
        await using var node = fixture.StartNode(overrides: new Dictionary<string, string?>
        {
            ["Cache:HeartbeatTimeout"] = "00:00:05",
            ["Cache:ResubscribeAfter"] = "00:00:30",
            ["Cache:DegradedL1Ttl"] = "00:00:10",
        });
        var client = node.CreateClient();
        await client.GetAsync(new Uri("/api/products?category=5&limit=3", UriKind.Relative));

        var miss = await CountProductQueriesAsync(() => client.GetAsync(new Uri("/api/products?category=5&limit=23", UriKind.Relative)));
        var hit = await CountProductQueriesAsync(() => client.GetAsync(new Uri("/api/products?category=5&limit=23", UriKind.Relative)));
        var item = await CountProductQueriesAsync(() => client.GetAsync(new Uri("/api/products/77", UriKind.Relative)));

        Assert.Equal(1, miss);
        Assert.Equal(0, hit);
        Assert.Equal(1, item);
    }

    [Fact]
    public async Task EntityModelMatchesTheMigratedSchema()
    {
        var options = new DbContextOptionsBuilder<CatalogDbContext>().UseNpgsql(fixture.Database.ConnectionString).Options;
        await using var db = new CatalogDbContext(options);

        foreach (var entity in db.Model.GetEntityTypes())
        {
            var table = entity.GetTableName()!;
            var schema = entity.GetSchema()!;
            var columns = await fixture.ListAsync(
                $"SELECT column_name || ':' || is_nullable || ':' || data_type FROM information_schema.columns WHERE table_schema = '{schema}' AND table_name = '{table}' ORDER BY column_name");
            Assert.True(columns.Count > 0, $"table {schema}.{table} does not exist");

            var store = Microsoft.EntityFrameworkCore.Metadata.StoreObjectIdentifier.Table(table, schema);
            var mapped = entity.GetProperties().Select(p => p.GetColumnName(store)!).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(columns.Select(c => c.Split(':')[0]), mapped);
            foreach (var property in entity.GetProperties())
            {
                var column = columns.Single(c => c.StartsWith(property.GetColumnName(store) + ":", StringComparison.Ordinal)).Split(':');
                Assert.True(property.IsNullable == (column[1] == "YES"), $"{table}.{column[0]}: EF nullable {property.IsNullable}, database {column[1]}");
            }
        }
    }

    private async Task<int> CountProductQueriesAsync(Func<Task<HttpResponseMessage>> request)
    {
        var database = fixture.Database.Name;
        var count = 0;
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                var db = activity.GetTagItem("db.namespace") ?? activity.GetTagItem("db.name");
                var text = (activity.GetTagItem("db.query.text") ?? activity.GetTagItem("db.statement"))?.ToString() ?? "";
                // The relay polls the outbox on the same database: count only catalog reads.
                if (Equals(db, database) && (text.Contains("catalog.products", StringComparison.Ordinal) || text.Contains("catalog.categories", StringComparison.Ordinal)))
                {
                    Interlocked.Increment(ref count);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        var response = await request();

        response.EnsureSuccessStatusCode();
        return count;
    }

    private static IEnumerable<string> IndexNames(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (property.Name == "Index Name")
                {
                    yield return property.Value.GetString()!;
                }

                foreach (var nested in IndexNames(property.Value))
                {
                    yield return nested;
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                foreach (var nested in IndexNames(item))
                {
                    yield return nested;
                }
            }
        }
    }
}
