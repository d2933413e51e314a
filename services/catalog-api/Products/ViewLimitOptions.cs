using System.ComponentModel.DataAnnotations;

namespace Catalog.Api.Products;

/// <summary>The per-node limit of anonymous views (keys <c>Catalog:ViewsPerSecond</c> and <c>Catalog:ViewsBurst</c>).</summary>
public sealed class ViewLimitOptions
{
    public const string Section = CatalogOptions.Section;

    /// <summary>
    /// Views one node records per second, from all clients together. 1000/s is several times the demo's whole read rate and
    /// well under what one node's outbox writes without slowing its reads; past it views are refused (429), not queued.
    /// </summary>
    [Range(1, 1_000_000)]
    public int ViewsPerSecond { get; set; } = 1000;

    /// <summary>Views above the sustained rate a node takes at once (a page of product tiles opening together).</summary>
    [Range(1, 10_000_000)]
    public int ViewsBurst { get; set; } = 2000;
}
