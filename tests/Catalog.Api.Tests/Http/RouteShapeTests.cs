using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Catalog.Api.Tests.Http;

/// <summary>HEAD answers every GET route as the GET would, without the body; an id that is not a number is a 400.</summary>
public sealed class RouteShapeTests(SeededCatalogFixture fixture) : IClassFixture<SeededCatalogFixture>
{
    [Theory]
    [InlineData("/api/products?limit=5", null)]
    [InlineData("/api/products?limit=5", "br, gzip")]
    [InlineData("/api/products/42", null)]
    [InlineData("/api/products/99999999", null)]
    [InlineData("/api/categories", "gzip")]
    [InlineData("/api/products/popular?category=1", null)]
    [InlineData("/health/live", null)]
    [InlineData("/openapi/v1.json", null)]
    public async Task HeadAnswersAsTheGetWouldWithoutTheBody(string path, string? acceptEncoding)
    {
        await using var node = fixture.StartNode();
        var client = node.CreateClient();
        using var get = new HttpRequestMessage(HttpMethod.Get, path);
        using var head = new HttpRequestMessage(HttpMethod.Head, path);
        if (acceptEncoding is not null)
        {
            get.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
            head.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
        }

        var getResponse = await client.SendAsync(get);
        var getBytes = await getResponse.Content.ReadAsByteArrayAsync();
        var headResponse = await client.SendAsync(head);

        Assert.Equal(getResponse.StatusCode, headResponse.StatusCode);
        Assert.Equal(getResponse.Headers.ETag, headResponse.Headers.ETag);
        Assert.Equal(getResponse.Content.Headers.ContentType, headResponse.Content.Headers.ContentType);
        Assert.Equal(getResponse.Content.Headers.ContentEncoding, headResponse.Content.Headers.ContentEncoding);
        if (headResponse.Content.Headers.ContentLength is { } length)
        {
            Assert.Equal(getBytes.Length, length);
        }

        Assert.Empty(await headResponse.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("GET", "/api/products/abc")]
    [InlineData("GET", "/api/products/1.5")]
    [InlineData("GET", "/api/products/99999999999999999999")]
    [InlineData("PUT", "/api/products/abc")]
    [InlineData("DELETE", "/api/products/abc")]
    [InlineData("POST", "/api/products/abc/views")]
    [InlineData("PUT", "/api/categories/abc")]
    public async Task AnIdThatIsNotANumberIsA400NamingTheId(string method, string path)
    {
        await using var node = fixture.StartNode();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method is "PUT" or "POST")
        {
            request.Content = JsonContent.Create(new { });
        }

        var response = await CatalogFixture.Writer(node).SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("id", out _));
    }
}
