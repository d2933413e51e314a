using System.Diagnostics.Metrics;
using Platform.DeadLetters.Storage;

namespace Platform.DeadLetters.Monitoring;

/// <summary>
/// Instruments of meter <c>Platform.CacheInvalidator.DeadLetters</c>, tagged with the error <c>queue</c>. The stored gauge
/// reports what <see cref="DeadLetterGauge"/> last read, so a scrape never queries the database.
/// </summary>
internal sealed class DeadLetterMetrics
{
    // Named when the store lived in the invalidator; kept so dashboards and alerts on it (docs/operations.md) still match.
    public const string MeterName = "Platform.CacheInvalidator.DeadLetters";

    private readonly Counter<long> _stored;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _storeFailures;
    private readonly Counter<long> _replayed;
    private readonly Counter<long> _replayFailures;
    private readonly Counter<long> _replayRefusals;
    private readonly Counter<long> _purged;
    private readonly Counter<long> _deleted;
    private readonly TimeProvider _time;
    private volatile IReadOnlyDictionary<string, long> _current = new Dictionary<string, long>();
    private volatile IReadOnlyDictionary<string, DateTimeOffset?> _oldest = new Dictionary<string, DateTimeOffset?>();

    public DeadLetterMetrics(IMeterFactory meterFactory, TimeProvider time)
    {
        _time = time;
        var meter = meterFactory.Create(MeterName);
        _stored = meter.CreateCounter<long>(
            "platform.dead_letters.stored", "{message}", "Deliveries from an error queue stored; outcome=new (first failure) or outcome=again (failed again after a replay or purge).");
        _duplicates = meter.CreateCounter<long>(
            "platform.dead_letters.duplicates", "{message}", "Redeliveries of an already stored message (its earlier ack was lost), acked without a change.");
        _storeFailures = meter.CreateCounter<long>(
            "platform.dead_letters.store_failures", "{message}", "Deliveries the mover could not store (database down); requeued and retried with backoff.");
        _replayed = meter.CreateCounter<long>("platform.dead_letters.replayed", "{message}", "Dead letters published back to their queue with a broker confirm and marked replayed.");
        _replayFailures = meter.CreateCounter<long>(
            "platform.dead_letters.replay_failures", "{message}", "Replays whose publish was not confirmed; the rows stay stored.");
        _replayRefusals = meter.CreateCounter<long>(
            "platform.dead_letters.replay_refusals", "{message}", "Dead letters a replay refused to publish: their fault address names a queue, broker or virtual host outside this deployment.");
        _purged = meter.CreateCounter<long>("platform.dead_letters.purged", "{message}", "Dead letters marked purged.");
        _deleted = meter.CreateCounter<long>(
            "platform.dead_letters.deleted", "{message}", "Replayed or purged dead letters deleted by retention (DeadLetters:RetentionDays).");
        meter.CreateObservableGauge("platform.dead_letters.current", ObserveCurrent, "{message}", "Dead letters stored (not replayed or purged) per error queue, as last read.");
        // Computed at each scrape from the oldest failure last read, so it keeps growing between reads; 0 with none waiting.
        meter.CreateObservableGauge("platform.dead_letters.oldest_age", ObserveOldestAge, "s", "How long the oldest stored dead letter of each error queue has waited since it last failed.");
    }

    public void Stored(string queue, SaveOutcome outcome)
    {
        if (outcome == SaveOutcome.Duplicate)
        {
            _duplicates.Add(1, Queue(queue));
        }
        else
        {
            _stored.Add(1, Queue(queue), new KeyValuePair<string, object?>("outcome", outcome == SaveOutcome.Stored ? "new" : "again"));
        }
    }

    public void StoreFailed(string queue) => _storeFailures.Add(1, Queue(queue));

    public void Replayed(string queue, int count) => _replayed.Add(count, Queue(queue));

    public void ReplayFailed(string queue, int count) => _replayFailures.Add(count, Queue(queue));

    public void ReplayRefused(string queue, int count) => _replayRefusals.Add(count, Queue(queue));

    public void Purged(string queue, int count) => _purged.Add(count, Queue(queue));

    public void Deleted(long count) => _deleted.Add(count);

    public void SetCurrent(IReadOnlyDictionary<string, long> current) => _current = current;

    public void SetOldest(IReadOnlyDictionary<string, DateTimeOffset?> oldest) => _oldest = oldest;

    private IEnumerable<Measurement<double>> ObserveOldestAge()
    {
        var now = _time.GetUtcNow();
        return _oldest.Select(o => new Measurement<double>(o.Value is { } at ? Math.Max(0, (now - at).TotalSeconds) : 0, Queue(o.Key)));
    }

    private IEnumerable<Measurement<long>> ObserveCurrent() => _current.Select(c => new Measurement<long>(c.Value, Queue(c.Key)));

    private static KeyValuePair<string, object?> Queue(string queue) => new("queue", queue);
}
