namespace Platform.Caching.L1;

/// <summary>
/// One L1 value with what it takes to judge it: the Redis sequence it was read at (any invalidation of its
/// key or tags with a higher sequence makes it invalid), and its fresh / fail-safe deadlines in clock ms.
/// Fields, not properties: the hit path reads them and nothing else.
/// </summary>
internal sealed class L1Entry
{
    public required object? Value;
    public required long StartSeq;
    public required long FreshUntil;
    public required long FailSafeUntil;
    public required long EagerRefreshAt;
    /// <summary><see cref="CacheClock.LiveMs"/> when the read that produced the value started (factory or L2): how old it may be.</summary>
    public required long ReadAt;
    public required string[] Tags;
    public required long Size;
    public required CacheEntryOptions Options;

    /// <summary>The node's tag epoch when the tags were last checked; equal to the current one means no tag was invalidated since.</summary>
    public long ValidatedTagEpoch;

    public long LastAccess;

    /// <summary>The hit counters of this entry's kind, looked up on its first hit (the hit path's only metric cost).</summary>
    public KindCounts? Counts;

    /// <summary>Set by ExpireAsync: stale from then on, still a fail-safe fallback.</summary>
    public bool Expired;
}
