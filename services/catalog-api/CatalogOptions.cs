using System.ComponentModel.DataAnnotations;

namespace Catalog.Api;

/// <summary>Catalog read behaviour (section <c>Catalog</c>).</summary>
public sealed class CatalogOptions
{
    public const string Section = "Catalog";

    /// <summary>Serve reads through the platform cache. Off only to measure the uncached path.</summary>
    public bool CacheEnabled { get; set; } = true;

    /// <summary>How long a cached list page or item is fresh. Invalidation, not expiry, keeps it current; this bounds memory.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long a negative result is cached: an unknown id (404), an empty list page, an analytics window without data.
    /// Anyone can ask for any number of those, so they live seconds, not <see cref="CacheDuration"/> plus fail-safe:
    /// long enough that a flood of the same miss does not reach PostgreSQL, short enough that a flood of distinct ones
    /// cannot fill Redis (docs/security.md, issue #13 item 6).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:30")]
    public TimeSpan NegativeCacheDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// <c>Cache-Control: max-age</c> for clients, in seconds. 0 (default) sends <c>no-cache</c>: clients revalidate
    /// with the ETag every time, so they never see data older than the invalidation window.
    /// </summary>
    [Range(0, 86_400)]
    public int ClientMaxAgeSeconds { get; set; }

    /// <summary>
    /// The writing node evicts what a committed write made stale right away (the invalidator's eviction from the
    /// outbox event follows regardless). Off only to measure the outbox → RabbitMQ → invalidator chain alone.
    /// </summary>
    public bool EvictOnWrite { get; set; } = true;

    /// <summary>How long a write waits for its own eviction before answering (Redis slow or down: the outbox path covers it).</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10")]
    public TimeSpan EvictOnWriteTimeout { get; set; } = TimeSpan.FromMilliseconds(250);
}
