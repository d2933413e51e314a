using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Platform.Hosting.Metrics;

namespace Platform.Hosting.Tests.Metrics;

public sealed class MeterSelectionTests
{
    [Fact]
    public void UnmatchedMeterIsNotExported()
    {
        using var harness = ExporterHarness.Start();
        using var other = new Meter(ExporterHarness.UniqueMeterName());
        other.CreateCounter<int>("unmatched.events").Add(1);
        harness.Meter.CreateCounter<int>("matched.events").Add(1);

        var scrape = harness.Scrape();

        Assert.Equal("1", scrape.Value("matched_events_total"));
        Assert.DoesNotContain(scrape.Lines, l => l.Contains("unmatched", StringComparison.Ordinal));
    }

    [Fact]
    public void PrefixWildcardMatchesMetersStartingWithThePrefix()
    {
        var prefix = ExporterHarness.UniqueMeterName();
        using var harness = ExporterHarness.Start((options, _) => options.Meters = [prefix + ".*"]);
        using var caching = new Meter(prefix + ".Caching");
        using var outbox = new Meter(prefix + ".Outbox");
        using var bare = new Meter(prefix);

        caching.CreateCounter<int>("cache.hits").Add(1);
        outbox.CreateCounter<int>("outbox.relayed").Add(2);
        bare.CreateCounter<int>("bare.events").Add(3);

        var scrape = harness.Scrape();
        Assert.Equal("1", scrape.Value("cache_hits_total"));
        Assert.Equal("2", scrape.Value("outbox_relayed_total"));
        Assert.Empty(scrape.Family("bare_events_total"));
    }

    [Fact]
    public void MeterNamesMatchIgnoringCase()
    {
        using var harness = ExporterHarness.Start((options, name) => options.Meters = [name.ToUpperInvariant()]);

        harness.Meter.CreateCounter<int>("cased").Add(1);

        Assert.Equal("1", harness.Scrape().Value("cased_total"));
    }

    [Fact]
    public void InstrumentsCreatedBeforeAndAfterStartAreBothExported()
    {
        var meterName = ExporterHarness.UniqueMeterName();
        using var meter = new Meter(meterName);
        var early = meter.CreateCounter<int>("early");
        using var exporter = new PrometheusExporter(Options.Create(new MetricsOptions { Meters = [meterName] }));

        early.Add(1);
        exporter.Start();
        early.Add(2);
        meter.CreateCounter<int>("late").Add(3);

        // Nothing is recorded before Start: the 1 is not part of the total.
        var scrape = Exposition.Of(exporter);
        Assert.Equal("2", scrape.Value("early_total"));
        Assert.Equal("3", scrape.Value("late_total"));
    }

    [Fact]
    public void DisposedMeterStopsBeingExported()
    {
        using var harness = ExporterHarness.Start();
        var counter = harness.Meter.CreateCounter<int>("short.lived");
        counter.Add(1);
        Assert.Equal("1", harness.Scrape().Value("short_lived_total"));

        harness.Meter.Dispose();
        counter.Add(1);

        Assert.Empty(harness.Scrape().Family("short_lived_total"));
    }

    [Fact]
    public void InstrumentsOfSameNamedMetersShareOneSeries()
    {
        using var harness = ExporterHarness.Start();
        // What IMeterFactory does when two service providers live in one process.
        using var second = new Meter(harness.MeterName);

        harness.Meter.CreateCounter<int>("shared").Add(1);
        second.CreateCounter<int>("shared").Add(2);

        Assert.Equal(["# TYPE shared_total counter", "shared_total 3"], harness.Scrape().Family("shared_total"));
    }

    [Fact]
    public void InstrumentStopsBeingExportedOnlyWhenItsLastMeterIsDisposed()
    {
        using var harness = ExporterHarness.Start();
        using var second = new Meter(harness.MeterName);
        harness.Meter.CreateCounter<int>("shared").Add(1);
        var survivor = second.CreateCounter<int>("shared");

        harness.Meter.Dispose();
        survivor.Add(2);

        Assert.Equal("3", harness.Scrape().Value("shared_total"));
    }

    [Fact]
    public void SameMetricNameFromDifferentMetersIsOneFamilyLabelledByMeter()
    {
        var prefix = ExporterHarness.UniqueMeterName();
        using var harness = ExporterHarness.Start((options, _) => options.Meters = [prefix + "*"]);
        using var a = new Meter(prefix + ".A");
        using var b = new Meter(prefix + ".B");

        a.CreateCounter<int>("jobs.done", unit: null, description: "Jobs done.").Add(1);
        b.CreateCounter<int>("jobs-done").Add(2);

        Assert.Equal(
            [
                "# HELP jobs_done_total Jobs done.",
                "# TYPE jobs_done_total counter",
                $"jobs_done_total{{otel_scope_name=\"{prefix}.A\"}} 1",
                $"jobs_done_total{{otel_scope_name=\"{prefix}.B\"}} 2",
            ],
            harness.Scrape().Family("jobs_done_total"));
    }

    [Fact]
    public void SameNameWithDifferentKindsKeepsTheFirstMetersType()
    {
        var prefix = ExporterHarness.UniqueMeterName();
        using var harness = ExporterHarness.Start((options, _) => options.Meters = [prefix + "*"]);
        using var a = new Meter(prefix + ".A");
        using var b = new Meter(prefix + ".B");

        a.CreateGauge<int>("level").Record(1);
        b.CreateHistogram<int>("level").Record(2);

        var scrape = harness.Scrape();
        Assert.Equal(["# TYPE level gauge", "level 1"], scrape.Family("level"));
        Assert.DoesNotContain(scrape.Lines, l => l.StartsWith("level_", StringComparison.Ordinal));
    }
}
