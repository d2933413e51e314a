using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Testing;

namespace Catalog.Api.Tests.Hosting;

public sealed class ServiceDefaultsTests(CatalogFixture fixture) : IClassFixture<CatalogFixture>
{
    [Fact]
    public async Task LiveAnswersWithoutCheckingServers()
    {
        await using var node = fixture.StartNode();

        var response = await node.CreateClient().GetAsync(new Uri("/health/live", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        Assert.Empty(body.GetProperty("checks").EnumerateObject());
    }

    [Fact]
    public async Task ReadyChecksPostgresRedisAndTheBus()
    {
        await using var node = fixture.StartNode();
        var client = node.CreateClient();

        // The bus connects in the background after start: wait for readiness with a deadline.
        var body = await Eventually.ReturnsAsync(async () =>
        {
            var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
            return response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadFromJsonAsync<JsonElement>() : (JsonElement?)null;
        }, TimeSpan.FromSeconds(30));

        var checks = body.GetProperty("checks").EnumerateObject().Select(c => c.Name).ToList();
        Assert.Contains("postgres", checks);
        Assert.Contains("redis", checks);
        Assert.Contains(checks, c => c.StartsWith("masstransit", StringComparison.Ordinal));
        Assert.All(body.GetProperty("checks").EnumerateObject(), c => Assert.Equal("Healthy", c.Value.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task UnknownRouteIsAProblemDetails()
    {
        await using var node = fixture.StartNode();

        var response = await node.CreateClient().GetAsync(new Uri("/api/nothing-here", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(404, problem.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task MetricsAreExposedInPrometheusFormat()
    {
        await using var node = fixture.StartNode();
        var client = node.CreateClient();
        await client.GetAsync(new Uri("/api/categories", UriKind.Relative));

        var response = await client.GetAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE http_server_request_duration_seconds histogram", text, StringComparison.Ordinal);
        Assert.Contains("http_route=\"/api/categories/\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CacheAndOutboxMetricsAreOnTheMetricsEndpoint()
    {
        await using var node = fixture.StartNode();
        var client = node.CreateClient();
        await client.GetAsync(new Uri("/api/categories", UriKind.Relative));
        await client.GetAsync(new Uri("/api/categories", UriKind.Relative));

        var text = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        // Per kind of entry (CacheNames.KindOf), so dashboards and alerts can watch the hit ratio of each.
        Assert.Matches("platform_cache_hits_total\\{(?=[^}]*kind=\"categories\")(?=[^}]*level=\"l1\")[^}]*\\} [1-9]", text);
        Assert.Matches("platform_cache_misses_total\\{(?=[^}]*kind=\"categories\")(?=[^}]*level=\"l2\")[^}]*\\} [0-9]", text);
        Assert.Contains("platform_outbox_depth", text, StringComparison.Ordinal);
    }
}
