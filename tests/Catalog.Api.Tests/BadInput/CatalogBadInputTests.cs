using System.Text;
using Platform.Testing.BadInput;
using Xunit.Abstractions;

namespace Catalog.Api.Tests.BadInput;

/// <summary>
/// Generated hostile input against every catalog endpoint — category list and writes, product list, item, writes,
/// delete and views, popular products, category daily statistics — on real Kestrel: malformed JSON, wrong types, huge
/// and negative numbers, unicode, control characters, injection strings, bad ids, bad query parameters, bad keys and
/// scopes, wrong methods, huge bodies, wrong content types. Nothing answers 5xx, every error is a ProblemDetails (a 400
/// names the bad field and why), and the stored categories and products are unchanged afterwards: every generated write
/// carries at least one field the catalog must refuse.
/// </summary>
[Trait("Category", "BadInput")]
public sealed class CatalogBadInputTests(SeededCatalogFixture fixture, ITestOutputHelper output) : IClassFixture<SeededCatalogFixture>
{
    private static readonly string[] ProductFields = ["sku", "name", "description", "categoryId", "price", "currency", "status"];
    private static readonly string[] CategoryFields = ["slug", "name", "description"];

    /// <summary>Values each product field must refuse.</summary>
    private static readonly Dictionary<string, string[]> BadProduct = new()
    {
        ["sku"] = ["\"lower-case\"", "\"A\"", Json(new string('A', 33)), "\"-AB\"", "\"AB 12\"", "\"ÄB-12\"", "null", "5", "[]"],
        ["name"] = ["\"\"", "\"   \"", Json(new string('n', 201)), "\"a\\u0000b\"", "\"a\\u0007\"", "5", "{}"],
        ["description"] = [Json(new string('d', 2001)), "\"\\u0007\"", "5"],
        ["categoryId"] = ["0", "-1", "999999999", "\"abc\"", "1.5", "1e30", "9223372036854775808", "null"],
        ["price"] = ["-1", "1.234", "10000000000", "\"abc\"", "\"NaN\"", "1e400", "null", "\"1\""],
        ["currency"] = ["\"eur\"", "\"EURO\"", "\"\"", "5", "\"€\""],
        ["status"] = ["\"deleted\"", "\"\"", "1", "\"ACTIVE\""],
    };

    /// <summary>Values each category field must refuse.</summary>
    private static readonly Dictionary<string, string[]> BadCategory = new()
    {
        ["slug"] = ["\"Not A Slug\"", "\"a--b\"", "\"-a\"", Json(new string('s', 81)), "\"\"", "null", "\"ä\"", "5"],
        ["name"] = ["\"\"", "\" \"", Json(new string('n', 121)), "\"a\\u0000\"", "[]"],
        ["description"] = [Json(new string('d', 1001)), "5"],
    };

    /// <summary>Values each query parameter must refuse, with a 400 naming it, per read endpoint.</summary>
    private static readonly (string Path, string Parameter, string[] Values)[] BadQuery =
    [
        ("/api/products", "sort", ["price", "name_desc", "PRICE_ASC", "1", "'; DROP TABLE x; --"]),
        ("/api/products", "limit", ["0", "101", "-1", "abc", "1.5", " 5", "+5", "99999999999", "", "٥"]),
        ("/api/products", "cursor", ["abc", "%%%", "eyJ4IjoxfQ", "AAAA", "😀", "null"]),
        ("/api/products/popular", "days", ["0", "91", "-1", "abc", "", "1.5", " 7", "2147483648"]),
        ("/api/products/popular", "limit", ["0", "101", "-5", "x", "1e2"]),
        ("/api/analytics/categories/1/daily", "from", ["2026-13-01", "yesterday", "", "2026-1-1", "01/02/2026", "9999-99-99"]),
        ("/api/analytics/categories/1/daily", "to", ["2026-02-30", "today", "", "20260101", "\u0000"]),
    ];

