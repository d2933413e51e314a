using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Platform.Hosting.Connections;
using Platform.Hosting.Security;
using Platform.Testing;

namespace Platform.Hosting.Tests.Health;

/// <summary>/health/ready with the package health checks (PostgreSQL, Redis) as services wire them: the JSON shape, and a server that is gone.</summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task ReadyReportsEachCheckWithStatusDescriptionAndDuration()
    {
        await using var app = await StartAsync(TestServers.PostgresAdmin);

        using var response = await app.GetTestClient().GetAsync(new Uri("/health/ready", UriKind.Relative));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        Assert.True(body.GetProperty("durationMs").GetDouble() >= 0);
        var postgres = body.GetProperty("checks").GetProperty("postgres");
        Assert.Equal("Healthy", postgres.GetProperty("status").GetString());
        Assert.True(postgres.TryGetProperty("description", out _));
        Assert.True(postgres.GetProperty("durationMs").GetDouble() >= 0);
    }

    [Fact]
    public async Task UnreachablePostgresMakesTheNodeUnreadyWithoutSayingWhereItLooked()
    {
        var closedPort = ClosedPort().ToString(CultureInfo.InvariantCulture);
        await using var app = await StartAsync($"Host=127.0.0.1;Port={closedPort};Database=nothing;Username=nobody;Timeout=3;Pooling=false");

        using var response = await app.GetTestClient().GetAsync(new Uri("/health/ready", UriKind.Relative));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("Unhealthy", body.GetProperty("status").GetString());
        var postgres = body.GetProperty("checks").GetProperty("postgres");
        Assert.Equal("Unhealthy", postgres.GetProperty("status").GetString());
        Assert.Equal(HealthDisclosure.Redacted, postgres.GetProperty("description").GetString());
        Assert.DoesNotContain(closedPort, body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadyPingsRedisThroughTheServicesConnection()
    {
        await using var app = await StartAsync(TestServers.PostgresAdmin, TestServers.Redis);

        var checks = await Readiness.WaitForReadyChecksAsync(app.GetTestClient());

        Assert.Equal(["postgres", "redis"], checks.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task UnreachableRedisMakesTheNodeUnready()
    {
        var closedPort = ClosedPort().ToString(CultureInfo.InvariantCulture);
        await using var app = await StartAsync(TestServers.PostgresAdmin, $"127.0.0.1:{closedPort},connectTimeout=500");

        using var response = await app.GetTestClient().GetAsync(new Uri("/health/ready", UriKind.Relative));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("Unhealthy", body.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString());
        Assert.Equal("Healthy", body.GetProperty("checks").GetProperty("postgres").GetProperty("status").GetString());
        Assert.DoesNotContain(closedPort, body.GetRawText(), StringComparison.Ordinal);
    }

    private static async Task<WebApplication> StartAsync(string postgres, string? redis = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseTestServer();
        builder.Configuration["ConnectionStrings:Postgres"] = postgres;
        builder.AddPlatformDefaults("readiness-test");
        builder.AddPlatformPostgres();
        if (redis is not null)
        {
            builder.Configuration["ConnectionStrings:Redis"] = redis;
            builder.AddPlatformRedis();
        }

        var app = builder.Build();
        app.UsePlatformDefaults();
        await app.StartAsync();
        return app;
    }

    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
