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
        Meter.CreateObservableCounter("platform.cache.hits", () => Observe(s => s.L1HitCount, "level", "l1").Concat(Observe(s => s.L2HitCount, "level", "l2")), "{hit}", "Cache hits per level");
        Meter.CreateObservableCounter("platform.cache.misses", () => Observe(s => s.L1MissCount, "level", "l1").Concat(Observe(s => s.L2MissCount, "level", "l2")), "{miss}", "Cache misses per level");
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
                .Concat(Observe(s => s.BackplaneResumeCount, "event", "resume")), "{message}", "Backplane invalidations by event");
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
