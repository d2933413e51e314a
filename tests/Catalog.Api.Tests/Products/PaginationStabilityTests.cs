using System.Net.Http.Json;
using Catalog.Api.Products;

namespace Catalog.Api.Tests.Products;

public sealed class PaginationStabilityTests(SeededCatalogFixture fixture) : IClassFixture<SeededCatalogFixture>
{
    [Fact]
    public async Task PagingIsStableWhileProductsAreInsertedConcurrently()
    {
        // Uncached, so every page really runs its keyset query while the inserts land.
        await using var node = fixture.StartNode(overrides: new Dictionary<string, string?> { ["Catalog:CacheEnabled"] = "false" });
        var reader = node.CreateClient();
        var writer = CatalogFixture.Writer(node);
        var before = (await fixture.ListAsync("SELECT id::text FROM catalog.products WHERE status = 'active' AND category_id = 6")).Select(long.Parse).ToHashSet();

        using var stop = new CancellationTokenSource();
        var inserting = Task.Run(async () =>
        {
            var n = 0;
            while (!stop.IsCancellationRequested)
            {
                await writer.PostAsJsonAsync("/api/products", new { sku = $"P-{Guid.NewGuid():N}"[..20].ToUpperInvariant(), name = $"Inserted {n++}", categoryId = 6, price = 5m, status = "active" });
            }

            return n;
        });

        var seen = new List<long>();
        foreach (var sort in new[] { "recent", "price_asc" })
        {
            seen.Clear();
            string? cursor = null;
            do
            {
                var page = await CatalogFixture.GetJsonAsync<ProductPage>(reader, $"/api/products?category=6&sort={sort}&limit=10" + (cursor is null ? "" : $"&cursor={cursor}"));
                seen.AddRange(page.Items.Select(p => p.Id));
                cursor = page.NextCursor;
            }
            while (cursor is not null);

            Assert.Equal(seen.Count, seen.Distinct().Count());
            Assert.Subset(seen.ToHashSet(), before);
        }

        await stop.CancelAsync();
        Assert.True(await inserting > 0, "rows were inserted while paging");
    }
}
