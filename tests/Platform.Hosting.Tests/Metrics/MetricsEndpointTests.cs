using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Platform.Hosting.Metrics;
using Platform.Hosting.Telemetry;

namespace Platform.Hosting.Tests.Metrics;

public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task MetricsEndpointServesThePrometheusTextFormat()
    {
        await using var host = await MetricsHost.StartAsync();
        host.Meter.CreateCounter<int>("scraped.events", unit: null, description: "Events.").Add(3, new KeyValuePair<string, object?>("kind", "a"));

        using var response = await host.App.GetTestClient().GetAsync(new Uri("/metrics", UriKind.Relative));
        var body = new Exposition(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal(
            ["# TYPE scraped_events_total counter", "# HELP scraped_events_total Events.", "scraped_events_total{kind=\"a\"} 3"],
            body.Family("scraped_events_total"));
    }

    [Fact]
    public async Task EveryScrapeSeesWhatWasRecordedBeforeIt()
    {
        await using var host = await MetricsHost.StartAsync();
        var counter = host.Meter.CreateCounter<int>("fresh.events");

        counter.Add(1);
        var first = await host.ScrapeAsync();
        counter.Add(1);
        var second = await host.ScrapeAsync();

        Assert.Equal("1", first.Value("fresh_events_total{}"));
        Assert.Equal("2", second.Value("fresh_events_total{}"));
    }

    [Fact]
    public async Task MetricsEndpointHonoursACustomPattern()
    {
        await using var host = await MetricsHost.StartAsync(pattern: "/internal/prometheus");

        using var client = host.App.GetTestClient();
        using var custom = await client.GetAsync(new Uri("/internal/prometheus", UriKind.Relative));
        using var standard = await client.GetAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, custom.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, standard.StatusCode);
    }

    [Fact]
    public async Task MappingWithoutTelemetryFailsAtStartup()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        await using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapPrometheusMetrics());

        Assert.Contains(nameof(PlatformTelemetry.AddPlatformTelemetry), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MeasurementsTakenBeforeTheFirstScrapeAreKept()
    {
        await using var host = await MetricsHost.StartAsync();
        var counter = host.Meter.CreateCounter<int>("early.events");

        counter.Add(4);

        Assert.Equal("4", (await host.ScrapeAsync()).Value("early_events_total{}"));
    }

    [Fact]
    public void ConfiguredMetersAreAddedToTheDefaults()
    {
        using var services = Services(new() { ["Metrics:Meters:0"] = "Extra.Meter" });

        var meters = services.GetRequiredService<IOptions<MetricsOptions>>().Value.Meters;

        Assert.Equal([.. new MetricsOptions().Meters, "Extra.Meter"], meters);
    }

    [Fact]
    public void DefaultOptionsCollectTheBusAndPlatformMetersUnderTheSeriesBound()
    {
        var options = new MetricsOptions();

        Assert.Equal(["MassTransit", "Platform.*"], options.Meters);
        Assert.Equal(2_000, options.MaxSeriesPerInstrument);
    }

    [Theory]
    [InlineData("Metrics:Meters:0", " ", "Metrics:Meters:2 is empty")]
    [InlineData("Metrics:Meters:0", "Platform.*.Cache", "Metrics:Meters:2 ('Platform.*.Cache') may only have '*' at its end")]
    [InlineData("Metrics:MaxSeriesPerInstrument", "0", "Metrics:MaxSeriesPerInstrument must be at least 1 (was 0)")]
    public async Task InvalidSettingStopsTheHostNamingTheKey(string key, string value, string expected)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [key] = value });
        builder.AddPlatformTelemetry("invalid-metrics");
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddPlatformTelemetry("options-test");
        return builder.Services.BuildServiceProvider();
    }
}
