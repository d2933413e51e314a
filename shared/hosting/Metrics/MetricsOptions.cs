namespace Platform.Hosting.Metrics;

/// <summary>What the metrics pipeline (<c>/metrics</c> and OTLP) collects. Bound to the <c>Metrics</c> configuration section.</summary>
public sealed class MetricsOptions
{
    /// <summary>The configuration section these options are bound to.</summary>
    public const string Section = "Metrics";

    /// <summary>
    /// Meter names collected besides those of the instrumentation packages (ASP.NET Core, HttpClient, runtime, Npgsql),
    /// which are always on; an entry ending in <c>*</c> matches every meter whose name starts with the rest
    /// (case-insensitive). Entries from configuration are added to these defaults, because the configuration binder
    /// appends to a list that already has items.
    /// </summary>
    // The bus and our own code; the instrumentation packages bring the framework's meters themselves.
    public IList<string> Meters { get; set; } = ["MassTransit", "Platform.*"];

    /// <summary>
    /// Most distinct tag sets kept per instrument (OpenTelemetry's cardinality limit, applied to every metric stream);
    /// measurements with a new tag set beyond it are added to one overflow series labelled <c>otel_metric_overflow="true"</c>.
    /// </summary>
    // Routes x methods x status codes stay far below 2,000; a tag that carries ids would otherwise grow memory and scrape size without bound.
    public int MaxSeriesPerInstrument { get; set; } = 2_000;
}
