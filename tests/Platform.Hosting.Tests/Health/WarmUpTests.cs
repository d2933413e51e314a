using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Hosting.Connections;
using Platform.Testing;

namespace Platform.Hosting.Tests.Health;

/// <summary>
/// A node reports ready only after its warm-up: pools opened, steps run, its own GET paths requested in every content
/// coding; and a warm-up that fails or hangs never keeps it out of service.
/// </summary>
public sealed class WarmUpTests
{
    [Fact]
    public async Task ANodeIsNotReadyUntilItsWarmUpHasRequestedItsPathsInEveryCodingAndOpenedItsPool()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new ConcurrentBag<string>();
        var application = "warm-up-" + Guid.NewGuid().ToString("N")[..12];
        await using var app = await StartAsync(
            new NpgsqlConnectionStringBuilder(TestServers.PostgresAdmin) { ApplicationName = application, Pooling = true }.ConnectionString,
            plan =>
            {
                plan.Paths.Add("/probe");
                plan.Steps.Add((_, ct) => release.Task.WaitAsync(ct));
            },
            endpoints => endpoints.MapGet("/probe", (HttpRequest request) =>
            {
                seen.Add($"{request.Method} {request.Headers.AcceptEncoding}");
                return "ok";
            }));
        using var client = new HttpClient { BaseAddress = Address(app) };

        using (var waiting = await client.GetAsync(new Uri("/health/ready", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, waiting.StatusCode);
            var body = await waiting.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("Unhealthy", body.GetProperty("checks").GetProperty("warm-up").GetProperty("status").GetString());
        }

        Assert.Empty(seen);
        release.SetResult();
        await Readiness.WaitForReadyChecksAsync(client);

        // 3 rounds of identity, "br, gzip", "gzip" and a HEAD (answered as the GET, UseHeadAsGet).
        Assert.Equal(12, seen.Count);
        Assert.Equal(6, seen.Count(s => s == "GET br, gzip")); // the HEADs reach the endpoint as GETs
        Assert.Equal(3, seen.Count(s => s == "GET gzip"));
        Assert.Equal(3, seen.Count(s => s == "GET "));
        // Then one full collection before ready, so the process's first (marking everything start allocated) is not
        // taken in a request: the readiness check says it was done.
        var ready = await client.GetFromJsonAsync<JsonElement>(new Uri("/health/ready", UriKind.Relative));
        Assert.Matches(@"^warmed in \d+ ms \(12 requests, 0 failed; heap collected in \d+ ms\)$", ready.GetProperty("checks").GetProperty("warm-up").GetProperty("description").GetString());
        var idle = await ScalarAsync<long>($"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{application}'");
        Assert.True(idle >= 4, $"{idle} pooled connections open after the warm-up, expected the 4 it opens");
    }

    [Fact]
    public async Task ThePlansOtherRequestsAreSentEveryRoundAfterItsPathsAndANullOneIsSkipped()
    {
        var seen = new ConcurrentQueue<string>();
        await using var app = await StartAsync(
            TestServers.PostgresAdmin,
            plan =>
            {
                plan.Paths.Add("/probe");
                plan.Requests.Add((_, _) => Task.FromResult<HttpRequestMessage?>(new HttpRequestMessage(HttpMethod.Put, "/probe") { Content = new StringContent("body") }));
                plan.Requests.Add((_, _) => Task.FromResult<HttpRequestMessage?>(null));
            },
            endpoints =>
            {
                endpoints.MapGet("/probe", () => { seen.Enqueue("GET"); return "ok"; });
                endpoints.MapPut("/probe", async (HttpRequest request) =>
                {
                    using var reader = new StreamReader(request.Body);
                    seen.Enqueue("PUT " + await reader.ReadToEndAsync());
                    return Results.StatusCode(StatusCodes.Status412PreconditionFailed);
                });
            });
        using var client = new HttpClient { BaseAddress = Address(app) };

        await Readiness.WaitForReadyChecksAsync(client);

        // Each of the 3 rounds: the path's 4 variants, then the PUT (its 412 is not a failure); the null one sends nothing.
        Assert.Equal(Enumerable.Repeat<string[]>(["GET", "GET", "GET", "GET", "PUT body"], 3).SelectMany(r => r), seen);
        var ready = await client.GetFromJsonAsync<JsonElement>(new Uri("/health/ready", UriKind.Relative));
        Assert.StartsWith("warmed in", ready.GetProperty("checks").GetProperty("warm-up").GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Contains("(15 requests, 0 failed;", ready.GetProperty("checks").GetProperty("warm-up").GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWarmUpThatFailsStillLetsTheNodeBecomeReady()
    {
        await using var app = await StartAsync(TestServers.PostgresAdmin, plan => plan.Steps.Add((_, _) => throw new InvalidOperationException("no such table")));
        using var client = new HttpClient { BaseAddress = Address(app) };

        await Readiness.WaitForReadyChecksAsync(client);

        var body = await client.GetFromJsonAsync<JsonElement>(new Uri("/health/ready", UriKind.Relative));
        Assert.StartsWith("warm-up failed", body.GetProperty("checks").GetProperty("warm-up").GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWarmUpThatHangsEndsAtItsTimeoutAndTheNodeBecomesReady()
    {
        await using var app = await StartAsync(TestServers.PostgresAdmin, plan => plan.Steps.Add((_, ct) => Task.Delay(Timeout.Infinite, ct)), timeout: "00:00:01");
        using var client = new HttpClient { BaseAddress = Address(app) };

        await Readiness.WaitForReadyChecksAsync(client);

        var body = await client.GetFromJsonAsync<JsonElement>(new Uri("/health/ready", UriKind.Relative));
        Assert.StartsWith("warm-up timed out", body.GetProperty("checks").GetProperty("warm-up").GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    private static async Task<WebApplication> StartAsync(string postgres, Action<WarmUpPlan> plan, Action<WebApplication>? map = null, string? timeout = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration["ConnectionStrings:Postgres"] = postgres;
        if (timeout is not null)
        {
            builder.Configuration["Service:WarmUp:Timeout"] = timeout;
        }

        builder.AddPlatformDefaults("warm-up-test");
        builder.AddPlatformPostgres();
        builder.AddWarmUp(plan);
        var app = builder.Build();
        app.UsePlatformDefaults();
        map?.Invoke(app);
        await app.StartAsync();
        return app;
    }

    private static Uri Address(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    private static async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(TestServers.PostgresAdmin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
