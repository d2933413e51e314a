using System.Diagnostics.Metrics;

namespace AnalyticsAggregator;

/// <summary>The <c>Platform.Analytics</c> meter: ingest and rollup counters, recorded per batch and per pass (never per event).</summary>
public sealed class AnalyticsMetrics : IDisposable
{
    public const string MeterName = "Platform.Analytics";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _ingested;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _deadLettered;
    private readonly Counter<long> _rolledUp;
    private readonly Counter<long> _rollups;
    private readonly Histogram<double> _rollupDuration;

    public AnalyticsMetrics()
    {
        _ingested = _meter.CreateCounter<long>("platform.analytics.events_ingested", "{event}", "Raw events stored");
        _duplicates = _meter.CreateCounter<long>("platform.analytics.duplicates_ignored", "{event}", "Redelivered events already stored (same message id)");
        _dropped = _meter.CreateCounter<long>("platform.analytics.events_dropped", "{event}", "Events not stored: older than the retention horizon, or dated too far ahead");
        _deadLettered = _meter.CreateCounter<long>("platform.analytics.events_dead_lettered", "{event}", "Ingest messages sent to the error queue, by reason (refused as malformed, or their write failed every retry)");
        _rolledUp = _meter.CreateCounter<long>("platform.analytics.events_rolled_up", "{event}", "Raw events folded into the daily statistics");
        _rollups = _meter.CreateCounter<long>("platform.analytics.rollups", "{pass}", "Rollup passes by outcome (applied, empty, busy, failed)");
        _rollupDuration = _meter.CreateHistogram<double>("platform.analytics.rollup.duration", "ms", "Duration of a rollup pass that committed",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10000, 60000] });
    }

    public void Ingested(int stored, int duplicates)
    {
        _ingested.Add(stored);
        if (duplicates > 0)
        {
            _duplicates.Add(duplicates);
        }
    }

    public void Dropped(int count, string reason)
    {
        if (count > 0)
        {
            _dropped.Add(count, new KeyValuePair<string, object?>("reason", reason));
        }
    }

    public void DeadLettered(int count, string reason) => _deadLettered.Add(count, new KeyValuePair<string, object?>("reason", reason));

    public void Rollup(string outcome, long events = 0, TimeSpan? duration = null)
    {
        _rollups.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        _rolledUp.Add(events);
        if (duration is { } value)
        {
            _rollupDuration.Record(value.TotalMilliseconds);
        }
    }

    public void Dispose() => _meter.Dispose();
}
