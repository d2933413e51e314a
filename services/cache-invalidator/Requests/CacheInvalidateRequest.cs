namespace CacheInvalidator.Requests;

/// <summary>Body of <c>POST /ops/cache/invalidate</c>: keys and/or tags, why, and which service or tool asks.</summary>
public sealed record CacheInvalidateRequest(
    IReadOnlyList<string>? Keys = null,
    IReadOnlyList<string>? Tags = null,
    string? Reason = null,
    string? Source = null);
