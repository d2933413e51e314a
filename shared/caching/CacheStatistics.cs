using System.Collections.Concurrent;

namespace Platform.Caching;

/// <summary>
/// Counters of one cache instance. Plain fields incremented atomically: the L1 hit path pays one interlocked
/// add, not a metrics call. <see cref="CacheMetrics"/> exports them as observable counters.
/// </summary>
public sealed class CacheStatistics
{
    internal long L1Misses;
    internal long L2Hits;
    internal long L2Misses;
    internal long L2Errors;
    internal long FactoryRuns;
    internal long FactoryErrors;
    internal long StaleServed;
    internal long WriteBacksRefused;
    internal long BackplanePublished;
    internal long BackplaneReceived;
    internal long BackplaneReplayed;
    internal long BackplaneGaps;
    internal long BackplaneResyncs;
    internal long BackplaneResumes;
    internal long BackplaneResubscribes;
    internal long L1Evictions;

    /// <summary>The sum of every kind's L1 hits: the hit path counts only its entry's kind (one interlocked add).</summary>
    public long L1HitCount => _kinds.Values.Sum(k => k.L1HitCount);

    public long L1MissCount => Interlocked.Read(ref L1Misses);

    public long L2HitCount => Interlocked.Read(ref L2Hits);

    public long L2MissCount => Interlocked.Read(ref L2Misses);

    public long L2ErrorCount => Interlocked.Read(ref L2Errors);

    public long FactoryRunCount => Interlocked.Read(ref FactoryRuns);

    public long FactoryErrorCount => Interlocked.Read(ref FactoryErrors);

    public long StaleServedCount => Interlocked.Read(ref StaleServed);

    /// <summary>Factory results not stored because their key or a tag was invalidated while they ran.</summary>
    public long WriteBacksRefusedCount => Interlocked.Read(ref WriteBacksRefused);

    public long BackplanePublishedCount => Interlocked.Read(ref BackplanePublished);

    public long BackplaneReceivedCount => Interlocked.Read(ref BackplaneReceived);

    public long BackplaneReplayedCount => Interlocked.Read(ref BackplaneReplayed);

    public long BackplaneGapCount => Interlocked.Read(ref BackplaneGaps);

    /// <summary>Times this node cleared its L1 because it could not prove it had every invalidation.</summary>
    public long BackplaneResyncCount => Interlocked.Read(ref BackplaneResyncs);

    /// <summary>Times this node heard again after a deaf spell (no heartbeat confirmed within the heartbeat timeout) and stopped trusting its older L1 entries.</summary>
    public long BackplaneResumeCount => Interlocked.Read(ref BackplaneResumes);

    /// <summary>Times this node subscribed again because its own heartbeats stopped arriving while Redis took them.</summary>
    public long BackplaneResubscribeCount => Interlocked.Read(ref BackplaneResubscribes);

    /// <summary>The kind of keys <see cref="CacheOptions.KindOf"/> does not name, or names past <see cref="MaxKinds"/>.</summary>
    public const string OtherKind = "other";

    /// <summary>Distinct kinds counted per instance: each is a metric series, so a classifier that returns too many cannot flood the scrape.</summary>
    public const int MaxKinds = 16;

    private readonly ConcurrentDictionary<string, KindCounts> _kinds = new(StringComparer.Ordinal);

    /// <summary>Hits and misses per level for each kind of entry counted so far (<see cref="CacheOptions.KindOf"/>).</summary>
    public IReadOnlyDictionary<string, KindCounts> ByKind => _kinds;

    internal void Increment(ref long counter) => Interlocked.Increment(ref counter);

    /// <summary>The counters of <paramref name="kind"/> (or of <see cref="OtherKind"/> past <see cref="MaxKinds"/>).</summary>
    internal KindCounts For(string kind) => _kinds.TryGetValue(kind, out var found) ? found : Add(kind);

    /// <summary>
    /// An L1 hit: one interlocked add on counters the entry keeps (<see cref="For"/> once per entry), no dictionary
    /// lookup and no second add for a total on the path every cached request takes.
    /// </summary>
    internal static void RecordL1Hit(KindCounts counts) => Interlocked.Increment(ref counts.L1Hits);

    /// <summary>Counts one lookup other than an L1 hit in the totals and in its kind's counters.</summary>
    internal void Record(CacheLookup lookup, string kind)
    {
        var counts = For(kind);
        switch (lookup)
        {
            case CacheLookup.L1Hit:
                RecordL1Hit(counts);
                break;
            case CacheLookup.L1Miss:
                Interlocked.Increment(ref L1Misses);
                Interlocked.Increment(ref counts.L1Misses);
                break;
            case CacheLookup.L2Hit:
                Interlocked.Increment(ref L2Hits);
                Interlocked.Increment(ref counts.L2Hits);
                break;
            default:
                Interlocked.Increment(ref L2Misses);
                Interlocked.Increment(ref counts.L2Misses);
                break;
        }
    }

    private KindCounts Add(string kind) =>
        _kinds.Count >= MaxKinds && kind != OtherKind ? _kinds.GetOrAdd(OtherKind, _ => new KindCounts()) : _kinds.GetOrAdd(kind, _ => new KindCounts());
}

/// <summary>Hits and misses per level of one kind of entry.</summary>
public sealed class KindCounts
{
    internal long L1Hits;
    internal long L1Misses;
    internal long L2Hits;
    internal long L2Misses;

    public long L1HitCount => Interlocked.Read(ref L1Hits);

    public long L1MissCount => Interlocked.Read(ref L1Misses);

    public long L2HitCount => Interlocked.Read(ref L2Hits);

    public long L2MissCount => Interlocked.Read(ref L2Misses);
}

/// <summary>What one cache lookup found.</summary>
internal enum CacheLookup
{
    L1Hit,
    L1Miss,
    L2Hit,
    L2Miss,
}
