using System.ComponentModel.DataAnnotations;

namespace CacheInvalidator.Invalidation;

/// <summary>How the invalidation queue is consumed and retried (section <c>Invalidator</c>).</summary>
public sealed class InvalidatorOptions
{
    public const string Section = "Invalidator";

    /// <summary>Queue name (before the bus entity prefix). Its error queue is <c>{name}_error</c>.</summary>
    [Required, RegularExpression("^[a-z0-9-]{1,80}$", ErrorMessage = "must be lowercase letters, digits and dashes")]
    public string QueueName { get; set; } = "cache-invalidator";

    /// <summary>Quorum queue (replicated, survives a broker node) instead of a classic one. Changing it needs the queue re-created.</summary>
    public bool QuorumQueue { get; set; } = true;

    /// <summary>Messages in flight per node. Each costs one or a few Redis round trips (~0.1 ms); 64 keeps a node busy without hoarding.</summary>
    [Range(1, 1000)]
    public int PrefetchCount { get; set; } = 64;

    /// <summary>Messages handled at once per node; invalidations are independent (idempotent, order-free), so they run in parallel.</summary>
    [Range(1, 1000)]
    public int ConcurrencyLimit { get; set; } = 32;

    /// <summary>Retries right away, for blips (a dropped connection that reconnects at once).</summary>
    [Range(0, 10)]
    public int ImmediateRetries { get; set; } = 2;

    /// <summary>
    /// Then retries with exponential backoff, for outages (Redis restarting or frozen); after the last, the message goes
    /// to the error queue. 8: 0.2 s doubling to the 10 s cap spans about 33 s, longer than the outages the consistency
    /// checker injects (7 s). Each attempt fails within the 200 ms Redis deadline (ADR 013), so 5 (about 6 s) was
    /// shorter than a 7 s freeze and dead-lettered the invalidations that arrived at its start.
    /// </summary>
    [Range(0, 20)]
    public int ExponentialRetries { get; set; } = 8;

    /// <summary>First backoff interval; each next one doubles, capped by <see cref="MaxRetryInterval"/>.</summary>
    public TimeSpan MinRetryInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxRetryInterval { get; set; } = TimeSpan.FromSeconds(10);

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
}
