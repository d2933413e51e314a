namespace Platform.Contracts.Caching;

/// <summary>
/// A service asks for cache entries to be invalidated directly, without a domain event. Build keys and tags with
/// <see cref="CacheNames"/>; the invalidator rejects names that fail <see cref="CacheNames.IsValidKey"/> or
/// <see cref="CacheNames.IsValidTag"/>.
/// </summary>
/// <param name="Keys">Cache keys to remove.</param>
/// <param name="Tags">Tags whose entries to invalidate.</param>
/// <param name="Reason">Why, for the audit trail (e.g. <c>price import 2024-05-01</c>).</param>
/// <param name="Source">The requesting service's name.</param>
/// <param name="Actor">
/// Who asked, when a person did through a tool (e.g. the ops console's signed-in key name); null for a service acting on
/// its own. Recorded with the request (<c>GET /ops/cache/invalidations</c>). Added after v1 shipped: optional.
/// </param>
public sealed record CacheInvalidationRequested(
    IReadOnlyList<string> Keys,
    IReadOnlyList<string> Tags,
    string Reason,
    string Source,
    string? Actor = null);
