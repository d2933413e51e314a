namespace Platform.Contracts.Analytics;

/// <summary>
/// A rollup of the analytics aggregator committed: the daily statistics of <paramref name="CategoryIds"/> on
/// <paramref name="Days"/> changed, so cached analytics of those categories are stale.
/// </summary>
/// <param name="CategoryIds">Categories whose statistics changed.</param>
/// <param name="Days">Days (UTC) whose statistics changed.</param>
/// <param name="Watermark">The rollup's position after this run (a transaction-id safe point, see docs/adr/008); rollups are ordered by it.</param>
/// <param name="CompletedAt">When the rollup committed.</param>
public sealed record AnalyticsRollupCompleted(
    IReadOnlyList<long> CategoryIds,
    IReadOnlyList<DateOnly> Days,
    long Watermark,
    DateTimeOffset CompletedAt);
