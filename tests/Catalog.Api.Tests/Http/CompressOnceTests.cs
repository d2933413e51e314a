using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using Catalog.Api.Http;
using Catalog.Api.Products;
using Microsoft.Extensions.Primitives;
using Platform.Caching;

namespace Catalog.Api.Tests.Http;

/// <summary>
/// Cached reads are compressed once per entry and coding, each coding has its own ETag, every answer varies on
/// Accept-Encoding, and the bytes are what the response compression middleware sent before.
/// </summary>
public sealed class CompressOnceTests(SeededCatalogFixture fixture) : IClassFixture<SeededCatalogFixture>
{
    private static async Task<HttpResponseMessage> GetAsync(HttpClient client, string path, string? acceptEncoding = null, string? ifNoneMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (acceptEncoding is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
        }

        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }

        return await client.SendAsync(request);
    }

    private static byte[] Decompress(byte[] bytes, string coding)
    {
        using var input = new MemoryStream(bytes);
        using Stream decompressor = coding == "br" ? new BrotliStream(input, CompressionMode.Decompress) : new GZipStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        decompressor.CopyTo(output);
        return output.ToArray();
    }

    [Theory]
    [InlineData("/api/products?limit=100", "br, gzip", "br")]
    [InlineData("/api/products?limit=100", "gzip", "gzip")]
    [InlineData("/api/products/42", "gzip, deflate, br", "br")]
    [InlineData("/api/categories", "br;q=0.5, gzip", "gzip")]
    public async Task ACompressedHitHoldsTheSameJsonAsTheIdentityHitUnderItsOwnETag(string path, string acceptEncoding, string coding)
    {
        await using var node = fixture.StartNode();
        var client = node.CreateClient();

        var identity = await GetAsync(client, path);
        var compressed = await GetAsync(client, path, acceptEncoding);
        var again = await GetAsync(client, path, acceptEncoding);

        Assert.Equal(HttpStatusCode.OK, compressed.StatusCode);
        Assert.Equal([coding], compressed.Content.Headers.ContentEncoding);
        Assert.Empty(identity.Content.Headers.ContentEncoding);
        var identityBytes = await identity.Content.ReadAsByteArrayAsync();
        var compressedBytes = await compressed.Content.ReadAsByteArrayAsync();
        Assert.Equal(identityBytes, Decompress(compressedBytes, coding));
        Assert.Equal(compressedBytes, await again.Content.ReadAsByteArrayAsync());
        var identityTag = identity.Headers.ETag!.Tag;
        Assert.Equal(identityTag[..^1] + (coding == "br" ? "-br\"" : "-gzip\""), compressed.Headers.ETag!.Tag);
        Assert.Contains("Accept-Encoding", identity.Headers.Vary);
        Assert.Contains("Accept-Encoding", compressed.Headers.Vary);
    }

    [Fact]
    public async Task A304ConfirmsOnlyTheBytesOfTheCodingTheClientAsksForAndVaries()
    {
        await using var node = fixture.StartNode();
        var client = node.CreateClient();
        var identityTag = (await GetAsync(client, "/api/products?limit=7")).Headers.ETag!.Tag;
        var brotliTag = (await GetAsync(client, "/api/products?limit=7", "br")).Headers.ETag!.Tag;

        var identityAsBrotli = await GetAsync(client, "/api/products?limit=7", "br", identityTag);
        var brotliAsBrotli = await GetAsync(client, "/api/products?limit=7", "br", brotliTag);
        var brotliAsIdentity = await GetAsync(client, "/api/products?limit=7", null, brotliTag);
        var identityAsIdentity = await GetAsync(client, "/api/products?limit=7", null, identityTag);

        Assert.NotEqual(identityTag, brotliTag);
        Assert.Equal(HttpStatusCode.OK, identityAsBrotli.StatusCode);
        Assert.Equal(HttpStatusCode.NotModified, brotliAsBrotli.StatusCode);
        Assert.Contains("Accept-Encoding", brotliAsBrotli.Headers.Vary);
        Assert.Equal(HttpStatusCode.OK, brotliAsIdentity.StatusCode);
        Assert.Equal(HttpStatusCode.NotModified, identityAsIdentity.StatusCode);
    }

    [Fact]
    public async Task TheBrotliBytesAreTheResponseCompressionMiddlewaresAtItsFastestLevel()
    {
        await using var node = fixture.StartNode();
        var response = await GetAsync(node.CreateClient(), "/api/products?limit=100", "br");
        var json = Decompress(await response.Content.ReadAsByteArrayAsync(), "br");

        using var expected = new MemoryStream();
        await using (var brotli = new BrotliStream(expected, CompressionLevel.Fastest, leaveOpen: true))
        {
            await brotli.WriteAsync(json);
        }

        Assert.Equal(expected.ToArray(), await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public void APayloadCompressesOncePerCodingAndKeepsTheResult()
    {
        var payload = CachedJson.Build(new { items = Enumerable.Range(0, 50).Select(i => new { id = i, name = $"product {i}" }) });

        Assert.Same(payload.Brotli, payload.Brotli);
        Assert.Same(payload.Gzip, payload.Gzip);
        Assert.Same(payload.BrotliETag, payload.BrotliETag);
        Assert.True(payload.Brotli.Length < payload.Utf8Json.Length);
    }

    [Theory]
    [InlineData(null, ContentCoding.Identity)]
    [InlineData("", ContentCoding.Identity)]
    [InlineData("identity", ContentCoding.Identity)]
    [InlineData("deflate", ContentCoding.Identity)]
    [InlineData("br", ContentCoding.Brotli)]
    [InlineData("gzip, deflate, br, zstd", ContentCoding.Brotli)]
    [InlineData("BR;Q=1, GZIP", ContentCoding.Brotli)]
    [InlineData("gzip;q=1.0, br;q=0.8", ContentCoding.Gzip)]
    [InlineData("br;q=0, gzip", ContentCoding.Gzip)]
    [InlineData("br;q=0, gzip;q=0", ContentCoding.Identity)]
    [InlineData("*", ContentCoding.Brotli)]
    [InlineData("*;q=0", ContentCoding.Identity)]
    [InlineData("gzip, *;q=0", ContentCoding.Gzip)]
    [InlineData("br;q=nonsense, gzip", ContentCoding.Gzip)]
    [InlineData("x-gzip", ContentCoding.Gzip)]
    public void TheCodingFollowsAcceptEncodingWeights(string? header, ContentCoding expected) =>
        Assert.Equal(expected, ContentCodings.Negotiate(header is null ? StringValues.Empty : new StringValues(header)));

    [Fact]
    public async Task AnUpdateAcceptsTheETagOfTheCompressedBytesItRead()
    {
        await using var node = fixture.StartNode();
        var client = CatalogFixture.Writer(node);
        var created = await (await client.PostAsJsonAsync("/api/products", new
        {
            sku = "CO-" + Guid.NewGuid().ToString("N")[..10].ToUpperInvariant(), name = "Lamp", description = "", categoryId = 1, price = 3m, currency = "EUR", status = "active",
        })).Content.ReadFromJsonAsync<ProductDto>();
        var read = await GetAsync(client, $"/api/products/{created!.Id}", "br");

        using var put = new HttpRequestMessage(HttpMethod.Put, $"/api/products/{created.Id}")
        {
            Content = JsonContent.Create(new { name = "Lamp 2", description = "", categoryId = 1, price = 3m, currency = "EUR", status = "active" }),
        };
        put.Headers.TryAddWithoutValidation("If-Match", read.Headers.ETag!.Tag);
        var updated = await client.SendAsync(put);

        Assert.Equal("\"v1-br\"", read.Headers.ETag.Tag);
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
    }
}
