namespace CacheInvalidator.Requests;

/// <summary>One applied direct invalidation request, as <c>GET /ops/cache/invalidations</c> shows it.</summary>
public sealed record InvalidationRecord(
    long Id,
    DateTimeOffset At,
    string Channel,
    string? MessageId,
    string? Actor,
    string Source,
    string Reason,
    IReadOnlyList<string> Keys,
    IReadOnlyList<string> Tags);
