using System.Diagnostics;

namespace Platform.Hosting.Tests.Metrics;

public sealed class CounterAndGaugeTests
{
    private static KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);

    [Fact]
    public void CounterIsExportedWithTotalSuffixAndSumsPerTagSet()
    {
        using var harness = ExporterHarness.Start();
        var orders = harness.Meter.CreateCounter<long>("orders.placed", "{order}", "Orders placed.");

        orders.Add(2, Tag("region", "eu"));
        orders.Add(3, Tag("region", "eu"));
        orders.Add(1, Tag("region", "us"));
        orders.Add(4);

        Assert.Equal(
            [
                "# HELP orders_placed_total Orders placed.",
                "# TYPE orders_placed_total counter",
                "orders_placed_total 4",
                "orders_placed_total{region=\"eu\"} 5",
                "orders_placed_total{region=\"us\"} 1",
            ],
            harness.Scrape().Family("orders_placed_total"));
    }

    [Fact]
    public void TagOrderDoesNotSplitASeries()
    {
        using var harness = ExporterHarness.Start();
        var hits = harness.Meter.CreateCounter<int>("hits");

        hits.Add(1, Tag("b", "2"), Tag("a", "1"));
        hits.Add(1, Tag("a", "1"), Tag("b", "2"));
        // More than three tags travel through a different TagList storage path.
        hits.Add(1, new TagList { { "d", 4 }, { "c", 3 }, { "b", "2" }, { "a", "1" } });
        hits.Add(1, new TagList { { "a", "1" }, { "b", "2" }, { "c", 3 }, { "d", 4 } });

        Assert.Equal(
            [
                "# TYPE hits_total counter",
                "hits_total{a=\"1\",b=\"2\"} 2",
                "hits_total{a=\"1\",b=\"2\",c=\"3\",d=\"4\"} 2",
            ],
            harness.Scrape().Family("hits_total"));
    }

    [Fact]
    public void RepeatedTagKeyKeepsTheLastValue()
    {
        using var harness = ExporterHarness.Start();
        var hits = harness.Meter.CreateCounter<int>("repeats");

        hits.Add(1, Tag("a", "first"), Tag("a", "second"));
        hits.Add(1, Tag("a", "first"), Tag("a", "second"));

        Assert.Equal("2", harness.Scrape().Value("repeats_total{a=\"second\"}"));
    }

    [Fact]
    public void CounterIgnoresNegativeIncrements()
    {
        using var harness = ExporterHarness.Start();
        var counter = harness.Meter.CreateCounter<double>("retries");

        counter.Add(5);
        counter.Add(-3);
        counter.Add(double.NaN);

        Assert.Equal("5", harness.Scrape().Value("retries_total"));
    }

    [Fact]
    public void UpDownCounterIsAGaugeHoldingTheRunningSum()
    {
        using var harness = ExporterHarness.Start();
        var inFlight = harness.Meter.CreateUpDownCounter<int>("requests.in_flight", "{request}", "Requests being served.");

        inFlight.Add(5);
        inFlight.Add(-2);
        inFlight.Add(1);

        Assert.Equal(
            [
                "# HELP requests_in_flight Requests being served.",
                "# TYPE requests_in_flight gauge",
                "requests_in_flight 4",
            ],
            harness.Scrape().Family("requests_in_flight"));
    }

    [Fact]
    public void GaugeExportsTheLastRecordedValue()
    {
        using var harness = ExporterHarness.Start();
        var temperature = harness.Meter.CreateGauge<double>("room.temperature", "Cel");

        temperature.Record(21.5, Tag("room", "a"));
        temperature.Record(19.25, Tag("room", "a"));
        temperature.Record(30, Tag("room", "b"));

        Assert.Equal(
            [
                "# TYPE room_temperature_celsius gauge",
                "room_temperature_celsius{room=\"a\"} 19.25",
                "room_temperature_celsius{room=\"b\"} 30",
            ],
            harness.Scrape().Family("room_temperature_celsius"));
    }

    [Fact]
    public void SpecialValuesUseTheExpositionSpelling()
    {
        using var harness = ExporterHarness.Start();
        var gauge = harness.Meter.CreateGauge<double>("edge");

        gauge.Record(double.NaN, Tag("v", "nan"));
        gauge.Record(double.PositiveInfinity, Tag("v", "pos"));
        gauge.Record(double.NegativeInfinity, Tag("v", "neg"));
        gauge.Record(0.001, Tag("v", "small"));
        gauge.Record(-1234567.5, Tag("v", "big"));

        var scrape = harness.Scrape();
        Assert.Equal("NaN", scrape.Value("edge{v=\"nan\"}"));
        Assert.Equal("+Inf", scrape.Value("edge{v=\"pos\"}"));
        Assert.Equal("-Inf", scrape.Value("edge{v=\"neg\"}"));
        Assert.Equal("0.001", scrape.Value("edge{v=\"small\"}"));
        Assert.Equal("-1234567.5", scrape.Value("edge{v=\"big\"}"));
    }

    [Fact]
    public void EverySupportedNumericTypeIsRecorded()
    {
        using var harness = ExporterHarness.Start();
        harness.Meter.CreateCounter<byte>("as.byte").Add(2);
        harness.Meter.CreateCounter<short>("as.short").Add(2);
        harness.Meter.CreateCounter<int>("as.int").Add(2);
        harness.Meter.CreateCounter<long>("as.long").Add(2);
        harness.Meter.CreateCounter<float>("as.float").Add(2.5f);
        harness.Meter.CreateCounter<double>("as.double").Add(2.5);
        harness.Meter.CreateCounter<decimal>("as.decimal").Add(2.5m);

        var scrape = harness.Scrape();
        Assert.Equal("2", scrape.Value("as_byte_total"));
        Assert.Equal("2", scrape.Value("as_short_total"));
        Assert.Equal("2", scrape.Value("as_int_total"));
        Assert.Equal("2", scrape.Value("as_long_total"));
        Assert.Equal("2.5", scrape.Value("as_float_total"));
        Assert.Equal("2.5", scrape.Value("as_double_total"));
        Assert.Equal("2.5", scrape.Value("as_decimal_total"));
    }

    [Fact]
    public void LongCounterStaysExactBeyondDoublePrecision()
    {
        using var harness = ExporterHarness.Start();
        var bytes = harness.Meter.CreateCounter<long>("bytes.moved");

        bytes.Add(9_007_199_254_740_993);

        Assert.Equal("9007199254740993", harness.Scrape().Value("bytes_moved_total"));
    }

    [Fact]
    public void InstrumentWithoutMeasurementsIsNotWritten()
    {
        using var harness = ExporterHarness.Start();
        harness.Meter.CreateCounter<long>("never.used");

        Assert.Empty(harness.Scrape().Family("never_used_total"));
    }
}
