using System.Net;
using System.Net.Http.Json;
using Platform.Testing;

namespace Catalog.Api.Tests.Hosting;

/// <summary>
/// The catalog's warm-up runs product updates through the PUT pipeline (a refused one fails the warm-up, so "warmed in"
/// says they went through), and keeps none of them.
/// </summary>
public sealed class WarmUpTests(SeededCatalogFixture fixture) : IClassFixture<SeededCatalogFixture>
{
    [Fact]
    public async Task TheWarmUpWriteIsRolledBackAndRecordsNoEvent()
    {
        const string Row = "SELECT description || '|' || version || '|' || updated_at FROM catalog.products ORDER BY id LIMIT 1";
        var before = await fixture.ScalarAsync<string>(Row);
        var outbox = await fixture.ScalarAsync<long>("SELECT count(*) FROM catalog.outbox");

        await using var node = fixture.StartNode("warm-node", new Dictionary<string, string?> { ["Service:WarmUp:Enabled"] = "true" });
        var checks = await Readiness.WaitForReadyChecksAsync(node.CreateClient());

        Assert.Contains("warm-up", checks);
        var ready = await node.CreateClient().GetFromJsonAsync<System.Text.Json.JsonElement>(new Uri("/health/ready", UriKind.Relative));
        Assert.StartsWith("warmed in", ready.GetProperty("checks").GetProperty("warm-up").GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await fixture.ScalarAsync<string>(Row));
        Assert.Equal(outbox, await fixture.ScalarAsync<long>("SELECT count(*) FROM catalog.outbox"));
    }

    [Fact]
    public async Task TheWarmUpPutOverHttpIsAuthenticatedAndRefusedAsStaleChangingNothing()
    {
        const string Row = "SELECT name || '|' || description || '|' || version || '|' || updated_at FROM catalog.products ORDER BY id LIMIT 1";
        var before = await fixture.ScalarAsync<string>(Row);
        await using var node = fixture.StartNode("warm-put-node");

        using var request = await Catalog.Api.Writes.WriteWarmUp.StalePutAsync(node.Services, CancellationToken.None);
        Assert.NotNull(request);
        using var response = await node.CreateClient().SendAsync(request);

        // Past the key, the write policy and the body's binding, refused on the loaded row's version: what a real PUT runs.
        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        Assert.NotNull(response.Headers.ETag);
        Assert.Equal(before, await fixture.ScalarAsync<string>(Row));
    }
}
