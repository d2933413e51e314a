using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Platform.Testing.BadInput;
using Xunit.Abstractions;

namespace Catalog.Api.Tests.BadInput;

/// <summary>
/// Whole classes of hostile input, generated for every catalog endpoint, field and parameter they apply to (issue #13):
/// every refusal under every Accept header; strings PostgreSQL cannot store (NUL, lone surrogates) in every body field,
/// query parameter, route value and cursor; days at the ends of the calendar in every date parameter; numbers written as
/// strings and duplicate keys in every JSON body. Writes are arranged so that accepting them changes nothing (an
/// existing sku or slug, a stale If-Match), and the stored data is compared before and after.
/// </summary>
[Trait("Category", "BadInput")]
public sealed class CatalogInputClassTests(SeededCatalogFixture fixture, ITestOutputHelper output) : IClassFixture<SeededCatalogFixture>
{
    private const string Stale = "\"v999\"";

    private static readonly string[] ProductStringFields = ["sku", "name", "description", "currency", "status"];
    private static readonly string[] CategoryStringFields = ["slug", "name", "description"];

    private static readonly (string Path, string Parameter)[] StringParameters =
    [
        ("/api/products", "category"), ("/api/products", "sort"), ("/api/products", "limit"), ("/api/products", "cursor"),
        ("/api/products/popular", "category"), ("/api/products/popular", "days"), ("/api/products/popular", "limit"),
        ("/api/analytics/categories/1/daily", "from"), ("/api/analytics/categories/1/daily", "to"),
    ];

