using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Platform.Testing;

namespace Platform.AppHost.Tests;

/// <summary>
/// The Aspire AppHost (infra/AppHost) runs the whole platform against the real servers, and a catalog write shows in
/// its dashboard as one trace through the outbox, RabbitMQ and the invalidator, read back through the dashboard's
/// telemetry API. Isolated like every service test: its own database, key and entity prefixes, and ports.
/// </summary>
public sealed class AppHostTraceTests(ServiceFixture fixture) : IClassFixture<ServiceFixture>, IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(5);
    private readonly string _dashboardConfig = Directory.CreateTempSubdirectory("apphost-dashboard-").FullName;

    [Fact]
    public async Task APutOnACatalogNodeArrivesInTheDashboardAsOneTraceThroughTheInvalidator()
    {
        var apiKey = Convert.ToHexString(Guid.NewGuid().ToByteArray());
        var writeKey = Convert.ToHexString(Guid.NewGuid().ToByteArray());
        // The dashboard reads key-per-file settings from this folder: its telemetry API with a key the test knows.
        File.WriteAllText(Path.Combine(_dashboardConfig, "Dashboard__Api__Enabled"), "true");
        File.WriteAllText(Path.Combine(_dashboardConfig, "Dashboard__Api__AuthMode"), "ApiKey");
        File.WriteAllText(Path.Combine(_dashboardConfig, "Dashboard__Api__PrimaryApiKey"), apiKey);
        // Below the kernel's ephemeral range (32768+), away from ./platform up's own ports.
        var portOffset = 15_000 + (Random.Shared.Next(0, 50) * 100);
        string[] args =
        [
            $"--ConnectionStrings:Postgres={fixture.Database.ConnectionString}",
            $"--ConnectionStrings:Redis={TestServers.Redis}",
            $"--ConnectionStrings:RabbitMq={TestServers.RabbitMq}",
            $"--Services:Bus:EntityPrefix={fixture.BusPrefix}",
            $"--Services:Cache:KeyPrefix={fixture.RedisPrefix}",
            $"--Platform:PortOffset={portOffset}",
            "--Platform:SeedCategories=3",
            "--Platform:SeedProducts=10",
            $"--Parameters:catalog-write-key={writeKey}",
            $"--Parameters:ops-api-key={Convert.ToHexString(Guid.NewGuid().ToByteArray())}",
            "--ASPIRE_ALLOW_UNSECURED_TRANSPORT=true",
            $"--ASPIRE_DASHBOARD_FILE_CONFIG_DIRECTORY={_dashboardConfig}",
        ];
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Platform_AppHost>(
            args, (options, _) => options.DisableDashboard = false);
        await using var app = await builder.BuildAsync();
        using var start = new CancellationTokenSource(StartTimeout);
        await app.StartAsync(start.Token);
        foreach (var node in new[] { "catalog-api-1", "catalog-api-2", "cache-invalidator", "analytics-aggregator" })
        {
            await app.ResourceNotifications.WaitForResourceHealthyAsync(node, start.Token);
        }

        using var catalog = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{5100 + portOffset}") };
        using var read = await catalog.GetAsync(new Uri("/api/products/1", UriKind.Relative));
        read.EnsureSuccessStatusCode();
        var product = await read.Content.ReadFromJsonAsync<JsonElement>();
        using var put = new HttpRequestMessage(HttpMethod.Put, "/api/products/1")
        {
            Content = JsonContent.Create(new
            {
                name = product.GetProperty("name").GetString() + " (traced)",
                description = product.GetProperty("description").GetString(),
                categoryId = product.GetProperty("categoryId").GetInt64(),
                price = product.GetProperty("price").GetDecimal(),
                currency = product.GetProperty("currency").GetString(),
                status = product.GetProperty("status").GetString(),
            }),
        };
        put.Headers.Add("X-Api-Key", writeKey);
        // The write joins a trace the test names: found by id, however many other traces the nodes made meanwhile.
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        put.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        put.Headers.TryAddWithoutValidation("If-Match", read.Headers.ETag!.Tag);
        using (var written = await catalog.SendAsync(put))
        {
            Assert.True(written.IsSuccessStatusCode, $"PUT answered {(int)written.StatusCode}: {await written.Content.ReadAsStringAsync()}");
        }

        // The testing builder gives the dashboard ports of its own; it is the model's "aspire-dashboard" resource.
        using var telemetry = new HttpClient { BaseAddress = app.GetEndpoint("aspire-dashboard", "http") };
        telemetry.DefaultRequestHeaders.Add("X-API-Key", apiKey);
        // Each node exports its spans in its own batches, so the trace fills in over a few seconds.
        var expected = new (string What, Func<(string Resource, string Name), bool> Match)[]
        {
            ("the PUT on catalog-api-1", s => s == ("catalog-api-1", "PUT /api/products/{id:long}")),
            // The relay runs on whichever catalog node holds the outbox lock (ADR 005).
            ("the relay's outbox publish", s => s.Resource.StartsWith("catalog-api-", StringComparison.Ordinal) && s.Name == "outbox publish"),
            // The consumer's spans are named after its queue, which carries this test's entity prefix.
            ("the invalidator's consume", s => s.Resource == "cache-invalidator" && s.Name.EndsWith("cache-invalidator process", StringComparison.Ordinal)),
            ("the invalidator's eviction", s => s == ("cache-invalidator", "cache evict")),
            // The PUT went to node 1; node 2 drops its L1 copies when it hears the evictions on the Redis backplane.
            ("the other node's backplane apply", s => s == ("catalog-api-2", "cache backplane apply")),
        };
        IReadOnlyList<(string Resource, string Name)> spans = [];
        try
        {
            await Eventually.TrueAsync(async () =>
            {
                spans = await SpansAsync(telemetry, traceId);
                return expected.All(e => spans.Any(e.Match));
            }, TimeSpan.FromSeconds(120), "the PUT's whole trace in the dashboard");
        }
        catch (TimeoutException)
        {
            var missing = expected.Where(e => !spans.Any(e.Match)).Select(e => e.What);
            Assert.Fail($"missing from the trace: {string.Join(", ", missing)}; spans: {string.Join("; ", spans.Select(s => $"{s.Resource}/{s.Name}"))}");
        }
    }

    public void Dispose() => Directory.Delete(_dashboardConfig, recursive: true);

    private static async Task<IReadOnlyList<(string Resource, string Name)>> SpansAsync(HttpClient telemetry, string traceId)
    {
        using var response = await telemetry.GetAsync(new Uri($"/api/telemetry/traces/{traceId}", UriKind.Relative));
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return [];
        }

        response.EnsureSuccessStatusCode();
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. Spans(document.RootElement).Select(s => (s.Resource, s.Name))];
    }

    // OTLP JSON: data.resourceSpans[].resource.attributes (service.name) and .scopeSpans[].spans[].
    private static IEnumerable<(string Resource, string Name, string TraceId)> Spans(JsonElement root)
    {
        foreach (var resourceSpans in root.GetProperty("data").GetProperty("resourceSpans").EnumerateArray())
        {
            var service = resourceSpans.GetProperty("resource").GetProperty("attributes").EnumerateArray()
                .Where(a => a.GetProperty("key").GetString() == "service.name")
                .Select(a => a.GetProperty("value").GetProperty("stringValue").GetString())
                .FirstOrDefault() ?? "";
            foreach (var scope in resourceSpans.GetProperty("scopeSpans").EnumerateArray())
            {
                foreach (var span in scope.GetProperty("spans").EnumerateArray())
                {
                    yield return (service, span.GetProperty("name").GetString()!, span.GetProperty("traceId").GetString()!);
                }
            }
        }
    }
}
