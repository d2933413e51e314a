using System.Net.Http.Json;
using System.Text.Json;

namespace Catalog.Api.Tests.Writes;

/// <summary>The OpenAPI document shows what a write needs and can answer, not the pipeline it runs through.</summary>
public sealed class WriteDocumentTests(CatalogFixture fixture) : IClassFixture<CatalogFixture>
{
    [Theory]
    [InlineData("/api/products/{id}")]
    [InlineData("/api/categories/{id}")]
    public async Task EveryPutDocumentsIfMatchItsBodyAndItsRefusals(string path)
    {
        await using var node = fixture.StartNode();

        var document = await node.CreateClient().GetFromJsonAsync<JsonElement>(new Uri("/openapi/v1.json", UriKind.Relative));

        var put = document.GetProperty("paths").GetProperty(path).GetProperty("put");
        var parameters = put.GetProperty("parameters").EnumerateArray().Select(p => $"{p.GetProperty("in").GetString()}:{p.GetProperty("name").GetString()}").ToList();
        Assert.Equal(["path:id", "header:If-Match"], parameters);
        Assert.True(put.TryGetProperty("requestBody", out _), $"{path} PUT has no request body");
        var statuses = put.GetProperty("responses").EnumerateObject().Select(r => r.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "200", "400", "404", "412", "428" }, statuses);
    }
}