    [Fact]
    public async Task EveryRefusalUnderEveryAcceptHeaderIsAProblemDetailsOrABareStatus()
    {
        await using var node = StartKestrelNode();
        await using var limited = StartKestrelNode(new() { ["Catalog:ViewsPerSecond"] = "1", ["Catalog:ViewsBurst"] = "1" });
        await using var locked = StartKestrelNode(new() { ["Auth:FailedKeyLimit"] = "1", ["Auth:FailedKeyWindow"] = "01:00:00" });
        var client = node.CreateClient();
        var limitedClient = limited.CreateClient();
        var lockedClient = locked.CreateClient();
        var before = await SnapshotAsync();
        var slug = await fixture.ScalarAsync<string>("SELECT slug FROM catalog.categories WHERE id = 1");
        var product = Encoding.UTF8.GetBytes("{\"sku\":\"ACC-1\",\"name\":\"n\",\"categoryId\":1,\"price\":1}");
        var update = Encoding.UTF8.GetBytes("{\"name\":\"n\",\"description\":\"\",\"categoryId\":1,\"price\":1,\"currency\":\"EUR\",\"status\":\"draft\"}");
        var huge = Encoding.UTF8.GetBytes("{\"sku\":\"ACC-1\",\"name\":\"n\",\"description\":\"" + BadInputGenerator.Filler(300 * 1024) + "\"}");
        (string Name, HttpMethod Method, string Path, byte[]? Body, string? ContentType, (string, string)[] Headers, int[] Status)[] refusals =
        [
            ("no key", HttpMethod.Post, "/api/products", product, "application/json", [], [401]),
            ("unknown key", HttpMethod.Post, "/api/products", product, "application/json", [("X-Api-Key", "not-a-key-of-this-install")], [401]),
            ("missing scope", HttpMethod.Post, "/api/products", product, "application/json", [("X-Api-Key", CatalogFixture.ReaderKey)], [403]),
            ("unknown route", HttpMethod.Get, "/api/nothing-here", null, null, [], [404]),
            ("no such product", HttpMethod.Get, "/api/products/999999999", null, null, [], [404]),
            ("invalid query", HttpMethod.Get, "/api/products?limit=0", null, null, [], [400]),
            ("wrong method", HttpMethod.Patch, "/api/products/1", product, "application/json", [("X-Api-Key", CatalogFixture.WriterKey)], [405]),
            ("wrong content type", HttpMethod.Post, "/api/products", product, "text/plain", [("X-Api-Key", CatalogFixture.WriterKey)], [415]),
            ("malformed JSON", HttpMethod.Post, "/api/products", "{\"sku\":"u8.ToArray(), "application/json", [("X-Api-Key", CatalogFixture.WriterKey)], [400]),
            ("body too large", HttpMethod.Post, "/api/products", huge, "application/json", [("X-Api-Key", CatalogFixture.WriterKey)], [413]),
            ("no If-Match", HttpMethod.Put, "/api/products/3", update, "application/json", [("X-Api-Key", CatalogFixture.WriterKey)], [428]),
            ("stale If-Match", HttpMethod.Put, "/api/products/3", update, "application/json", [("X-Api-Key", CatalogFixture.WriterKey), ("If-Match", Stale)], [412]),
            ("conflict", HttpMethod.Post, "/api/categories", Encoding.UTF8.GetBytes($"{{\"slug\":\"{slug}\",\"name\":\"n\"}}"), "application/json", [("X-Api-Key", CatalogFixture.WriterKey)], [409]),
        ];
        var run = new HttpBadInputRun();
        var index = 0;
        await run.SendAsync(lockedClient, new HttpCase("catalog/failed-key limit", index++, 0, HttpMethod.Post, "/api/products")
        {
            Class = "accept × refusal",
            Body = product,
            Headers = [("X-Api-Key", "not-a-key-of-this-install")],
            ExpectStatus = [401],
        });
        foreach (var accept in BadInputGenerator.AcceptHeaders)
        {
            foreach (var (name, method, path, body, contentType, headers, status) in refusals)
            {
                await run.SendAsync(client, new HttpCase("catalog/" + name, index++, 0, method, path)
                {
                    Class = "accept × refusal",
                    Body = body,
                    ContentType = contentType,
                    Headers = [.. headers, ("Accept", accept)],
                    ExpectStatus = status,
                });
            }

            // One view a second on that node, for all clients: the second view in a row is refused.
            for (var i = 0; i < 2; i++)
            {
                await run.SendAsync(limitedClient, new HttpCase("catalog/rate limited", index++, 0, HttpMethod.Post, "/api/products/1/views")
                {
                    Class = "accept × refusal",
                    ContentType = null,
                    Headers = [("Accept", accept)],
                    ExpectStatus = [202, 429],
                });
            }

            // The locked node's one allowed failure is used up (below): every key, wrong or right, is refused with 429.
            foreach (var key in new[] { "not-a-key-of-this-install", CatalogFixture.WriterKey })
            {
                await run.SendAsync(lockedClient, new HttpCase("catalog/failed-key limit", index++, 0, HttpMethod.Post, "/api/products")
                {
                    Class = "accept × refusal",
                    Body = product,
                    Headers = [("X-Api-Key", key), ("Accept", accept)],
                    ExpectStatus = [429],
                });
            }
        }

        run.AssertClean(output);
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task UnstorableStringsInEveryBodyFieldQueryParameterRouteValueAndCursorAreA400NamingIt()
    {
        await using var node = StartKestrelNode();
        var client = node.CreateClient();
        var before = await SnapshotAsync();
        var sku = await fixture.ScalarAsync<string>("SELECT sku FROM catalog.products WHERE id = 1");
        var slug = await fixture.ScalarAsync<string>("SELECT slug FROM catalog.categories WHERE id = 1");
        var run = new HttpBadInputRun();
        var index = 0;
        foreach (var text in BadInputGenerator.UnstorableStrings)
        {
            var bad = BadInputGenerator.JsonEscaped(text);
            foreach (var field in ProductStringFields)
            {
                await run.SendAsync(client, Body("unstorable string in a body field", index++, HttpMethod.Post, "/api/products", ValidProduct(sku), field, bad));
                if (field != "sku")
                {
                    await run.SendAsync(client, Body("unstorable string in a body field", index++, HttpMethod.Put, "/api/products/3", ValidProduct(null), field, bad));
                }
            }

            foreach (var field in CategoryStringFields)
            {
                await run.SendAsync(client, Body("unstorable string in a body field", index++, HttpMethod.Post, "/api/categories", ValidCategory(slug), field, bad));
                await run.SendAsync(client, Body("unstorable string in a body field", index++, HttpMethod.Put, "/api/categories/2", ValidCategory(slug), field, bad));
            }

            // A cursor is base64url of UTF-8: a lone surrogate arrives as U+FFFD (storable), NUL as NUL.
            var cursor = Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"v1|name|{text}|5"));
            var hasNul = text.Contains('\0', StringComparison.Ordinal);
            await run.SendAsync(client, Get("unstorable string in a cursor", index++, $"/api/products?sort=name&cursor={cursor}", hasNul ? "cursor" : null, hasNul ? [400] : [200, 400]));
        }

