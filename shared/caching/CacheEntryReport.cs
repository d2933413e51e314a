namespace Platform.Caching;

/// <summary>What L2 holds for one key, as stored (<see cref="CacheInspector.InspectAsync"/>).</summary>
/// <param name="Key">The key asked about.</param>
/// <param name="InL2">Whether Redis holds an entry under the key (it may still be invalid through a tag: see <see cref="Tags"/>).</param>
/// <param name="Sequence">The invalidation sequence Redis is at now.</param>
/// <param name="Epoch">Redis's data epoch ('' before any cache call made one).</param>
/// <param name="Now">Redis's clock when it answered; ages are measured against it.</param>
/// <param name="KeyInvalidatedAt">Sequence of the key's last invalidation, while its write-back guard lives; null otherwise.</param>
/// <param name="StartSequence">The sequence the entry's factory started from: an invalidation above it makes the entry invalid.</param>
/// <param name="WrittenAt">When Redis stored the entry; null for an entry written before the cache recorded it.</param>
/// <param name="FreshUntil">Served as fresh until then.</param>
/// <param name="FailSafeUntil">Kept as a fail-safe fallback until then.</param>
/// <param name="TimeToLive">Until Redis drops the entry; null when it has no expiry.</param>
/// <param name="Expired">Marked stale by an expire (still a fail-safe fallback).</param>
/// <param name="ETag">The entry's ETag, if it has one.</param>
/// <param name="PayloadBytes">Size of the stored value.</param>
/// <param name="Tags">The entry's tags with their current versions.</param>
public sealed record CacheEntryReport(
    string Key,
    bool InL2,
    long Sequence,
    string Epoch,
    DateTimeOffset Now,
    long? KeyInvalidatedAt,
    long? StartSequence,
    DateTimeOffset? WrittenAt,
    DateTimeOffset? FreshUntil,
    DateTimeOffset? FailSafeUntil,
    TimeSpan? TimeToLive,
    bool Expired,
    string? ETag,
    long? PayloadBytes,
    IReadOnlyList<CacheTagReport> Tags)
{
    /// <summary>Age of the entry by Redis's clock; null when absent or written before ages were recorded.</summary>
    public TimeSpan? Age => WrittenAt is { } written ? Now - written : null;

    /// <summary>Present, and neither expired nor invalidated by a tag: a node would serve it.</summary>
    public bool Valid => InL2 && !Expired && Tags.All(t => !t.InvalidatesEntry) && FreshUntil is { } fresh && fresh > Now;
}

/// <summary>One tag of an entry: its version (sequence of its last invalidation, 0 if none is remembered).</summary>
/// <param name="Tag">The tag.</param>
/// <param name="Version">Sequence of the tag's last invalidation.</param>
/// <param name="InvalidatesEntry">The tag was invalidated after the entry's start sequence: the entry is no longer served.</param>
public sealed record CacheTagReport(string Tag, long Version, bool InvalidatesEntry);
