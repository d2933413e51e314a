using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Platform.Testing;

namespace Catalog.Api.Tests.Hosting;

/// <summary>The smaller findings of the outside review (issue #13, item 10): headers, hosts, the API description, conflicts in the log.</summary>
public sealed class HardeningTests(CatalogFixture fixture) : IClassFixture<CatalogFixture>
{
    [Theory]
    [InlineData("GET", "/api/categories")]
    [InlineData("GET", "/api/products/1")]
    [InlineData("GET", "/api/nothing-here")]
    [InlineData("GET", "/health/live")]
    [InlineData("GET", "/metrics")]
    [InlineData("GET", "/openapi/v1.json")]
    [InlineData("POST", "/api/products")]
    public async Task EveryResponseTellsBrowsersNotToSniffItsType(string method, string path)
    {
        await using var node = fixture.StartNode();

        using var response = await node.CreateClient().SendAsync(new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative)));

        Assert.True(response.Headers.TryGetValues("X-Content-Type-Options", out var values), $"{method} {path} → {(int)response.StatusCode} without X-Content-Type-Options");
        Assert.Equal(["nosniff"], values);
    }

    [Fact]
    public async Task AForeignHostIsRefusedAndTheApiDescriptionNamesNoServer()
    {
        await using var node = fixture.StartNode();
        var client = node.CreateClient();

        using var foreign = new HttpRequestMessage(HttpMethod.Get, new Uri("/openapi/v1.json", UriKind.Relative));
        foreign.Headers.Host = "attacker.example";
        using var refused = await client.SendAsync(foreign);
        var document = await client.GetFromJsonAsync<JsonElement>(new Uri("/openapi/v1.json", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.DoesNotContain("attacker.example", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(document.TryGetProperty("servers", out var servers) && servers.GetArrayLength() > 0, $"servers: {servers}");
    }

    [Fact]
    public async Task AnExpectedConflictIsNotLoggedAsAnError()
    {
        var logs = new LogCapture();
        await using var host = fixture.StartNode();
        await using var node = host.WithWebHostBuilder(b => b.ConfigureServices(logs.AddTo));
        var client = node.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", CatalogFixture.WriterKey);

        var first = await client.PostAsJsonAsync("/api/categories", new { slug = "conflict-logging", name = "Conflict" });
        var again = await client.PostAsJsonAsync("/api/categories", new { slug = "conflict-logging", name = "Conflict again" });
        var categoryId = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        var product = await client.PostAsJsonAsync("/api/products", new { sku = "CONFLICT-1", name = "p", categoryId, price = 1 });
        var productAgain = await client.PostAsJsonAsync("/api/products", new { sku = "CONFLICT-1", name = "p", categoryId, price = 1 });

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(HttpStatusCode.Created, product.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, productAgain.StatusCode);
        var noisy = logs.Entries.Where(e => e.Level >= LogLevel.Error || (e.Level >= LogLevel.Warning && e.Exception is not null)).ToList();
        Assert.True(noisy.Count == 0, "logged: " + string.Join("\n", noisy.Select(e => $"{e.Level} {e.Category}: {e.Message} {e.Exception?.GetType().Name}")));
    }
}
