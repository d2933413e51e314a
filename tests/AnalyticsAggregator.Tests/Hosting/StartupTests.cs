using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Testing;

namespace AnalyticsAggregator.Tests.Hosting;

public sealed class StartupTests(ServiceFixture fixture) : IClassFixture<ServiceFixture>
{
    [Fact]
    public async Task ServiceStartsAndIsReadyOnceItsServersAnswer()
    {
        await using var node = new ServiceHost<Program>(fixture.Settings);
        var client = node.CreateClient();

        var body = await Eventually.ReturnsAsync(async () =>
        {
            var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
            return response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadFromJsonAsync<JsonElement>() : (JsonElement?)null;
        }, TimeSpan.FromSeconds(30), "readiness");

        var checks = body.GetProperty("checks").EnumerateObject().Select(c => c.Name).ToList();
        Assert.Contains("postgres", checks);
        Assert.DoesNotContain("redis", checks);
        Assert.Contains(checks, c => c.StartsWith("masstransit", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MigrateCreatedTheServiceSchema()
    {
        await using var command = fixture.Database.DataSource.CreateCommand(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'analytics' AND table_name = 'schema_migrations'");
        Assert.Equal(1L, await command.ExecuteScalarAsync());
    }
}
