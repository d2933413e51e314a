namespace CacheInvalidator.Requests;

/// <summary>Answer of <c>POST /ops/cache/invalidate</c>: what was evicted (duplicates removed) and its record.</summary>
public sealed record CacheInvalidateResult(long Id, DateTimeOffset At, string Actor, IReadOnlyList<string> Keys, IReadOnlyList<string> Tags);
