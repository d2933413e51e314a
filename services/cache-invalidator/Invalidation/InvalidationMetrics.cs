using System.Diagnostics.Metrics;
using Platform.Contracts.Invalidation;

namespace CacheInvalidator.Invalidation;

/// <summary>The <c>Platform.Invalidator</c> meter.</summary>
public sealed class InvalidationMetrics : IDisposable
{
    public const string MeterName = "Platform.Invalidator";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _applied;
    private readonly Counter<long> _keys;
    private readonly Counter<long> _tags;
    private readonly Histogram<double> _lag;

    public InvalidationMetrics()
    {
        _applied = _meter.CreateCounter<long>("platform.invalidator.invalidations", "{message}", "Messages whose invalidations were applied, per message type");
        _keys = _meter.CreateCounter<long>("platform.invalidator.keys_removed", "{key}", "Cache keys removed");
        _tags = _meter.CreateCounter<long>("platform.invalidator.tags_invalidated", "{tag}", "Cache tags invalidated");
        _lag = _meter.CreateHistogram<double>("platform.invalidator.consume_lag", "ms", "Time from a message's send to its invalidation being applied",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 2, 5, 10, 25, 50, 100, 250, 1000, 5000, 30000] });
    }

    public void Applied(string messageType, InvalidationPlan plan, TimeSpan? lag)
    {
        var tag = new KeyValuePair<string, object?>("message_type", messageType);
        _applied.Add(1, tag);
        _keys.Add(plan.Keys.Count);
        _tags.Add(plan.Tags.Count);
        if (lag is { } value)
        {
            _lag.Record(Math.Max(0, value.TotalMilliseconds), tag);
        }
    }

    public void Dispose() => _meter.Dispose();
}
