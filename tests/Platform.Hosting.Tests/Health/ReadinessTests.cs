using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Platform.Hosting.Connections;
using Platform.Testing;

namespace Platform.Hosting.Tests.Health;

/// <summary>/health/ready with the PostgreSQL check: its JSON shape, and what it says when the server is gone.</summary>
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
        Assert.Equal(JsonValueKind.Null, postgres.GetProperty("description").ValueKind);
        Assert.True(postgres.GetProperty("durationMs").GetDouble() >= 0);
    }

    [Fact]
    public async Task UnreachablePostgresMakesTheNodeUnreadyAndSaysWhy()
    {
        var closedPort = ClosedPort();
        await using var app = await StartAsync($"Host=127.0.0.1;Port={closedPort};Database=nothing;Username=nobody;Timeout=3;Pooling=false");

        using var response = await app.GetTestClient().GetAsync(new Uri("/health/ready", UriKind.Relative));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("Unhealthy", body.GetProperty("status").GetString());
        var postgres = body.GetProperty("checks").GetProperty("postgres");
        Assert.Equal("Unhealthy", postgres.GetProperty("status").GetString());
        Assert.Contains(closedPort.ToString(System.Globalization.CultureInfo.InvariantCulture), postgres.GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACheckThatFailsWithAnExceptionAloneIsDescribedByItsMessage()
    {
        await using var app = await StartAsync(TestServers.PostgresAdmin, checks => checks.AddCheck(
            "silent",
            () => HealthCheckResult.Unhealthy(exception: new TimeoutException("no answer within 1 s")),
            tags: [HealthTags.Ready]));

        using var response = await app.GetTestClient().GetAsync(new Uri("/health/ready", UriKind.Relative));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("no answer within 1 s", body.GetProperty("checks").GetProperty("silent").GetProperty("description").GetString());
    }

    private static async Task<WebApplication> StartAsync(string postgres, Action<IHealthChecksBuilder>? checks = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Configuration["ConnectionStrings:Postgres"] = postgres;
        builder.AddPlatformPostgres();
        checks?.Invoke(builder.Services.AddHealthChecks());
        var app = builder.Build();
        app.MapPlatformHealth();
        await app.StartAsync();
        return app;
    }

    private static int ClosedPort()
    {
        var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
