using System.Net;
using System.Net.Http.Json;

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
        var client = node.CreateClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            statuses.Add((await client.PostAsync(new Uri("/api/products/1/views", UriKind.Relative), null)).StatusCode);
        }

        var limited = await client.PostAsync(new Uri("/api/products/1/views", UriKind.Relative), null);
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
    }
}