    [Fact]
    public async Task GeneratedBodiesAgainstEveryWriteNeverCauseA5xxNorChangeStoredData()
    {
        await using var node = StartKestrelNode();
        var client = node.CreateClient();
        var before = await SnapshotAsync();
        var run = new HttpBadInputRun();
        for (var i = 0; i < BadInputSettings.Cases; i++)
        {
            await run.SendAsync(client, Messy("POST /api/products", i, HttpMethod.Post, "/api/products", ProductFields, BadProduct));
            await run.SendAsync(client, Messy("PUT /api/products/{id}", i, HttpMethod.Put, "/api/products/{id}", ProductFields.Skip(1).ToArray(), BadProduct));
            await run.SendAsync(client, Messy("POST /api/categories", i, HttpMethod.Post, "/api/categories", CategoryFields, BadCategory));
            await run.SendAsync(client, Messy("PUT /api/categories/{id}", i, HttpMethod.Put, "/api/categories/{id}", CategoryFields, BadCategory));
            await run.SendAsync(client, Delete(i));
            await run.SendAsync(client, View(i));
        }

        run.AssertClean(output);
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task OneBadFieldInAnOtherwiseValidWriteIsA400NamingIt()
    {
        await using var node = StartKestrelNode();
        var client = node.CreateClient();
        var version = await fixture.ScalarAsync<int>("SELECT version FROM catalog.products WHERE id = 3");
        var before = await SnapshotAsync();
        var run = new HttpBadInputRun();
        for (var i = 0; i < BadInputSettings.Cases; i++)
        {
            var g = BadInputGenerator.For("catalog/one-field", i);
            Dictionary<string, string> product = new()
            {
                ["sku"] = Json("BI-" + Invariant.Of(g.Random.Next(100_000))),
                ["name"] = "\"n\"",
                ["description"] = "\"d\"",
                ["categoryId"] = "1",
                ["price"] = "1.5",
                ["currency"] = "\"EUR\"",
                ["status"] = "\"active\"",
            };
            Dictionary<string, string> category = new() { ["slug"] = Json("bi-" + Invariant.Of(g.Random.Next(100_000))), ["name"] = "\"n\"", ["description"] = "\"d\"" };
            await run.SendAsync(client, OneBad("POST /api/products", i, g, HttpMethod.Post, "/api/products", product, BadProduct));
            product.Remove("sku");
            await run.SendAsync(client, OneBad("PUT /api/products/3", i, g, HttpMethod.Put, "/api/products/3", product, BadProduct.Where(b => b.Key != "sku"))
                with
            { Headers = [("X-Api-Key", CatalogFixture.WriterKey), ("If-Match", $"\"v{version}\"")] });
            await run.SendAsync(client, OneBad("POST /api/categories", i, g, HttpMethod.Post, "/api/categories", category, BadCategory));
            await run.SendAsync(client, OneBad("PUT /api/categories/2", i, g, HttpMethod.Put, "/api/categories/2", category, BadCategory));
        }

        run.AssertClean(output);
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task GeneratedQueriesAndIdsAgainstEveryReadNeverCauseA5xx()
    {
        await using var node = StartKestrelNode();
        var client = node.CreateClient();
        var run = new HttpBadInputRun();
        for (var i = 0; i < BadInputSettings.Cases; i++)
        {
            var g = BadInputGenerator.For("catalog/reads", i);
            string Query(params string[] names) =>
                string.Join('&', names.Where(_ => g.OneIn(2)).Select(n => $"{n}={BadInputGenerator.Escape(g.QueryValue())}"));
            string[] paths =
            [
                $"/api/categories?{Query("limit", "x")}",
                $"/api/products?{Query("category", "sort", "limit", "cursor", "x")}",
                $"/api/products/{g.PathSegment()}",
                $"/api/products/{Invariant.Of(g.OneIn(2) ? long.MaxValue : long.MinValue)}",
                $"/api/products/popular?{Query("category", "days", "limit", "x")}",
                $"/api/analytics/categories/{g.PathSegment()}/daily?{Query("from", "to", "x")}",
                $"/api/analytics/categories/{Invariant.Of(g.Random.Next(1, 21))}/daily?{Query("from", "to")}",
            ];
            foreach (var path in paths)
            {
                await run.SendAsync(client, new HttpCase("catalog/reads", i, g.Seed, HttpMethod.Get, path) { Class = "hostile query or id", ContentType = null });
            }

            var (endpoint, parameter, values) = g.Pick(BadQuery);
            await run.SendAsync(client, new HttpCase("catalog/one-parameter", i, g.Seed, HttpMethod.Get, $"{endpoint}?{parameter}={BadInputGenerator.Escape(g.Pick(values))}")
            {
                Class = "one bad query parameter",
                ContentType = null,
                ExpectField = parameter,
                ExpectStatus = [400],
            });
        }

        // Ranges that are each fine but wrong together.
        await run.SendAsync(client, new HttpCase("catalog/daily-range", 0, 0, HttpMethod.Get, "/api/analytics/categories/1/daily?from=2026-02-01&to=2026-01-01")
        {
            Class = "one bad query parameter",
            ContentType = null,
            ExpectField = "from",
            ExpectStatus = [400],
        });
        await run.SendAsync(client, new HttpCase("catalog/daily-range", 1, 0, HttpMethod.Get, "/api/analytics/categories/1/daily?from=2020-01-01&to=2026-01-01")
        {
            Class = "one bad query parameter",
            ContentType = null,
            ExpectField = "from",
            ExpectStatus = [400],
        });
        run.AssertClean(output);
    }

    [Fact]
    public async Task BadKeysWrongMethodsHugeBodiesAndWrongContentTypesAreProblemDetails()
    {
        await using var node = StartKestrelNode();
        var client = node.CreateClient();
        var before = await SnapshotAsync();
        var run = new HttpBadInputRun();
        (HttpMethod Method, string Path, string Body)[] writes =
        [
            (HttpMethod.Post, "/api/products", "{\"sku\":\"BI-OK-1\",\"name\":\"n\",\"categoryId\":1,\"price\":1}"),
            (HttpMethod.Put, "/api/products/3", "{\"name\":\"n\",\"description\":\"\",\"categoryId\":1,\"price\":1,\"currency\":\"EUR\",\"status\":\"draft\"}"),
            (HttpMethod.Delete, "/api/products/3", ""),
            (HttpMethod.Post, "/api/categories", "{\"slug\":\"bi-ok\",\"name\":\"n\"}"),
            (HttpMethod.Put, "/api/categories/2", "{\"slug\":\"bi-ok-2\",\"name\":\"n\",\"description\":\"\"}"),
        ];
        for (var i = 0; i < BadInputSettings.Cases; i++)
        {
            var g = BadInputGenerator.For("catalog/envelope", i);
            var (method, path, body) = writes[i % writes.Length];
            var name = $"{method} {path}";
            var content = body.Length == 0 ? null : Encoding.UTF8.GetBytes(body);
            var key = g.Random.Next(4) switch
            {
                0 => g.HeaderValue(),
                1 => CatalogFixture.ReaderKey,
                2 => CatalogFixture.WriterKey + "x",
                _ => CatalogFixture.WriterKey.ToUpperInvariant(),
            };
            await run.SendAsync(client, new HttpCase("catalog/auth " + name, i, g.Seed, method, path)
            {
                Class = "bad or missing key",
                Body = content,
                Headers = g.OneIn(3) ? [("If-Match", "\"v1\"")] : [("X-Api-Key", key), ("If-Match", "\"v1\"")],
                ExpectStatus = [401, 403],
            });
            await run.SendAsync(client, new HttpCase("catalog/method " + name, i, g.Seed, g.Pick([HttpMethod.Patch, HttpMethod.Options, HttpMethod.Trace]), path)
            {
                Class = "wrong method",
                Body = content,
                Headers = [("X-Api-Key", CatalogFixture.WriterKey)],
                MustNotSucceed = true,
            });
            if (content is not null)
            {
                var huge = body[..^1] + ",\"description\":\"" + BadInputGenerator.Filler(g.Pick([300 * 1024, 1024 * 1024])) + "\"}";
                await run.SendAsync(client, new HttpCase("catalog/huge " + name, i, g.Seed, method, path)
                {
                    Class = "body too large",
                    Body = Encoding.UTF8.GetBytes(huge),
                    Headers = [("X-Api-Key", CatalogFixture.WriterKey), ("If-Match", "\"v1\"")],
                    ExpectStatus = [413],
                });
                await run.SendAsync(client, new HttpCase("catalog/content-type " + name, i, g.Seed, method, path)
                {
                    Class = "wrong content type",
                    Body = content,
                    ContentType = g.Pick(["text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "image/png"]),
                    Headers = [("X-Api-Key", CatalogFixture.WriterKey), ("If-Match", "\"v1\"")],
                    ExpectStatus = [400, 415],
                });
            }
        }

        run.AssertClean(output);
        Assert.Equal(before, await SnapshotAsync());
    }

    private Platform.Testing.ServiceHost<Program> StartKestrelNode()
    {
        // Body and request-line limits are Kestrel's: run on it rather than on the in-memory test server.
        var node = fixture.StartNode();
        node.UseKestrel(0);
        node.StartServer();
        return node;
    }

    private async Task<string> SnapshotAsync() => await fixture.ScalarAsync<string>("""
        SELECT (SELECT md5(string_agg(p::text, '|' ORDER BY p.id)) FROM catalog.products p)
            || '/' || (SELECT md5(string_agg(c::text, '|' ORDER BY c.id)) FROM catalog.categories c)
        """);

    /// <summary>A messy body with one field the endpoint must refuse written last; ids in the path are real or bad.</summary>
    private static HttpCase Messy(string target, int i, HttpMethod method, string path, string[] fields, Dictionary<string, string[]> bad)
    {
        var g = BadInputGenerator.For("catalog/" + target, i);
        var (field, values) = g.Pick(bad.Where(b => fields.Contains(b.Key)).ToList());
        var poison = g.OneIn(5) ? ("unknown", g.JsonValue()) : (field, g.Pick(values));
        var id = g.Random.Next(3) switch
        {
            0 => g.PathSegment(),
            1 => Invariant.Of(g.Pick([0L, -1L, long.MaxValue, 999_999_999L])),
            _ => Invariant.Of(g.Random.Next(1, 21)),
        };
        return new HttpCase(target, i, g.Seed, method, path.Replace("{id}", id, StringComparison.Ordinal))
        {
            Class = "messy body",
            Body = g.Body(fields, poison),
            ContentType = g.OneIn(10) ? null : "application/json",
            Headers = [("X-Api-Key", CatalogFixture.WriterKey), ("If-Match", g.Pick(["\"v1\"", "\"v2\"", "*", "W/\"v1\"", g.HeaderValue()]))],
            MustNotSucceed = true,
        };
    }

    /// <summary>A valid body with exactly one field replaced by a value the endpoint must refuse.</summary>
    private static HttpCase OneBad(string target, int i, BadInputGenerator g, HttpMethod method, string path, Dictionary<string, string> valid, IEnumerable<KeyValuePair<string, string[]>> bad)
    {
        var (field, values) = g.Pick(bad.ToList());
        var body = BadInputGenerator.Object(valid.Select(v => (v.Key, v.Key == field ? g.Pick(values) : v.Value)));
        return new HttpCase(target, i, g.Seed, method, path)
        {
            Class = "one bad body field",
            Body = Encoding.UTF8.GetBytes(body),
            Headers = [("X-Api-Key", CatalogFixture.WriterKey)],
            ExpectField = field,
            ExpectStatus = [400],
            MustNotSucceed = true,
        };
    }

    /// <summary>A delete that must not delete: an id that is bad or missing, or a real one with an If-Match that is not its ETag.</summary>
    private static HttpCase Delete(int i)
    {
        var g = BadInputGenerator.For("catalog/DELETE /api/products/{id}", i);
        var real = g.OneIn(2);
        var id = real ? Invariant.Of(g.Random.Next(1, 2001)) : g.OneIn(2) ? g.PathSegment() : Invariant.Of(g.Pick([0L, -1L, long.MaxValue, 999_999_999L]));
        return new HttpCase("DELETE /api/products/{id}", i, g.Seed, HttpMethod.Delete, "/api/products/" + id)
        {
            Class = "delete with a bad id or If-Match",
            ContentType = null,
            Headers = [("X-Api-Key", CatalogFixture.WriterKey), ("If-Match", g.Pick(["\"v999\"", "\"x\"", "W/\"v1\"", "\"v-1\"", "\"v99999999999\"", "garbage", "\"\""]))],
            MustNotSucceed = real,
        };
    }

    /// <summary>Views of real and bad ids, with bodies that must be ignored.</summary>
    private static HttpCase View(int i)
    {
        var g = BadInputGenerator.For("catalog/POST /api/products/{id}/views", i);
        var id = g.Random.Next(3) switch { 0 => Invariant.Of(g.Random.Next(1, 2001)), 1 => g.PathSegment(), _ => Invariant.Of(g.Pick([0L, -1L, long.MaxValue])) };
        return new HttpCase("POST /api/products/{id}/views", i, g.Seed, HttpMethod.Post, $"/api/products/{id}/views")
        {
            Class = "view with a bad id",
            Body = g.Body(ProductFields),
            Headers = g.OneIn(2) ? [] : [("X-Api-Key", g.HeaderValue())],
        };
    }

    private static string Json(string value) => System.Text.Json.JsonSerializer.Serialize(value);
}
