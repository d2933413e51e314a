using System.ComponentModel.DataAnnotations;

namespace Platform.Messaging.Outbox;

/// <summary>
/// Settings of the outbox relay, bound to the <c>Outbox</c> section and validated at start (a bad value stops the
/// service with a message naming <c>Outbox:Key</c>). Every node runs the relay; these apply to each.
/// </summary>
public sealed class OutboxOptions : IValidatableObject
{
    public const string Section = "Outbox";

    /// <summary>
    /// Rows claimed, published and marked per round trip. 1,000: a batch's transaction stays short (~35 ms at the
    /// relay's rate) while the claim, the commit and the wait for the last confirm are paid half as often as at 500 —
    /// four interleaved pairs of the relay runner: 28.0–29.4k against 22.9–26.3k events/s. A single event is still
    /// published alone as soon as its NOTIFY arrives.
    /// </summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 1000;

    /// <summary>
    /// Batches publishing at once while a backlog drains. The next batch is always claimed while the current one
    /// publishes, and batches commit in claim order whatever this is. 1 because on one machine the relay is CPU-bound
    /// and more publishing batches only add contention (measured); raise it when the broker is a network hop away.
    /// </summary>
    [Range(1, 16)]
    public int MaxConcurrentBatches { get; set; } = 1;

    /// <summary>Fallback poll when no NOTIFY arrives (a lost notification, rows written with triggers off). NOTIFY does the real work, so slow is fine.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one batch waits for the broker to accept and confirm its messages before the relay treats the broker as down.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Failed attempts of one message (bad type or payload, never a broker outage) before it is moved aside. 10 with the default backoff spans about 8 minutes.</summary>
    [Range(1, 1_000)]
    public int MaxAttempts { get; set; } = 10;

    /// <summary>First delay before a failed message is retried; doubles per attempt.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest delay between retries of one message.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>First pause of the whole relay after the broker failed a batch; doubles per failed batch.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan BrokerRetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest pause while the broker stays down: bounds how late delivery resumes after it is back.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan BrokerRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long dispatched rows are kept (for investigating what was published). A day covers an incident without bloating the table.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "365.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How often the active relay deletes dispatched rows older than <see cref="Retention"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "1.00:00:00")]
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Rows deleted per statement, so cleanup never holds long locks or bloats WAL in one go.</summary>
    [Range(1, 100_000)]
    public int CleanupBatchSize { get; set; } = 5_000;

    /// <summary>Readiness reports Degraded when the oldest undispatched row is older than this: events are not flowing.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ReadinessMaxAge { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often a standby node tries to take the relay lock: the longest fail-over gap after the active node dies.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan StandbyRetryInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often depth and age are re-read for metrics and readiness (also proves the active relay still holds its lock connection).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan StatsRefreshInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (RetryMaxDelay < RetryBaseDelay)
        {
            yield return new ValidationResult($"must be at least {nameof(RetryBaseDelay)} ({RetryBaseDelay})", [nameof(RetryMaxDelay)]);
        }

        if (BrokerRetryMaxDelay < BrokerRetryBaseDelay)
        {
            yield return new ValidationResult($"must be at least {nameof(BrokerRetryBaseDelay)} ({BrokerRetryBaseDelay})", [nameof(BrokerRetryMaxDelay)]);
        }
    }
}
