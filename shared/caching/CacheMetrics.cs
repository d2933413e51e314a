using System.Diagnostics.Metrics;

namespace Platform.Caching;

/// <summary>
/// The <c>Platform.Caching</c> meter: counters summed over every live cache instance of the process, tagged by
/// level or event, plus the backplane apply lag. Exported on <c>/metrics</c> by the hosting defaults.
/// </summary>
public static class CacheMetrics
{
    public const string MeterName = "Platform.Caching";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Lock Gate = new();
    private static readonly List<WeakReference<CacheStatistics>> Instances = [];

    private static readonly Histogram<double> ApplyLag = Meter.CreateHistogram<double>(
        "platform.cache.backplane.apply_lag", "ms", "Time from an invalidation's publish to its apply on this node",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000, 5000] });

    static CacheMetrics()
    {
        Meter.CreateObservableCounter("platform.cache.hits", () => ObserveByKind(k => k.L1HitCount, "l1").Concat(ObserveByKind(k => k.L2HitCount, "l2")), "{hit}", "Cache hits per level and kind of entry");
        Meter.CreateObservableCounter("platform.cache.misses", () => ObserveByKind(k => k.L1MissCount, "l1").Concat(ObserveByKind(k => k.L2MissCount, "l2")), "{miss}", "Cache misses per level and kind of entry");
        Meter.CreateObservableCounter("platform.cache.l2.errors", () => Observe(s => s.L2ErrorCount), "{error}", "Redis calls that failed (served from L1/factory instead)");
        Meter.CreateObservableCounter("platform.cache.factory.runs", () => Observe(s => s.FactoryRunCount), "{run}", "Factory executions");
        Meter.CreateObservableCounter("platform.cache.factory.errors", () => Observe(s => s.FactoryErrorCount), "{error}", "Factory executions that failed or timed out");
        Meter.CreateObservableCounter("platform.cache.stale_served", () => Observe(s => s.StaleServedCount), "{value}", "Stale values served by fail-safe or soft timeout");
        Meter.CreateObservableCounter("platform.cache.writeback_refused", () => Observe(s => s.WriteBacksRefusedCount), "{value}", "Factory results not stored because an invalidation overtook them");
        Meter.CreateObservableCounter("platform.cache.l1.evictions", () => Observe(s => s.L1Evictions), "{entry}", "L1 entries evicted by the size bound");
        Meter.CreateObservableCounter("platform.cache.backplane.messages", () =>
            Observe(s => s.BackplanePublishedCount, "event", "published")
                .Concat(Observe(s => s.BackplaneReceivedCount, "event", "received"))
                .Concat(Observe(s => s.BackplaneReplayedCount, "event", "replayed"))
                .Concat(Observe(s => s.BackplaneGapCount, "event", "gap"))
                .Concat(Observe(s => s.BackplaneResyncCount, "event", "resync"))
                .Concat(Observe(s => s.BackplaneResumeCount, "event", "resume"))
                .Concat(Observe(s => s.BackplaneResubscribeCount, "event", "resubscribe")), "{message}", "Backplane invalidations by event");
    }

    internal static void Register(CacheStatistics statistics)
    {
        lock (Gate)
        {
            Instances.RemoveAll(w => !w.TryGetTarget(out _));
            Instances.Add(new WeakReference<CacheStatistics>(statistics));
        }
    }

    internal static void Unregister(CacheStatistics statistics)
    {
        lock (Gate)
        {
            Instances.RemoveAll(w => !w.TryGetTarget(out var s) || ReferenceEquals(s, statistics));
        }
    }

    internal static void RecordApplyLag(double milliseconds) => ApplyLag.Record(milliseconds);

    // Per level and kind (CacheOptions.KindOf), summed over the process's instances: hit ratio per kind of entry.
    private static List<Measurement<long>> ObserveByKind(Func<KindCounts, long> read, string level)
    {
        var totals = new Dictionary<string, long>(StringComparer.Ordinal);
        lock (Gate)
        {
            foreach (var weak in Instances)
            {
                if (weak.TryGetTarget(out var statistics))
                {
                    foreach (var (kind, counts) in statistics.ByKind)
                    {
                        totals[kind] = totals.GetValueOrDefault(kind) + read(counts);
                    }
                }
            }
        }

        return [.. totals.Select(t => new Measurement<long>(t.Value, new KeyValuePair<string, object?>("level", level), new KeyValuePair<string, object?>("kind", t.Key)))];
    }

    private static IEnumerable<Measurement<long>> Observe(Func<CacheStatistics, long> read, string? tagKey = null, string? tagValue = null)
    {
        long total = 0;
        lock (Gate)
        {
            foreach (var weak in Instances)
            {
                if (weak.TryGetTarget(out var statistics))
                {
                    total += read(statistics);
                }
            }
        }

        return tagKey is null ? [new Measurement<long>(total)] : [new Measurement<long>(total, new KeyValuePair<string, object?>(tagKey, tagValue))];
    }
}
