using System.Diagnostics.Metrics;

namespace Platform.Hosting.Tests.Metrics;

public sealed class HistogramTests
{
    [Fact]
    public void HistogramWritesCumulativeBucketsSumAndCountOverTheDefaultBoundaries()
    {
        using var harness = ExporterHarness.Start();
        var latency = harness.Meter.CreateHistogram<double>("request.latency", "ms", "Request latency.");

        foreach (var value in new[] { 3.0, 5.0, 7.0, 20_000.0 })
        {
            latency.Record(value);
        }

        // Bucket bounds are inclusive: 5 lands in le="5", 20000 only in +Inf.
        var expected = new List<string> { "# HELP request_latency_milliseconds Request latency.", "# TYPE request_latency_milliseconds histogram" };
        expected.Add("request_latency_milliseconds_bucket{le=\"0\"} 0");
        expected.Add("request_latency_milliseconds_bucket{le=\"5\"} 2");
        foreach (var bound in new[] { "10", "25", "50", "75", "100", "250", "500", "750", "1000", "2500", "5000", "7500", "10000" })
        {
            expected.Add($"request_latency_milliseconds_bucket{{le=\"{bound}\"}} 3");
        }

        expected.Add("request_latency_milliseconds_bucket{le=\"+Inf\"} 4");
        expected.Add("request_latency_milliseconds_sum 20015");
        expected.Add("request_latency_milliseconds_count 4");
        Assert.Equal(expected, harness.Scrape().Family("request_latency_milliseconds"));
    }

    [Fact]
    public void HistogramHonoursAdvisedBoundaries()
    {
        using var harness = ExporterHarness.Start();
        var duration = harness.Meter.CreateHistogram<double>(
            "job.duration", "s", description: null, tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.5, 1] });

        foreach (var value in new[] { 0.25, 0.5, 0.75, 2 })
        {
            duration.Record(value, new KeyValuePair<string, object?>("job", "rollup"));
        }

        Assert.Equal(
            [
                "# TYPE job_duration_seconds histogram",
                "job_duration_seconds_bucket{job=\"rollup\",le=\"0.5\"} 2",
                "job_duration_seconds_bucket{job=\"rollup\",le=\"1\"} 3",
                "job_duration_seconds_bucket{job=\"rollup\",le=\"+Inf\"} 4",
                "job_duration_seconds_sum{job=\"rollup\"} 3.5",
                "job_duration_seconds_count{job=\"rollup\"} 4",
            ],
            harness.Scrape().Family("job_duration_seconds"));
    }

    [Fact]
    public void IntegerHistogramHonoursAdvisedBoundaries()
    {
        using var harness = ExporterHarness.Start();
        var sizes = harness.Meter.CreateHistogram<int>(
            "batch.size", "{message}", description: null, tags: null, advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [10, 100] });

        sizes.Record(10);
        sizes.Record(50);
        sizes.Record(500);

        var scrape = harness.Scrape();
        Assert.Equal("1", scrape.Value("batch_size_bucket{le=\"10\"}"));
        Assert.Equal("2", scrape.Value("batch_size_bucket{le=\"100\"}"));
        Assert.Equal("3", scrape.Value("batch_size_bucket{le=\"+Inf\"}"));
        Assert.Equal("560", scrape.Value("batch_size_sum"));
    }

    [Fact]
    public void HistogramIgnoresNonFiniteValues()
    {
        using var harness = ExporterHarness.Start();
        var histogram = harness.Meter.CreateHistogram<double>("noisy");

        histogram.Record(1);
        histogram.Record(double.NaN);
        histogram.Record(double.PositiveInfinity);

        var scrape = harness.Scrape();
        Assert.Equal("1", scrape.Value("noisy_sum"));
        Assert.Equal("1", scrape.Value("noisy_count"));
    }
}
