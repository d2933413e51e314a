using System.Diagnostics.Metrics;

namespace Platform.Hosting.Tests.Metrics;

/// <summary>
/// The names /metrics exposes for an instrument's name, unit and kind: the ones docs, dashboards and benchmarks use
/// (platform_cache_hits_total, platform_outbox_oldest_age_seconds, http_server_request_duration_seconds …).
/// </summary>
public sealed class PrometheusNamesTests
{
    [Theory]
    [InlineData("platform.outbox.published", "{message}", "Counter", "platform_outbox_published_total")]
    [InlineData("platform.cache.hits", "{hit}", "ObservableCounter", "platform_cache_hits_total")]
    [InlineData("platform.outbox.publish_batch.duration", "s", "Histogram", "platform_outbox_publish_batch_duration_seconds")]
    [InlineData("platform.invalidator.consume_lag", "ms", "Histogram", "platform_invalidator_consume_lag_milliseconds")]
    [InlineData("platform.outbox.oldest_age", "s", "ObservableGauge", "platform_outbox_oldest_age_seconds")]
    [InlineData("platform.dead_letters.current", "{message}", "ObservableGauge", "platform_dead_letters_current")]
    [InlineData("http.server.active_requests", "{request}", "UpDownCounter", "http_server_active_requests")]
    [InlineData("dotnet.gc.heap.allocated", "By", "Counter", "dotnet_gc_heap_allocated_bytes_total")]
    [InlineData("response.time.seconds", "s", "Gauge", "response_time_seconds")]
    [InlineData("requests_total", "{request}", "Counter", "requests_total")]
    [InlineData("throughput", "{request}/s", "Gauge", "throughput_per_second")]
    [InlineData("transfer.rate", "By/s", "Gauge", "transfer_rate_bytes_per_second")]
    [InlineData("cpu.utilization", "1", "Gauge", "cpu_utilization")]
    public async Task InstrumentIsExposedUnderItsPrometheusName(string instrument, string unit, string kind, string expected)
    {
        await using var host = await MetricsHost.StartAsync();
        var meter = host.Meter;
        var type = kind switch
        {
            "Counter" => Record(() => meter.CreateCounter<long>(instrument, unit).Add(1), "counter"),
            "ObservableCounter" => Record(() => meter.CreateObservableCounter(instrument, () => 1L, unit), "counter"),
            "Histogram" => Record(() => meter.CreateHistogram<double>(instrument, unit).Record(1), "histogram"),
            "Gauge" => Record(() => meter.CreateGauge<double>(instrument, unit).Record(1), "gauge"),
            "ObservableGauge" => Record(() => meter.CreateObservableGauge(instrument, () => 1.0, unit), "gauge"),
            _ => Record(() => meter.CreateUpDownCounter<long>(instrument, unit).Add(1), "gauge"),
        };

        var scrape = await host.ScrapeAsync();

        Assert.Contains($"# TYPE {expected} {type}", scrape.Lines);
    }

    private static string Record(Action create, string type)
    {
        create();
        return type;
    }
}
