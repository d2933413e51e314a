namespace Platform.Hosting.Metrics;

/// <summary>What <c>/metrics</c> exports. Bound to the <c>Metrics</c> configuration section.</summary>
public sealed class MetricsOptions
{
    /// <summary>The configuration section these options are bound to.</summary>
    public const string Section = "Metrics";

    /// <summary>
    /// Meter names to export; an entry ending in <c>*</c> matches every meter whose name starts with the rest
    /// (case-insensitive). Entries from configuration are added to these defaults, because the configuration
    /// binder appends to a list that already has items.
    /// </summary>
    // The meters ASP.NET Core, the bus, the database driver, the runtime and our own code emit; nothing else is worth a scrape.
    public IList<string> Meters { get; set; } =
    [
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Diagnostics",
        "Microsoft.AspNetCore.RateLimiting",
        "MassTransit",
        "Npgsql",
        "System.Runtime",
        "Platform.*",
    ];

    /// <summary>
    /// Most distinct tag sets kept per instrument; measurements with a new tag set beyond it are dropped and
    /// counted in <c>platform_metrics_series_dropped_total</c>.
    /// </summary>
    // Routes x methods x status codes stay far below 2,000; a tag that carries ids would otherwise grow memory and scrape size without bound.
    public int MaxSeriesPerInstrument { get; set; } = 2_000;
}
