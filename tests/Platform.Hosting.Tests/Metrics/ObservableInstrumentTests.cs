using System.Diagnostics.Metrics;
using System.Globalization;

namespace Platform.Hosting.Tests.Metrics;

public sealed class ObservableInstrumentTests
{
    private static KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);

    [Fact]
    public void ObservableGaugeIsReadAtScrapeTime()
    {
        using var harness = ExporterHarness.Start();
        var reads = 0;
        var depth = 7;
        harness.Meter.CreateObservableGauge("queue.depth", () =>
        {
            reads++;
            return new Measurement<int>(depth, Tag("queue", "orders"));
        });

        Assert.Equal(0, reads);
        Assert.Equal("7", harness.Scrape().Value("queue_depth{queue=\"orders\"}"));
        depth = 9;
        Assert.Equal("9", harness.Scrape().Value("queue_depth{queue=\"orders\"}"));
        Assert.Equal(2, reads);
    }

    [Fact]
    public void ObservableCounterExportsTheReportedTotal()
    {
        using var harness = ExporterHarness.Start();
        long total = 10;
        harness.Meter.CreateObservableCounter("messages.relayed", () => total, "{message}", "Messages relayed.");

        Assert.Equal("10", harness.Scrape().Value("messages_relayed_total"));
        total = 25;
        Assert.Equal(
            ["# HELP messages_relayed_total Messages relayed.", "# TYPE messages_relayed_total counter", "messages_relayed_total 25"],
            harness.Scrape().Family("messages_relayed_total"));
    }

    [Fact]
    public void ObservableUpDownCounterIsAGauge()
    {
        using var harness = ExporterHarness.Start();
        harness.Meter.CreateObservableUpDownCounter("pool.connections", () => -3);

        Assert.Equal(["# TYPE pool_connections gauge", "pool_connections -3"], harness.Scrape().Family("pool_connections"));
    }

    [Fact]
    public void ObservableSeriesNoLongerReportedDisappear()
    {
        using var harness = ExporterHarness.Start();
        var queues = new List<string> { "a", "b" };
        harness.Meter.CreateObservableGauge("queue.length", () => queues.Select(q => new Measurement<long>(1, Tag("queue", q))));

        Assert.Equal(["# TYPE queue_length gauge", "queue_length{queue=\"a\"} 1", "queue_length{queue=\"b\"} 1"], harness.Scrape().Family("queue_length"));
        queues.Remove("b");
        Assert.Equal(["# TYPE queue_length gauge", "queue_length{queue=\"a\"} 1"], harness.Scrape().Family("queue_length"));
    }

    [Fact]
    public void FailingCallbackDoesNotBreakTheScrape()
    {
        using var harness = ExporterHarness.Start();
        harness.Meter.CreateObservableGauge("broken", new Func<int>(() => throw new InvalidOperationException("boom")));
        harness.Meter.CreateObservableGauge("healthy", () => 1);

        var scrape = harness.Scrape();

        Assert.Equal("1", scrape.Value("healthy"));
        Assert.Empty(scrape.Family("broken"));
    }

    [Fact]
    public void ConcurrentScrapesReadEachObservableOncePerScrape()
    {
        using var harness = ExporterHarness.Start();
        var reads = 0;
        harness.Meter.CreateObservableCounter("reads", () => (long)Interlocked.Increment(ref reads));

        var values = new string?[16];
        Parallel.For(0, values.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => values[i] = harness.Scrape().Value("reads_total"));

        Assert.Equal(values.Length, reads);
        // Scrapes are serialised, so every one saw its own read: the values are exactly 1..16.
        Assert.Equal(Enumerable.Range(1, values.Length), values.Select(v => int.Parse(v!, CultureInfo.InvariantCulture)).Order());
    }
}
