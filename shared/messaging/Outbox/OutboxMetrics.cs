using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Platform.Messaging.Outbox;

/// <summary>
/// Instruments of meter <c>Platform.Messaging.Outbox</c>, tagged with <c>schema</c>. Gauges report what the relay
/// loop last observed (<see cref="OutboxRelayStatus"/>), so a scrape never queries the database.
/// </summary>
internal sealed class OutboxMetrics
{
    public const string MeterName = "Platform.Messaging.Outbox";

    private readonly ConcurrentDictionary<string, OutboxRelayStatus> _statuses = new(StringComparer.Ordinal);
    private readonly Counter<long> _published;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _movedAside;
    private readonly Histogram<double> _batchDuration;

    public OutboxMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _published = meter.CreateCounter<long>("platform.outbox.published", "{message}", "Messages published with a broker confirm and marked dispatched.");
        _failed = meter.CreateCounter<long>(
            "platform.outbox.failed",
            "{message}",
            "Messages whose publish failed; reason=message (counts against the message's attempts) or reason=broker (broker unreachable, retried without counting).");
        _movedAside = meter.CreateCounter<long>("platform.outbox.moved_aside", "{message}", "Messages moved aside (failed_at set) after too many attempts.");
        _batchDuration = meter.CreateHistogram<double>(
            "platform.outbox.publish_batch.duration",
            "s",
            "Time from claiming a batch to its broker confirms.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        meter.CreateObservableGauge("platform.outbox.depth", ObserveDepth, "{message}", "Undispatched messages (not moved aside) at the relay's last observation.");
        meter.CreateObservableGauge("platform.outbox.oldest_age", ObserveAge, "s", "Age of the oldest undispatched message at the relay's last observation.");
        meter.CreateObservableGauge("platform.outbox.active", ObserveActive, "{relay}", "1 while this node's relay holds the schema's lock, 0 on a standby.");
    }

    public void Track(OutboxRelayStatus status) => _statuses[status.Schema] = status;

    public void Published(string schema, int count) => _published.Add(count, Tag(schema));

    public void Failed(string schema, int count, string reason) =>
        _failed.Add(count, new KeyValuePair<string, object?>("schema", schema), new KeyValuePair<string, object?>("reason", reason));

    public void MovedAside(string schema, int count) => _movedAside.Add(count, Tag(schema));

    public void BatchDuration(string schema, TimeSpan duration) => _batchDuration.Record(duration.TotalSeconds, Tag(schema));

    private IEnumerable<Measurement<long>> ObserveDepth() =>
        _statuses.Values.Select(s => new Measurement<long>(s.Depth, Tag(s.Schema)));

    private IEnumerable<Measurement<double>> ObserveAge() =>
        _statuses.Values.Select(s => new Measurement<double>(s.OldestAge.TotalSeconds, Tag(s.Schema)));

    private IEnumerable<Measurement<int>> ObserveActive() =>
        _statuses.Values.Select(s => new Measurement<int>(s.IsActive ? 1 : 0, Tag(s.Schema)));

    private static KeyValuePair<string, object?> Tag(string schema) => new("schema", schema);
}
