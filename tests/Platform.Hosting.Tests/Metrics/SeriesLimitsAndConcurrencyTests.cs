namespace Platform.Hosting.Tests.Metrics;

public sealed class SeriesLimitsAndConcurrencyTests
{
    private static KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);

    [Fact]
    public void SeriesBeyondTheCapAreDroppedAndCounted()
    {
        using var harness = ExporterHarness.Start((options, _) => options.MaxSeriesPerInstrument = 3);
        var lookups = harness.Meter.CreateCounter<int>("lookups");

        for (var user = 0; user < 5; user++)
        {
            lookups.Add(1, Tag("user", user));
        }

        lookups.Add(1, Tag("user", 0));

        var scrape = harness.Scrape();
        Assert.Equal(
            ["# TYPE lookups_total counter", "lookups_total{user=\"0\"} 2", "lookups_total{user=\"1\"} 1", "lookups_total{user=\"2\"} 1"],
            scrape.Family("lookups_total"));
        Assert.Equal("2", scrape.Value("platform_metrics_series_dropped_total"));
    }

    [Fact]
    public void DroppedCounterIsWrittenAsZeroWhenNothingWasDropped()
    {
        using var harness = ExporterHarness.Start();

        Assert.Equal(
            [
                "# HELP platform_metrics_series_dropped_total Measurements dropped because their instrument already had Metrics:MaxSeriesPerInstrument series.",
                "# TYPE platform_metrics_series_dropped_total counter",
                "platform_metrics_series_dropped_total 0",
            ],
            harness.Scrape().Family("platform_metrics_series_dropped_total"));
    }

    [Fact]
    public void ForgottenObservableSeriesFreeTheirPlaceUnderTheCap()
    {
        using var harness = ExporterHarness.Start((options, _) => options.MaxSeriesPerInstrument = 1);
        var queue = "a";
        harness.Meter.CreateObservableGauge("queue.size", () => new System.Diagnostics.Metrics.Measurement<int>(1, Tag("queue", queue)));

        Assert.Equal("1", harness.Scrape().Value("queue_size{queue=\"a\"}"));
        queue = "b";
        var scrape = harness.Scrape();

        Assert.Equal("1", scrape.Value("queue_size{queue=\"b\"}"));
        Assert.Equal("0", scrape.Value("platform_metrics_series_dropped_total"));
    }

    [Fact]
    public void ObservableTagSetsBeyondTheCapInOneCollectionAreDropped()
    {
        using var harness = ExporterHarness.Start((options, _) => options.MaxSeriesPerInstrument = 1);
        harness.Meter.CreateObservableGauge("workers", () => new[] { new System.Diagnostics.Metrics.Measurement<int>(1, Tag("pool", "a")), new(2, Tag("pool", "b")) });

        var scrape = harness.Scrape();

        Assert.Equal(["# TYPE workers gauge", "workers{pool=\"a\"} 1"], scrape.Family("workers"));
        Assert.Equal("1", scrape.Value("platform_metrics_series_dropped_total"));
    }

    [Fact]
    public void TagSetsThatRenderAlikeShareOneSeries()
    {
        using var harness = ExporterHarness.Start();
        var responses = harness.Meter.CreateCounter<int>("responses");

        responses.Add(1, Tag("code", 200));
        responses.Add(2, Tag("code", 200L));
        responses.Add(4, Tag("code", "200"));
        responses.Add(8, Tag("http.route", "/a"));
        responses.Add(16, Tag("http_route", "/a"));

        Assert.Equal(
            ["# TYPE responses_total counter", "responses_total{code=\"200\"} 7", "responses_total{http_route=\"/a\"} 24"],
            harness.Scrape().Family("responses_total"));
    }

    [Fact]
    public void RecordingIntoAnExistingSeriesAllocatesNothing()
    {
        using var harness = ExporterHarness.Start();
        var counter = harness.Meter.CreateCounter<long>("cheap");
        var sum = harness.Meter.CreateCounter<double>("cheap.sum");
        var histogram = harness.Meter.CreateHistogram<double>("cheap.latency");
        var method = Tag("method", "GET");
        var route = Tag("route", "/api/products");
        void RecordAll()
        {
            counter.Add(1, method, route);
            sum.Add(0.5, route, method);
            histogram.Record(12, method, route);
        }

        for (var i = 0; i < 1_000; i++)
        {
            RecordAll();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            RecordAll();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal("11000", harness.Scrape().Value("cheap_total{method=\"GET\",route=\"/api/products\"}"));
    }

    [Fact]
    public void ConcurrentRecordingFromManyThreadsGivesTheExactTotal()
    {
        using var harness = ExporterHarness.Start();
        var requests = harness.Meter.CreateCounter<long>("requests");
        var bytes = harness.Meter.CreateCounter<double>("payload", "By");
        var latency = harness.Meter.CreateHistogram<int>("work", "ms");
        const int threads = 8;
        const int perThread = 50_000;
        using var start = new Barrier(threads);

        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var tag = Tag("shard", t % 2);
            start.SignalAndWait();
            for (var i = 0; i < perThread; i++)
            {
                requests.Add(1, tag);
                bytes.Add(0.5, tag);
                latency.Record(i % 20, tag);
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());

        var scrape = harness.Scrape();
        var perShard = threads / 2 * perThread;
        foreach (var shard in new[] { "0", "1" })
        {
            Assert.Equal($"{perShard}", scrape.Value($"requests_total{{shard=\"{shard}\"}}"));
            Assert.Equal($"{perShard / 2}", scrape.Value($"payload_bytes_total{{shard=\"{shard}\"}}"));
            Assert.Equal($"{perShard}", scrape.Value($"work_milliseconds_count{{shard=\"{shard}\"}}"));
            Assert.Equal($"{perShard}", scrape.Value($"work_milliseconds_bucket{{shard=\"{shard}\",le=\"+Inf\"}}"));
            // i % 20 in 0..19: values 0..5 (6 of every 20) fall in le="5".
            Assert.Equal($"{perShard / 20 * 6}", scrape.Value($"work_milliseconds_bucket{{shard=\"{shard}\",le=\"5\"}}"));
        }
    }

    [Fact]
    public void ScrapesDuringRecordingNeverSeeACounterGoBackwards()
    {
        using var harness = ExporterHarness.Start();
        var counter = harness.Meter.CreateCounter<long>("ticks");
        const int total = 200_000;

        var writer = new Thread(() =>
        {
            for (var i = 0; i < total; i++)
            {
                counter.Add(1);
            }
        });
        writer.Start();
        var seen = new List<long>();
        while (writer.IsAlive)
        {
            if (harness.Scrape().Value("ticks_total") is { } value)
            {
                seen.Add(long.Parse(value, System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        writer.Join();
        seen.Add(long.Parse(harness.Scrape().Value("ticks_total")!, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(seen.Order(), seen);
        Assert.Equal(total, seen[^1]);
    }
}
