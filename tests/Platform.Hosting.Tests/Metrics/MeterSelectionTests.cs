using System.Diagnostics.Metrics;

namespace Platform.Hosting.Tests.Metrics;

/// <summary>Metrics:Meters decides which meters besides the instrumentation packages' reach /metrics.</summary>
public sealed class MeterSelectionTests
{
    [Fact]
    public async Task UnlistedMeterIsNotExported()
    {
        await using var host = await MetricsHost.StartAsync();
        using var other = new Meter(MetricsHost.UniqueMeterName());
        other.CreateCounter<int>("unmatched.events").Add(1);
        host.Meter.CreateCounter<int>("matched.events").Add(1);

        var scrape = await host.ScrapeAsync();

        Assert.Equal("1", scrape.Value("matched_events_total{}"));
        Assert.DoesNotContain(scrape.Lines, l => l.Contains("unmatched", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PrefixWildcardMatchesMetersStartingWithThePrefix()
    {
        var prefix = MetricsHost.UniqueMeterName();
        await using var host = await MetricsHost.StartAsync(new() { ["Metrics:Meters:0"] = prefix + ".*" });
        using var caching = new Meter(prefix + ".Caching");
        using var outbox = new Meter(prefix + ".Outbox");
        using var bare = new Meter(prefix);

        caching.CreateCounter<int>("cache.hits").Add(1);
        outbox.CreateCounter<int>("outbox.relayed").Add(2);
        bare.CreateCounter<int>("bare.events").Add(3);

        var scrape = await host.ScrapeAsync();
        Assert.Equal("1", scrape.Value("cache_hits_total{}"));
        Assert.Equal("2", scrape.Value("outbox_relayed_total{}"));
        Assert.Empty(scrape.Family("bare_events_total"));
    }

    [Fact]
    public async Task MeterNamesMatchIgnoringCase()
    {
        var name = MetricsHost.UniqueMeterName();
        await using var host = await MetricsHost.StartAsync(new() { ["Metrics:Meters:0"] = name.ToUpperInvariant() });
        using var meter = new Meter(name);

        meter.CreateCounter<int>("cased").Add(1);

        Assert.Equal("1", (await host.ScrapeAsync()).Value("cased_total{}"));
    }

    [Fact]
    public async Task InstrumentsOfSameNamedMetersShareOneSeries()
    {
        await using var host = await MetricsHost.StartAsync();
        // What IMeterFactory does when two service providers (two nodes hosted in one test process) live in one process.
        using var second = new Meter(host.Meter.Name);

        host.Meter.CreateCounter<int>("shared").Add(1);
        second.CreateCounter<int>("shared").Add(2);

        Assert.Equal(["# TYPE shared_total counter", "shared_total{} 3"], (await host.ScrapeAsync()).Family("shared_total"));
    }
}
