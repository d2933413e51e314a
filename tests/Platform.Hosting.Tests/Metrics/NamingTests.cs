using Platform.Hosting.Metrics;

namespace Platform.Hosting.Tests.Metrics;

public sealed class NamingTests
{
    [Theory]
    [InlineData("http.server.request.duration", "s", "Histogram", "http_server_request_duration_seconds")]
    [InlineData("db.query.time", "ms", "Histogram", "db_query_time_milliseconds")]
    [InlineData("dotnet.gc.heap.total_allocated", "By", "Counter", "dotnet_gc_heap_total_allocated_bytes_total")]
    [InlineData("http.server.active_requests", "{request}", "Gauge", "http_server_active_requests")]
    [InlineData("response.time.seconds", "s", "Gauge", "response_time_seconds")]
    [InlineData("requests_total", "{request}", "Counter", "requests_total")]
    [InlineData("throughput", "{request}/s", "Gauge", "throughput_per_second")]
    [InlineData("transfer.rate", "By/s", "Gauge", "transfer_rate_bytes_per_second")]
    [InlineData("cpu.utilization", "1", "Gauge", "cpu_utilization")]
    [InlineData("9lives", null, "Gauge", "_9lives")]
    [InlineData("A..B--c d", null, "Gauge", "a_b_c_d")]
    public void FamilyNameFollowsPrometheusConventions(string instrument, string? unit, string type, string expected)
    {
        Assert.Equal(expected, PrometheusNaming.FamilyName(instrument, unit, Enum.Parse<MetricType>(type)));
    }

    [Fact]
    public void NamesAndLabelKeysAreSanitised()
    {
        using var harness = ExporterHarness.Start();
        var counter = harness.Meter.CreateCounter<int>("Http.Server-Request Count", "{request}");

        counter.Add(1, new KeyValuePair<string, object?>("http.request.method", "GET"), new KeyValuePair<string, object?>("1st-try", true));

        Assert.Equal(
            ["# TYPE http_server_request_count_total counter", "http_server_request_count_total{_1st_try=\"true\",http_request_method=\"GET\"} 1"],
            harness.Scrape().Family("http_server_request_count_total"));
    }

    [Fact]
    public void LabelValuesAndHelpAreEscaped()
    {
        using var harness = ExporterHarness.Start();
        var counter = harness.Meter.CreateCounter<int>("escaped", unit: null, description: "Line one\nback\\slash \"quoted\"");

        counter.Add(1, new KeyValuePair<string, object?>("path", "C:\\temp\n\"x\""));

        Assert.Equal(
            [
                "# HELP escaped_total Line one\\nback\\\\slash \"quoted\"",
                "# TYPE escaped_total counter",
                "escaped_total{path=\"C:\\\\temp\\n\\\"x\\\"\"} 1",
            ],
            harness.Scrape().Family("escaped_total"));
    }

    [Fact]
    public void NonStringTagValuesAreFormattedInvariantly()
    {
        using var harness = ExporterHarness.Start();
        var counter = harness.Meter.CreateCounter<int>("formatted");

        counter.Add(1, new KeyValuePair<string, object?>("ratio", 1.5), new KeyValuePair<string, object?>("missing", null), new KeyValuePair<string, object?>("ok", false));

        Assert.Equal("1", harness.Scrape().Value("formatted_total{missing=\"\",ok=\"false\",ratio=\"1.5\"}"));
    }

    [Fact]
    public void TagKeysThatSanitiseAlikeKeepOneLabel()
    {
        using var harness = ExporterHarness.Start();
        var counter = harness.Meter.CreateCounter<int>("collide");

        counter.Add(1, new KeyValuePair<string, object?>("a.b", "dot"), new KeyValuePair<string, object?>("a_b", "underscore"));

        Assert.Equal("1", harness.Scrape().Value("collide_total{a_b=\"dot\"}"));
    }
}
