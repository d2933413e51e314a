using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;
using Platform.Testing;

namespace Catalog.Api.Tests.Products;

public sealed class AuthAndRateLimitTests(CatalogFixture fixture) : IClassFixture<CatalogFixture>
{
    private static readonly object Body = new { sku = "AUTH-1", name = "x", categoryId = 1, price = 1 };

    [Fact]
    public async Task WriteWithoutAKeyIs401Problem()
    {
        await using var node = fixture.StartNode();

        var response = await node.CreateClient().PostAsJsonAsync("/api/products", Body);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task WriteWithAnUnknownKeyIs401()
    {
        await using var node = fixture.StartNode();
        var client = node.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", "not-a-key-of-this-install");

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/products", Body)).StatusCode);
    }

    [Fact]
    public async Task WriteWithAKeyLackingTheScopeIs403Problem()
    {
        await using var node = fixture.StartNode();
        var client = node.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", CatalogFixture.ReaderKey);

        var response = await client.PostAsJsonAsync("/api/products", Body);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task WritesBeyondTheRateLimitAre429WithRetryAfter()
    {
        await using var node = fixture.StartNode(overrides: new Dictionary<string, string?> { ["RateLimiting:PermitsPerSecond"] = "1", ["RateLimiting:Burst"] = "3" });
        var client = CatalogFixture.Writer(node);

        // Empty bodies: refused as bodies (400) once admitted, so the test changes no data; each one spends a token.
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            statuses.Add((await client.PostAsJsonAsync("/api/categories", new { })).StatusCode);
        }

        var limited = await client.PostAsJsonAsync("/api/categories", new { });
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task AForgedForwardedForDoesNotEscapeTheFailedKeyLimit()
    {
        await using var node = fixture.StartNode(overrides: FailureLimit(3));
        var attacker = IPAddress.Parse("192.0.2.40");

        var statuses = new List<int>();
        for (var i = 0; i < 5; i++)
        {
            // Each request claims another client; the node has no known proxy, so it counts the peer.
            statuses.Add((await PostCategoryAsync(node.Server, attacker, $"wrong-key-{i}-0123456789", forwardedFor: $"203.0.113.{i + 1}")).Response.StatusCode);
        }

        Assert.Equal([401, 401, 401, 429, 429], statuses);
    }

    [Fact]
    public async Task BehindAKnownProxyEachForwardedClientHasItsOwnFailedKeyCount()
    {
        var proxy = IPAddress.Parse("192.0.2.41");
        await using var node = fixture.StartNode(overrides: new Dictionary<string, string?>(FailureLimit(3)) { ["ForwardedHeaders:KnownProxies:0"] = proxy.ToString() });

        var statuses = new List<int>();
        for (var i = 0; i < 5; i++)
        {
            statuses.Add((await PostCategoryAsync(node.Server, proxy, $"wrong-key-{i}-0123456789", forwardedFor: $"203.0.113.{i + 1}")).Response.StatusCode);
        }

        Assert.All(statuses, s => Assert.Equal(StatusCodes.Status401Unauthorized, s));
    }

    [Fact]
    public async Task RepeatedFailedKeysFromOneClientAre429WithRetryAfterEvenWithTheRightKey()
    {
        await using var node = fixture.StartNode(overrides: FailureLimit(3));
        var attacker = IPAddress.Parse("192.0.2.10");
        var neighbour = IPAddress.Parse("192.0.2.11");

        var failures = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            failures.Add((await PostCategoryAsync(node, attacker, $"wrong-key-{i}-0123456789")).Response.StatusCode);
        }

        var overTheLimit = await PostCategoryAsync(node, attacker, "wrong-key-x-0123456789");
        var rightKeyTooLate = await PostCategoryAsync(node, attacker, CatalogFixture.WriterKey);
        var otherClient = await PostCategoryAsync(node, neighbour, CatalogFixture.WriterKey);

        Assert.All(failures, s => Assert.Equal(StatusCodes.Status401Unauthorized, s));
        foreach (var refused in new[] { overTheLimit, rightKeyTooLate })
        {
            Assert.Equal(StatusCodes.Status429TooManyRequests, refused.Response.StatusCode);
            Assert.True(int.TryParse(refused.Response.Headers.RetryAfter, out var seconds) && seconds >= 1, $"Retry-After '{refused.Response.Headers.RetryAfter}'");
            Assert.Equal("application/problem+json", refused.Response.ContentType?.Split(';')[0]);
        }

        // The neighbour's right key still works: its empty body is refused as a body, not as a client.
        Assert.Equal(StatusCodes.Status400BadRequest, otherClient.Response.StatusCode);
    }

    [Fact]
    public async Task FailedKeysAreLoggedAtWarningOncePerBurstWithoutAStackTrace()
    {
        var logs = new LogCapture();
        await using var host = fixture.StartNode(overrides: FailureLimit(3));
        await using var node = host.WithWebHostBuilder(b => b.ConfigureServices(logs.AddTo));
        var attacker = IPAddress.Parse("192.0.2.20");

        for (var i = 0; i < 10; i++)
        {
            await PostCategoryAsync(node.Server, attacker, $"wrong-key-{i}-0123456789");
        }

        var warnings = logs.Entries.Where(e => e.Level >= LogLevel.Warning && e.Category.StartsWith("Platform.Hosting.Security", StringComparison.Ordinal)).ToList();
        // One when the burst starts, one when it reaches the limit: not one per request.
        Assert.Equal(2, warnings.Count);
        Assert.All(warnings, w => Assert.Contains("192.0.2.20", w.Message, StringComparison.Ordinal));
        Assert.All(warnings, w => Assert.Null(w.Exception));
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error);
    }

    private static Dictionary<string, string?> FailureLimit(int failures) => new()
    {
        ["Auth:FailedKeyLimit"] = failures.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Auth:FailedKeyWindow"] = "00:10:00",
    };

    private static Task<HttpContext> PostCategoryAsync(ServiceHost<Program> node, IPAddress client, string key) => PostCategoryAsync(node.Server, client, key);

    /// <summary>An (invalid, empty) category write from <paramref name="client"/>: the test server lets a test choose the remote address.</summary>
    private static Task<HttpContext> PostCategoryAsync(TestServer server, IPAddress client, string key, string? forwardedFor = null) =>
        server.SendAsync(context =>
        {
            context.Connection.RemoteIpAddress = client;
            if (forwardedFor is not null)
            {
                context.Request.Headers["X-Forwarded-For"] = forwardedFor;
            }

            context.Request.Method = HttpMethods.Post;
            context.Request.Path = "/api/categories";
            context.Request.Headers["X-Api-Key"] = key;
            context.Request.ContentType = "application/json";
            context.Request.Body = new MemoryStream("{}"u8.ToArray());
        });
}