        foreach (var (path, parameter) in StringParameters)
        {
            var separator = path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
            foreach (var nul in BadInputGenerator.EncodedNul)
            {
                await run.SendAsync(client, Get("unstorable string in a query parameter", index++, $"{path}{separator}{parameter}={nul}", parameter, [400]));
            }

            foreach (var notUtf8 in BadInputGenerator.EncodedNotUtf8)
            {
                await run.SendAsync(client, Get("text that is not UTF-8 in a query parameter", index++, $"{path}{separator}{parameter}={notUtf8}", null, null));
            }
        }

        foreach (var value in BadInputGenerator.EncodedNul.Concat(BadInputGenerator.EncodedNotUtf8))
        {
            // Kestrel itself refuses an encoded NUL or invalid UTF-8 in a path: a bare 400 is right there.
            await run.SendAsync(client, Get("unstorable string in a route value", index++, $"/api/analytics/categories/{value}/daily", null, [400, 404]));
            await run.SendAsync(client, Get("unstorable string in a route value", index++, $"/api/products/{value}", null, [400, 404]));
        }

        run.AssertClean(output);
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task DaysAtTheEndsOfTheCalendarInEveryDateParameterAreA400StatingTheRange()
    {
        await using var node = StartKestrelNode();
        var client = node.CreateClient();
        var run = new HttpBadInputRun();
        var index = 0;
        const string Daily = "/api/analytics/categories/1/daily";
        foreach (var day in BadInputGenerator.DayEdges)
        {
            await run.SendAsync(client, Get("date edge", index++, $"{Daily}?to={day}", "to", [400]) with { ExpectReason = BadInputGenerator.StatesRange });
            await run.SendAsync(client, Get("date edge", index++, $"{Daily}?from={day}", "from", [400]) with { ExpectReason = BadInputGenerator.StatesRange });
            await run.SendAsync(client, Get("date edge", index++, $"{Daily}?from={day}&to={day}", "from", [400]) with { ExpectReason = BadInputGenerator.StatesRange });
        }

        // The recent sort's cursor carries a time (ticks): its edges may be refused or served, never a 500.
        foreach (var ticks in new[] { 0L, 1L, DateTimeOffset.MaxValue.UtcTicks - 1, DateTimeOffset.MaxValue.UtcTicks })
        {
            var cursor = Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"v1|recent|{ticks.ToString(CultureInfo.InvariantCulture)}|5"));
            await run.SendAsync(client, Get("date edge", index++, $"/api/products?cursor={cursor}", null, [200, 400]));
        }

        // Inside the range, a valid series is still served.
        var today = DateOnly.FromDateTime(DateTime.UtcNow).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await run.SendAsync(client, Get("date edge", index, $"{Daily}?to={today}", null, [200]));
        run.AssertClean(output);
    }

    [Fact]
    public async Task NumbersWrittenAsStringsAndDuplicateKeysInEveryBodyAreA400NamingTheField()
    {
        await using var node = StartKestrelNode();
        var client = node.CreateClient();
        var before = await SnapshotAsync();
        var sku = await fixture.ScalarAsync<string>("SELECT sku FROM catalog.products WHERE id = 1");
        var otherSku = await fixture.ScalarAsync<string>("SELECT sku FROM catalog.products WHERE id = 2");
        var slug = await fixture.ScalarAsync<string>("SELECT slug FROM catalog.categories WHERE id = 1");
        var otherSlug = await fixture.ScalarAsync<string>("SELECT slug FROM catalog.categories WHERE id = 3");
        var run = new HttpBadInputRun();
        var index = 0;
        foreach (var (field, number) in new[] { ("categoryId", "1"), ("price", "1.5") })
        {
            await run.SendAsync(client, Body("number written as a string", index++, HttpMethod.Post, "/api/products", ValidProduct(sku), field, $"\"{number}\""));
            await run.SendAsync(client, Body("number written as a string", index++, HttpMethod.Put, "/api/products/3", ValidProduct(null), field, $"\"{number}\""));
        }

        // Each field twice, both values valid: before the fix the last one won silently (and a sku or slug that exists, or a
        // stale If-Match, kept the write from happening).
        var product = ValidProduct(sku);
        foreach (var field in product.Keys)
        {
            var again = field == "sku" ? Json(otherSku) : product[field];
            await run.SendAsync(client, Duplicate(index++, HttpMethod.Post, "/api/products", product, field, again));
            if (field != "sku")
            {
                await run.SendAsync(client, Duplicate(index++, HttpMethod.Put, "/api/products/3", ValidProduct(null), field, again));
            }
        }

        var category = ValidCategory(slug);
        foreach (var field in category.Keys)
        {
            var again = field == "slug" ? Json(otherSlug) : category[field];
            await run.SendAsync(client, Duplicate(index++, HttpMethod.Post, "/api/categories", category, field, again));
            await run.SendAsync(client, Duplicate(index++, HttpMethod.Put, "/api/categories/2", category, field, again));
        }

        run.AssertClean(output);
        Assert.Equal(before, await SnapshotAsync());
    }

    private static Dictionary<string, string> ValidProduct(string? sku)
    {
        var product = new Dictionary<string, string>
        {
            ["name"] = "\"n\"",
            ["description"] = "\"d\"",
            ["categoryId"] = "1",
            ["price"] = "1.5",
            ["currency"] = "\"EUR\"",
            ["status"] = "\"active\"",
        };
        if (sku is not null)
        {
            product["sku"] = Json(sku);
        }

        return product;
    }

    private static Dictionary<string, string> ValidCategory(string slug) => new() { ["slug"] = Json(slug), ["name"] = "\"n\"", ["description"] = "\"d\"" };

    /// <summary>A valid body with <paramref name="field"/> replaced; writes to existing rows carry a stale If-Match.</summary>
    private static HttpCase Body(string @class, int index, HttpMethod method, string path, Dictionary<string, string> valid, string field, string json) =>
        new(@class, index, 0, method, path)
        {
            Class = @class,
            Body = Encoding.UTF8.GetBytes(BadInputGenerator.Object(valid.Select(v => (v.Key, v.Key == field ? json : v.Value)))),
            Headers = [("X-Api-Key", CatalogFixture.WriterKey), ("If-Match", Stale)],
            ExpectField = field,
            ExpectStatus = [400],
            MustNotSucceed = true,
        };

    private static HttpCase Duplicate(int index, HttpMethod method, string path, Dictionary<string, string> valid, string field, string again) =>
        new("duplicate key", index, 0, method, path)
        {
            Class = "duplicate key",
            Body = Encoding.UTF8.GetBytes(BadInputGenerator.Object(valid.Select(v => (v.Key, v.Value)).Append((field, again)))),
            Headers = [("X-Api-Key", CatalogFixture.WriterKey), ("If-Match", Stale)],
            ExpectField = field,
            ExpectStatus = [400],
            MustNotSucceed = true,
        };

    private static HttpCase Get(string @class, int index, string path, string? field, int[]? status) =>
        new(@class, index, 0, HttpMethod.Get, path) { Class = @class, ContentType = null, ExpectField = field, ExpectStatus = status };

    private Platform.Testing.ServiceHost<Program> StartKestrelNode(Dictionary<string, string?>? overrides = null)
    {
        var node = fixture.StartNode(overrides: overrides);
        node.UseKestrel(0);
        node.StartServer();
        return node;
    }

    private async Task<string> SnapshotAsync() => await fixture.ScalarAsync<string>("""
        SELECT (SELECT md5(string_agg(p::text, '|' ORDER BY p.id)) FROM catalog.products p)
            || '/' || (SELECT md5(string_agg(c::text, '|' ORDER BY c.id)) FROM catalog.categories c)
        """);

    private static string Json(string value) => System.Text.Json.JsonSerializer.Serialize(value);
}
