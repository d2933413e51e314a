namespace CacheInvalidator.Requests;

/// <summary>What <c>GET /ops/cache/invalidations</c> narrows the record to; null means any.</summary>
public sealed record InvalidationRecordFilter(
    DateTimeOffset? Since,
    DateTimeOffset? Until,
    string? Source,
    string? Actor,
    string? Channel,
    string? Key,
    string? Tag,
    long? Before,
    int Limit);
