using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Platform.Hosting.Tests.Security;

/// <summary>
/// Health answers are public on a node's port: they keep each check's status and never carry the text of what failed
/// (connection strings, hosts, server messages). The cause stays in the service's log.
/// </summary>
public sealed class HealthDisclosureTests : IAsyncLifetime
{
    private const string Secret = "Host=10.1.2.3;Password=hunter2";

    private WebApplication? _app;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseTestServer();
        builder.AddPlatformDefaults("sample-service");
        builder.Services.AddHealthChecks()
            .AddCheck("throws", () => throw new InvalidOperationException("cannot connect: " + Secret))
            .AddCheck("returns-exception", () => HealthCheckResult.Unhealthy("PostgreSQL unreachable: " + Secret, new InvalidOperationException(Secret)))
            .AddCheck("degraded", () => HealthCheckResult.Degraded("server said: " + Secret))
            .AddCheck("fine", () => HealthCheckResult.Healthy("ping 1.0 ms"));
        _app = builder.Build();
        _app.UsePlatformDefaults();
        await _app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task ReadinessKeepsTheStatusOfEachCheckWithoutTheTextOfAnyFailure()
    {
        using var response = await _app!.GetTestClient().GetAsync(new Uri("/health/ready", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.DoesNotContain("10.1.2.3", text, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", text, StringComparison.Ordinal);
        var checks = JsonDocument.Parse(text).RootElement.GetProperty("checks");
        Assert.Equal("Unhealthy", checks.GetProperty("throws").GetProperty("status").GetString());
        Assert.Equal("Unhealthy", checks.GetProperty("returns-exception").GetProperty("status").GetString());
        Assert.Equal("Degraded", checks.GetProperty("degraded").GetProperty("status").GetString());
        Assert.Equal("Healthy", checks.GetProperty("fine").GetProperty("status").GetString());
        Assert.Equal("ping 1.0 ms", checks.GetProperty("fine").GetProperty("description").GetString());
    }
}
