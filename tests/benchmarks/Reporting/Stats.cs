namespace Platform.Benchmarks.Reporting;

/// <summary>The statistics every runner reports: nearest-rank percentiles and medians.</summary>
internal static class Stats
{
    /// <summary>Index of the nearest-rank <paramref name="p"/> percentile (0 &lt; p ≤ 1) in a sorted list of <paramref name="count"/>.</summary>
    public static int NearestRank(int count, double p) => Math.Clamp((int)Math.Ceiling(p * count) - 1, 0, count - 1);

    /// <summary>Nearest-rank percentile of values already sorted ascending; NaN when there are none.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[NearestRank(sorted.Count, p)];

    /// <summary>Nearest-rank percentile of values in any order.</summary>
    public static double PercentileOf(IEnumerable<double> values, double p) => Percentile(values.Order().ToArray(), p);

    /// <summary>The middle value, or the mean of the two middle ones; NaN when there are none.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
