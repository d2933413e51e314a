namespace AnalyticsAggregator.Rollups;

/// <summary>What one or more rollup passes did.</summary>
/// <param name="From">Watermark before (inclusive start of the xid range).</param>
/// <param name="To">Watermark after (exclusive end).</param>
/// <param name="Events">Raw product events folded in.</param>
/// <param name="CategoryDays">(category, day) rows touched.</param>
/// <param name="Categories">Categories whose statistics changed.</param>
/// <param name="Days">Days whose statistics changed.</param>
/// <param name="More">The pass stopped at <see cref="RollupJob.MaxEventsPerPass"/>: more is ready now.</param>
/// <param name="Duration">Time taken.</param>
public sealed record RollupResult(
    ulong From, ulong To, long Events, int CategoryDays, IReadOnlyList<long> Categories, IReadOnlyList<DateOnly> Days, bool More, TimeSpan Duration)
{
    public static RollupResult Nothing(ulong watermark) => new(watermark, watermark, 0, 0, [], [], false, TimeSpan.Zero);

    /// <summary>This result followed by <paramref name="next"/>.</summary>
    public RollupResult Then(RollupResult next)
    {
        ArgumentNullException.ThrowIfNull(next);
        return new RollupResult(From, next.To, Events + next.Events, CategoryDays + next.CategoryDays,
            [.. Categories.Union(next.Categories).Order()], [.. Days.Union(next.Days).Order()], next.More, Duration + next.Duration);
    }
}

/// <summary>What a recompute replaced.</summary>
public sealed record RecomputeResult(
    DateOnly From, DateOnly To, int ProductRows, int CategoryRows, IReadOnlyList<long> Categories, IReadOnlyList<DateOnly> Days, TimeSpan Duration);
