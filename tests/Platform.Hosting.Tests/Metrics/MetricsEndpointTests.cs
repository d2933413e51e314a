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

namespace Platform.Hosting.Tests.Metrics;

public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task MetricsEndpointServesTheTextExposition()
    {
        var meterName = ExporterHarness.UniqueMeterName();
        await using var app = BuildApp(new() { ["Metrics:Meters:0"] = meterName });
        app.MapPrometheusMetrics();
        await app.StartAsync();
        using var meter = new Meter(meterName);
        meter.CreateCounter<int>("scraped.events", unit: null, description: "Events.").Add(3, new KeyValuePair<string, object?>("kind", "a"));

        using var response = await app.GetTestClient().GetAsync(new Uri("/metrics", UriKind.Relative));
        var body = new Exposition(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal(
            ["# HELP scraped_events_total Events.", "# TYPE scraped_events_total counter", "scraped_events_total{kind=\"a\"} 3"],
            body.Family("scraped_events_total"));
        Assert.Equal("0", body.Value("platform_metrics_series_dropped_total"));
    }

    [Fact]
    public async Task MetricsEndpointHonoursACustomPattern()
    {
        await using var app = BuildApp([]);
        app.MapPrometheusMetrics("/internal/prometheus");
        await app.StartAsync();

        using var client = app.GetTestClient();
        using var custom = await client.GetAsync(new Uri("/internal/prometheus", UriKind.Relative));
        using var standard = await client.GetAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, custom.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, standard.StatusCode);
    }

    [Fact]
    public async Task MappingWithoutRegistrationFailsAtStartup()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        await using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapPrometheusMetrics());

        Assert.Contains("AddPrometheusMetrics", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MeasurementsTakenBeforeTheFirstScrapeAreKept()
    {
        var meterName = ExporterHarness.UniqueMeterName();
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Metrics:Meters:0"] = meterName });
        builder.Services.AddPrometheusMetrics();
        using var host = builder.Build();
        using var meter = new Meter(meterName);
        var counter = meter.CreateCounter<int>("early.events");

        await host.StartAsync();
        counter.Add(4);
        var exporter = host.Services.GetRequiredService<PrometheusExporter>();

        Assert.Equal("4", Exposition.Of(exporter).Value("early_events_total"));
        await host.StopAsync();
    }

    [Fact]
    public void ConfiguredMetersAreAddedToTheDefaults()
    {
        using var services = Services(new() { ["Metrics:Meters:0"] = "Extra.Meter" });

        var meters = services.GetRequiredService<IOptions<MetricsOptions>>().Value.Meters;

        Assert.Equal([.. new MetricsOptions().Meters, "Extra.Meter"], meters);
    }

    [Fact]
    public void DefaultOptionsExportTheFrameworkAndPlatformMeters()
    {
        var options = new MetricsOptions();

        Assert.Contains("Microsoft.AspNetCore.Hosting", options.Meters);
        Assert.Contains("Platform.*", options.Meters);
        Assert.Equal(2_000, options.MaxSeriesPerInstrument);
    }

    [Theory]
    [InlineData("Metrics:Meters:0", " ", "Metrics:Meters:9 is empty")]
    [InlineData("Metrics:Meters:0", "Platform.*.Cache", "Metrics:Meters:9 ('Platform.*.Cache') may only have '*' at its end")]
    [InlineData("Metrics:MaxSeriesPerInstrument", "0", "Metrics:MaxSeriesPerInstrument must be at least 1 (was 0)")]
    public async Task InvalidSettingStopsTheHostNamingTheKey(string key, string value, string expected)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [key] = value });
        builder.Services.AddPrometheusMetrics();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidOptionsAreRejectedByTheExporterItself()
    {
        var options = Options.Create(new MetricsOptions { Meters = [""] });

        var error = Assert.Throws<OptionsValidationException>(() => new PrometheusExporter(options));

        Assert.Contains("Metrics:Meters:0 is empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RegisteringTwiceYieldsOneExporter()
    {
        var collection = new ServiceCollection().AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        collection.AddPrometheusMetrics().AddPrometheusMetrics();

        Assert.Single(collection, d => d.ServiceType == typeof(PrometheusExporter));
        Assert.Single(collection, d => d.ServiceType == typeof(IHostedService));
        Assert.Single(collection, d => d.ServiceType == typeof(IValidateOptions<MetricsOptions>));
    }

    private static WebApplication BuildApp(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddPrometheusMetrics();
        return builder.Build();
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings) =>
        new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .AddPrometheusMetrics()
            .BuildServiceProvider();
}
