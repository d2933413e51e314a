using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using Platform.DeadLetters.Mover;

namespace Platform.DeadLetters;

/// <summary>Dead-letter store settings (section <c>DeadLetters</c>). docs/operations.md explains each in context.</summary>
public sealed partial class DeadLetterOptions : IValidatableObject
{
    public const string Section = "DeadLetters";

    /// <summary>
    /// Error queues of the platform's consumers, and the invalidator's queue of skipped messages (types it has no
    /// consumer for), before the bus entity prefix (<c>{prefix}-{queue}</c>) is applied. The aggregator's ingest refuses
    /// unknown types into its error queue itself, so it has no skipped queue.
    /// </summary>
    public static readonly IReadOnlyList<string> DefaultQueues = ["cache-invalidator_error", "cache-invalidator_skipped", "analytics-aggregator_error"];

    /// <summary>
    /// MassTransit error (and skipped) queues the mover drains. Empty means <see cref="DefaultQueues"/>: configuration can add list
    /// items but never remove a default, so the defaults are not put in the list itself.
    /// </summary>
    public List<string> Queues { get; set; } = [];

    /// <summary>
    /// Queues a replay may publish to besides the ones whose error queues <see cref="Queues"/> drains (before the bus
    /// prefix). A replay sends a message to the queue its sender-written <c>MT-Fault-InputAddress</c> names; a name
    /// on neither list is refused, so a forged fault header cannot make an operator publish into another service's queue.
    /// </summary>
    public List<string> ReplayQueues { get; set; } = [];

    /// <summary>
    /// Broker addresses (<c>host</c> or <c>host:port</c>) a fault address may name besides the one in
    /// <c>ConnectionStrings:RabbitMq</c>: the other members of a cluster, or another spelling of the same host.
    /// </summary>
    public List<string> ReplayHosts { get; set; } = [];

    /// <summary>Whether this node drains the error queues. Every node may: they compete for deliveries like any consumer.</summary>
    public bool MoverEnabled { get; set; } = true;

    /// <summary>Unacknowledged deliveries per error queue. Each costs one short transaction; 16 keeps the pipe full without hoarding.</summary>
    [Range(1, 1000)]
    public int PrefetchCount { get; set; } = 16;

    /// <summary>First pause after the database or the broker failed; it doubles per failure up to <see cref="RetryMaxDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:05:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest pause between retries: short enough that recovery is noticed within half a minute.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often the mover looks for a configured error queue that does not exist yet (MassTransit creates it at the
    /// first fault). The first dead letter of a queue waits in it at most this long before it is stored.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan MissingQueuePollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Rows published per replay transaction. They stay locked until their confirms are in, so keep it modest.</summary>
    [Range(1, 1000)]
    public int ReplayBatchSize { get; set; } = 100;

    /// <summary>How long a replay waits for the broker to confirm a batch before counting its unconfirmed messages as failed.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Days a replayed or purged dead letter is kept (to look at what was replayed, and to recognise it failing again)
    /// before retention deletes it. Stored ones are never deleted; the replay and purge history is kept.
    /// </summary>
    [Range(1, 3650)]
    public int RetentionDays { get; set; } = 30;

    /// <summary>How often retention runs.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often the stored-count gauge re-reads the table, so a metrics scrape never queries the database.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan GaugeRefreshInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The queues to drain, before the bus prefix.</summary>
    public IReadOnlyList<string> EffectiveQueues => Queues.Count == 0 ? DefaultQueues : Queues;

    /// <summary>Queue names as declared on the broker: the bus entity prefix goes in front, as MassTransit's endpoint name formatter does.</summary>
    public static IReadOnlyList<string> Prefixed(IReadOnlyList<string> queues, string? prefix) =>
        string.IsNullOrEmpty(prefix) ? queues : [.. queues.Select(q => $"{prefix}-{q}")];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        for (var i = 0; i < Queues.Count; i++)
        {
            var queue = Queues[i];
            if (string.IsNullOrWhiteSpace(queue) || !QueueName().IsMatch(queue))
            {
                yield return new ValidationResult("must be 1-200 letters, digits, '.', '_', ':' or '-'", [$"Queues:{i}"]);
            }
            else if (!queue.EndsWith(DeadLetterRecord.ErrorSuffix, StringComparison.Ordinal) && !queue.EndsWith(DeadLetterRecord.SkippedSuffix, StringComparison.Ordinal))
            {
                // A replay goes to the queue the fault names, or else to this name without the suffix.
                yield return new ValidationResult("must be a MassTransit error or skipped queue (ending in _error or _skipped)", [$"Queues:{i}"]);
            }
        }

        for (var i = 0; i < ReplayQueues.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(ReplayQueues[i]) || !QueueName().IsMatch(ReplayQueues[i]))
            {
                yield return new ValidationResult("must be 1-200 letters, digits, '.', '_', ':' or '-'", [$"ReplayQueues:{i}"]);
            }
        }

        for (var i = 0; i < ReplayHosts.Count; i++)
        {
            if (!Uri.TryCreate($"rabbitmq://{ReplayHosts[i]}/", UriKind.Absolute, out var host) || host.AbsolutePath != "/" || host.UserInfo.Length > 0
                || string.IsNullOrWhiteSpace(ReplayHosts[i]))
            {
                yield return new ValidationResult("must be a host name or address, optionally with :port", [$"ReplayHosts:{i}"]);
            }
        }

        if (Queues.GroupBy(q => q, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
        {
            yield return new ValidationResult($"lists '{duplicate.Key}' twice", [nameof(Queues)]);
        }

        if (RetryMaxDelay < RetryBaseDelay)
        {
            yield return new ValidationResult($"must be at least RetryBaseDelay ({RetryBaseDelay})", [nameof(RetryMaxDelay)]);
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,200}$")]
    private static partial Regex QueueName();
}
