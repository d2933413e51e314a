using System.ComponentModel.DataAnnotations;

namespace Platform.Messaging.Inbox;

/// <summary>Cleanup of the inbox table, bound to the <c>Inbox</c> section and validated at start.</summary>
public sealed class InboxOptions
{
    public const string Section = "Inbox";

    /// <summary>How long processed message ids are remembered. A week outlasts broker retries and a dead-letter replay after a weekend.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often old records are deleted.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "1.00:00:00")]
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Rows deleted per statement.</summary>
    [Range(1, 100_000)]
    public int CleanupBatchSize { get; set; } = 5_000;
}
