using System.ComponentModel.DataAnnotations;

namespace AnalyticsAggregator;

/// <summary>How events are ingested and rolled up (section <c>Analytics</c>).</summary>
public sealed class AnalyticsOptions : IValidatableObject
{
    public const string Section = "Analytics";

    /// <summary>RabbitMQ caps a consumer's prefetch at this; batches in flight must fit in it.</summary>
    private const int MaxPrefetch = ushort.MaxValue;

    /// <summary>Queue name (before the bus entity prefix). Its error queue is <c>{name}_error</c>.</summary>
    [Required, RegularExpression("^[a-z0-9-]{1,80}$", ErrorMessage = "must be lowercase letters, digits and dashes")]
    public string QueueName { get; set; } = "analytics-aggregator";

    /// <summary>Quorum queue (replicated, survives a broker node) instead of a classic one. Changing it needs the queue re-created.</summary>
    public bool QuorumQueue { get; set; } = true;

    /// <summary>Events per batch, written with one INSERT. 1,000 amortises the round trip to a few microseconds per event.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 1000;

    /// <summary>How long a partial batch waits for more events; bounds ingest latency when traffic is low.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:30")]
    public TimeSpan BatchTimeLimit { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Batches written at once per node. Two keep one batch filling while the other is in PostgreSQL.</summary>
    [Range(1, 64)]
    public int BatchConcurrency { get; set; } = 4;

    /// <summary>Retries right away, for blips (a dropped connection that reconnects at once).</summary>
    [Range(0, 10)]
    public int ImmediateRetries { get; set; } = 2;

    /// <summary>Then retries with exponential backoff, for outages (PostgreSQL restarting); after the last, the batch's messages go to the error queue.</summary>
    [Range(0, 20)]
    public int ExponentialRetries { get; set; } = 5;

    /// <summary>First backoff interval; each next one doubles, capped by <see cref="MaxRetryInterval"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan MinRetryInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan MaxRetryInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Run the rollup loop in this process. Off for nodes that only ingest (or tests that roll up by hand).</summary>
    public bool RollupEnabled { get; set; } = true;

    /// <summary>
    /// Time between incremental rollups: how stale popular lists may be. Each pass rewrites every row it touches once,
    /// so a shorter interval costs more row versions (and vacuum) for the same events.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "1.00:00:00")]
    public TimeSpan RollupInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long <c>rollup --once</c> waits for transactions older than its start to finish before giving up.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan CatchUpTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Days of raw events kept (and recomputable) before their day's partition is dropped. Daily statistics are kept
    /// for ever; 30 days lets ops recompute a month after fixing a rollup bug.
    /// </summary>
    [Range(2, 3650)]
    public int RawRetentionDays { get; set; } = 30;

    /// <summary>
    /// Days after today whose raw partitions are created in advance. Events dated later than that are a producer's
    /// clock error and are dropped (counted) rather than given a partition of their own.
    /// </summary>
    [Range(1, 30)]
    public int PartitionsAhead { get; set; } = 2;

    /// <summary>The retry intervals in order: the immediate ones, then the doubling ones.</summary>
    public TimeSpan[] RetryIntervals()
    {
        var intervals = new List<TimeSpan>();
        intervals.AddRange(Enumerable.Repeat(TimeSpan.Zero, ImmediateRetries));
        var next = MinRetryInterval;
        for (var i = 0; i < ExponentialRetries; i++)
        {
            intervals.Add(next < MaxRetryInterval ? next : MaxRetryInterval);
            next *= 2;
        }

        return [.. intervals];
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if ((long)BatchSize * BatchConcurrency > MaxPrefetch)
        {
            yield return new ValidationResult(
                $"times {nameof(BatchConcurrency)} must be at most {MaxPrefetch} (the batches in flight are RabbitMQ's prefetch)", [nameof(BatchSize)]);
        }

        if (MinRetryInterval > MaxRetryInterval)
        {
            yield return new ValidationResult($"must not be greater than {nameof(MaxRetryInterval)}", [nameof(MinRetryInterval)]);
        }
    }
}
