using System.ComponentModel.DataAnnotations;

namespace CacheInvalidator.Requests;

/// <summary>The record of direct invalidation requests (section <c>InvalidationAudit</c>).</summary>
public sealed class InvalidationAuditOptions
{
    public const string Section = "InvalidationAudit";

    /// <summary>Days a request stays on record before retention deletes it: 90 covers a quarter's "who evicted this?" questions.</summary>
    [Range(1, 3650)]
    public int RetentionDays { get; set; } = 90;

    /// <summary>How often retention runs.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);
}
