using Catalog.Api.Seeding;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Testing;

namespace Catalog.Api.Tests.Categories;

public sealed class DemoSeederTests
{
    [Fact]
    public async Task SeedingTwiceInsertsNothingTheSecondTime()
    {
        await using var db = await TestDatabase.CreateMigratedAsync();
        var seeder = new DemoSeeder(db.DataSource, NullLogger<DemoSeeder>.Instance);

        var first = await seeder.SeedAsync(categories: 12, products: 500, CancellationToken.None);
        var second = await seeder.SeedAsync(categories: 12, products: 500, CancellationToken.None);

        Assert.Equal((12, 500), first);
        Assert.Equal((0, 0), second);
        Assert.Equal(500L, await ScalarAsync<long>(db, "SELECT count(*) FROM catalog.products"));
    }

    [Fact]
    public async Task TwoFreshInstallsGetIdenticalData()
    {
        await using var one = await TestDatabase.CreateMigratedAsync();
        await using var two = await TestDatabase.CreateMigratedAsync();

        await new DemoSeeder(one.DataSource, NullLogger<DemoSeeder>.Instance).SeedAsync(12, 500, CancellationToken.None);
        await new DemoSeeder(two.DataSource, NullLogger<DemoSeeder>.Instance).SeedAsync(12, 500, CancellationToken.None);

        const string fingerprint = """
            SELECT md5(string_agg(concat_ws('|', p.id, p.sku, p.name, p.price, p.status, c.slug, p.created_at), ',' ORDER BY p.id))
            FROM catalog.products p JOIN catalog.categories c ON c.id = p.category_id
            """;
        Assert.Equal(await ScalarAsync<string>(one, fingerprint), await ScalarAsync<string>(two, fingerprint));
        Assert.Equal("audio,books,cameras", await ScalarAsync<string>(one, "SELECT string_agg(slug, ',' ORDER BY id) FROM catalog.categories WHERE id <= 3"));
        Assert.Equal(0L, await ScalarAsync<long>(one, "SELECT count(*) FROM catalog.products WHERE price < 0 OR status NOT IN ('draft','active','archived')"));
    }

    private static async Task<T> ScalarAsync<T>(TestDatabase db, string sql)
    {
        await using var command = db.DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
