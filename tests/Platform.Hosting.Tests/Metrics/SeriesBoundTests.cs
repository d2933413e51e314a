using System.Diagnostics.Metrics;

namespace Platform.Hosting.Tests.Metrics;

/// <summary>Metrics:MaxSeriesPerInstrument bounds the series of every instrument; histograms keep their advised buckets under it.</summary>
public sealed class SeriesBoundTests
{
    private static KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);

    [Fact]
    public async Task TagSetsBeyondTheBoundAreFoldedIntoOneOverflowSeries()
    {
        await using var host = await MetricsHost.StartAsync(new() { ["Metrics:MaxSeriesPerInstrument"] = "3" });
        var lookups = host.Meter.CreateCounter<int>("lookups");

        for (var user = 0; user < 5; user++)
        {
            lookups.Add(1, Tag("user", user));
        }

        lookups.Add(1, Tag("user", 0));
        lookups.Add(1, Tag("user", 4));

        var scrape = await host.ScrapeAsync();
        Assert.Equal(
            ["# TYPE lookups_total counter", "lookups_total{otel_metric_overflow=\"true\"} 3", "lookups_total{user=\"0\"} 2", "lookups_total{user=\"1\"} 1", "lookups_total{user=\"2\"} 1"],
            scrape.Family("lookups_total"));
    }

    [Fact]
    public async Task ObservableTagSetsBeyondTheBoundAreFoldedIntoTheOverflowSeries()
    {
        await using var host = await MetricsHost.StartAsync(new() { ["Metrics:MaxSeriesPerInstrument"] = "1" });
        host.Meter.CreateObservableGauge("workers", () => new[] { new Measurement<int>(1, Tag("pool", "a")), new(2, Tag("pool", "b")) });

        var scrape = await host.ScrapeAsync();

        Assert.Equal(["# TYPE workers gauge", "workers{otel_metric_overflow=\"true\"} 2", "workers{pool=\"a\"} 1"], scrape.Family("workers"));
    }

    [Fact]
    public async Task HistogramUsesTheBoundariesItsInstrumentAdvises()
    {
        await using var host = await MetricsHost.StartAsync();
        var histogram = host.Meter.CreateHistogram<double>("batch.duration", "s", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.01, 0.1] });

        histogram.Record(0.005);
        histogram.Record(0.5);

        var scrape = await host.ScrapeAsync();
        Assert.Equal(
            [
                "# TYPE batch_duration_seconds histogram",
                "batch_duration_seconds_bucket{le=\"0.001\"} 0",
                "batch_duration_seconds_bucket{le=\"0.01\"} 1",
                "batch_duration_seconds_bucket{le=\"0.1\"} 1",
                "batch_duration_seconds_bucket{le=\"+Inf\"} 2",
                "batch_duration_seconds_sum{} 0.505",
                "batch_duration_seconds_count{} 2",
            ],
            scrape.Family("batch_duration_seconds"));
    }

    [Fact]
    public async Task HistogramWithoutAdviceUsesTheDefaultBoundaries()
    {
        await using var host = await MetricsHost.StartAsync();
        host.Meter.CreateHistogram<int>("work", "ms").Record(12);

        var scrape = await host.ScrapeAsync();

        Assert.Equal("0", scrape.Value("work_milliseconds_bucket{le=\"10\"}"));
        Assert.Equal("1", scrape.Value("work_milliseconds_bucket{le=\"25\"}"));
        Assert.Equal("1", scrape.Value("work_milliseconds_bucket{le=\"10000\"}"));
    }
}
