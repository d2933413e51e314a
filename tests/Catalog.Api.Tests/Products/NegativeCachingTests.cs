using System.Buffers.Text;
using System.Net;
using System.Text;
using Platform.Testing;
using StackExchange.Redis;

namespace Catalog.Api.Tests.Products;

/// <summary>
/// Anyone can ask for any id, cursor or window: what is not there is cached for seconds
/// (<c>Catalog:NegativeCacheDuration</c>), not for the ten minutes plus an hour of fail-safe a real entry gets, and
/// the spellings of one cursor share one entry, so a flood of misses leaves Redis as it found it (issue #13 item 6).
/// </summary>
public sealed class NegativeCachingTests(CatalogFixture fixture) : IClassFixture<CatalogFixture>
{
    private static readonly TimeSpan NegativeDuration = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task AFloodOfUnknownIdsLeavesOnlyShortLivedEntriesThatAllExpire()
    {
        const int Ids = 20_000;
        await using var node = fixture.StartNode(overrides: new Dictionary<string, string?> { ["Catalog:NegativeCacheDuration"] = "00:00:05" });
        var client = node.CreateClient();
        using var redis = await ConnectionMultiplexer.ConnectAsync(TestServers.Redis);
        var pattern = fixture.RedisPrefix + "d:catalog:product:*";

        await Parallel.ForAsync(1_000_000, 1_000_000 + Ids, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (id, ct) =>
        {
            using var response = await client.GetAsync(new Uri($"/api/products/{id}", UriKind.Relative), ct);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        });

        // The last ids asked for are still cached (a second flood of them would not reach PostgreSQL), briefly.
        var db = redis.GetDatabase();
        for (var id = 1_000_000 + Ids - 50; id < 1_000_000 + Ids; id++)
        {
            var ttl = await db.KeyTimeToLiveAsync($"{fixture.RedisPrefix}d:catalog:product:{id}");
            Assert.True(ttl is { } t && t > TimeSpan.Zero && t <= NegativeDuration, $"product {id}: TTL {ttl?.ToString() ?? "none"}, expected at most {NegativeDuration}");
        }

        await Eventually.TrueAsync(
            async () => await CountAsync(redis, pattern) == 0, TimeSpan.FromSeconds(60), $"every negative entry of the flood expired ({pattern})");
    }

    [Fact]
    public async Task SpellingsOfOneCursorShareOneShortLivedEntry()
    {
        await using var node = fixture.StartNode(overrides: new Dictionary<string, string?> { ["Catalog:NegativeCacheDuration"] = "00:00:05" });
        var client = node.CreateClient();
        using var redis = await ConnectionMultiplexer.ConnectAsync(TestServers.Redis);
        var category = await fixture.ScalarAsync<long>("INSERT INTO catalog.categories (slug, name) VALUES ('neg-cache', 'Negative caching') RETURNING id");
        string[] spellings = ["5.5", "5.50", "005.5", "5.500000"];

        foreach (var value in spellings)
        {
            var cursor = Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"v1|price_asc|{value}|42"));
            using var response = await client.GetAsync(new Uri($"/api/products?category={category}&sort=price_asc&cursor={cursor}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var keys = await KeysAsync(redis, $"{fixture.RedisPrefix}d:catalog:products:{category}:*");
        var key = Assert.Single(keys);
        var ttl = await redis.GetDatabase().KeyTimeToLiveAsync(key);
        Assert.True(ttl is { } t && t > TimeSpan.Zero && t <= NegativeDuration, $"an empty page is a negative result: TTL {ttl?.ToString() ?? "none"}");
    }

    private static async Task<List<RedisKey>> KeysAsync(ConnectionMultiplexer redis, string pattern)
    {
        var keys = new List<RedisKey>();
        await foreach (var key in redis.GetServers()[0].KeysAsync(redis.GetDatabase().Database, pattern, pageSize: 1000))
        {
            keys.Add(key);
        }

        return keys;
    }

    private static async Task<int> CountAsync(ConnectionMultiplexer redis, string pattern) => (await KeysAsync(redis, pattern)).Count;
}
