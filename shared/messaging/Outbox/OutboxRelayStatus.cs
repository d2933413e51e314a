namespace Platform.Messaging.Outbox;

/// <summary>
/// What the relay of one schema last observed, read by metrics and readiness without touching the database.
/// Refreshed by the relay loop on every node (standbys too), every <see cref="OutboxOptions.StatsRefreshInterval"/>
/// while active and every <see cref="OutboxOptions.StandbyRetryInterval"/> while standing by.
/// Resolve it with <c>GetRequiredKeyedService&lt;OutboxRelayStatus&gt;(schema)</c>.
/// </summary>
public sealed class OutboxRelayStatus(string schema)
{
    // Replaced whole (a reference write is atomic), so readers never see half an observation.
    private volatile Snapshot _snapshot = new(false, 0, null, null);

    /// <summary>The schema whose outbox this describes.</summary>
    public string Schema { get; } = schema;

    /// <summary>True while this node holds the schema's relay lock.</summary>
    public bool IsActive => _snapshot.Active;

    /// <summary>Undispatched rows that are not moved aside, at the last observation.</summary>
    public long Depth => _snapshot.Depth;

    /// <summary>Age of the oldest undispatched row at the last observation (zero when there is none).</summary>
    public TimeSpan OldestAge => _snapshot.OldestAge;

    /// <summary>When the outbox was last observed; null before the first observation.</summary>
    public DateTimeOffset? ObservedAt => _snapshot.ObservedAt;

    internal Snapshot Read() => _snapshot;

    // Only the relay loop writes, so read-modify-write needs no lock.
    internal void SetActive(bool active) => _snapshot = _snapshot with { Active = active };

    internal void Observe(long depth, TimeSpan? oldestAge, DateTimeOffset at) =>
        _snapshot = _snapshot with { Depth = depth, Age = oldestAge, ObservedAt = at };

    internal sealed record Snapshot(bool Active, long Depth, TimeSpan? Age, DateTimeOffset? ObservedAt)
    {
        public TimeSpan OldestAge => Age ?? TimeSpan.Zero;
    }
}
