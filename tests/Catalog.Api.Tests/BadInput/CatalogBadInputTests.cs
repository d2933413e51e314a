using System.Net;
using System.Text;

namespace Catalog.Api.Tests.BadInput;

/// <summary>
/// Generated hostile input against every catalog endpoint: malformed JSON, wrong types, huge and negative numbers,
/// unicode, control characters, injection strings. Whatever comes in, nothing answers 5xx, every error is a
/// ProblemDetails, and what was stored before is still there.
/// </summary>
public sealed class CatalogBadInputTests(SeededCatalogFixture fixture) : IClassFixture<SeededCatalogFixture>
{
    private static readonly string[] Strings =
    [
        "", " ", "a", new string('x', 10_000), "null", "true", "0", "-1", "1e309", "NaN", "😀🔥", "\u0000", "\u001b[31m", "\r\n",
        "'; DROP TABLE catalog.products; --", "\" OR 1=1 --", "<script>alert(1)</script>", "../../etc/passwd", "%00", "%zz",
        "\uFEFF", "\uD800", "Ω≈ç√", "{{7*7}}", "${jndi:ldap://x}", "\\u0000",
    ];

    private static readonly string[] JsonValues =
    [
        "null", "true", "false", "0", "-1", "1.5", "-0.001", "1e308", "-1e308", "99999999999999999999999999999", "\"\"", "\"text\"",
        "[]", "[1,2]", "{}", "{\"a\":1}", "\"\\u0000\"", "\"😀\"", "\"'; DROP TABLE x; --\"", "9223372036854775808", "-9223372036854775809",
    ];

    private static readonly string[] Fields = ["sku", "name", "description", "categoryId", "price", "currency", "status", "slug", "unknown"];

    [Fact]
    public async Task GeneratedBodiesNeverCauseA5xxAndErrorsAreProblemDetails()
    {
        await using var node = fixture.StartNode();
        var writer = CatalogFixture.Writer(node);
        var before = await fixture.ScalarAsync<long>("SELECT count(*) FROM catalog.products WHERE sku LIKE 'SKU-%'");
        var random = new Random(7);
        var targets = new (HttpMethod Method, string Path)[]
        {
            (HttpMethod.Post, "/api/products"), (HttpMethod.Put, "/api/products/3"), (HttpMethod.Post, "/api/categories"),
            (HttpMethod.Put, "/api/categories/2"), (HttpMethod.Post, "/api/products/4/views"),
        };

        var failures = new List<string>();
        for (var i = 0; i < 300; i++)
        {
            var (method, path) = targets[i % targets.Length];
            var body = Body(random);
            using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            if (method == HttpMethod.Put)
            {
                request.Headers.TryAddWithoutValidation("If-Match", random.Next(3) switch { 0 => "\"v1\"", 1 => Strings[random.Next(Strings.Length)].Replace("\r", "").Replace("\n", ""), _ => "*" });
            }

            var response = await writer.SendAsync(request);
            await CheckAsync(response, $"{method} {path} {Truncate(body)}", failures);
        }

        Assert.Empty(failures);
        Assert.Equal(before, await fixture.ScalarAsync<long>("SELECT count(*) FROM catalog.products WHERE sku LIKE 'SKU-%'"));
    }

    [Fact]
    public async Task GeneratedQueryParametersNeverCauseA5xx()
    {
        await using var node = fixture.StartNode();
        var client = node.CreateClient();
        var random = new Random(11);
        var failures = new List<string>();
        for (var i = 0; i < 200; i++)
        {
            var query = string.Join('&', new[] { "category", "sort", "limit", "cursor", "days", "x" }
                .Where(_ => random.Next(2) == 0)
                .Select(p => $"{p}={Uri.EscapeDataString(Strings[random.Next(Strings.Length)])}"));
            var path = random.Next(4) switch
            {
                0 => $"/api/products/{Uri.EscapeDataString(Strings[random.Next(Strings.Length)])}",
                1 => $"/api/products/{(random.Next(2) == 0 ? long.MaxValue : long.MinValue)}",
                _ => $"/api/products?{query}",
            };

            var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            await CheckAsync(response, "GET " + path, failures);
        }

        Assert.Empty(failures);
    }

    private static async Task CheckAsync(HttpResponseMessage response, string what, List<string> failures)
    {
        var status = (int)response.StatusCode;
        if (status >= 500)
        {
            failures.Add($"{status} for {what}: {Truncate(await response.Content.ReadAsStringAsync())}");
        }
        else if (status >= 400 && response.StatusCode != HttpStatusCode.NotFound && response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            failures.Add($"{status} without ProblemDetails for {what}");
        }
        else if (status == 404 && response.Content.Headers.ContentLength > 0 && response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            failures.Add($"404 with a non-problem body for {what}");
        }
    }

    private static string Body(Random random)
    {
        switch (random.Next(6))
        {
            case 0:
                // Truncated or garbled JSON.
                var valid = "{\"sku\":\"AB-123\",\"name\":\"x\",\"categoryId\":1,\"price\":1}";
                return valid[..random.Next(valid.Length)];
            case 1:
                return Strings[random.Next(Strings.Length)];
            case 2:
                return JsonValues[random.Next(JsonValues.Length)];
            default:
                // An object with random fields of random JSON values.
                var fields = Fields.Where(_ => random.Next(2) == 0)
                    .Select(f => $"\"{f}\":{(random.Next(3) == 0 ? "\"" + Escape(Strings[random.Next(Strings.Length)]) + "\"" : JsonValues[random.Next(JsonValues.Length)])}");
                return "{" + string.Join(',', fields) + "}";
        }
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\u0000", "\\u0000").Replace("\r", "\\r").Replace("\n", "\\n").Replace("\u001b", "\\u001b");

    private static string Truncate(string value) => value.Length > 120 ? value[..120] + "…" : value;
}
