using BenchmarkDotNet.Reports;

namespace Platform.Benchmarks.Reporting;

/// <summary>
/// Targets of a BenchmarkDotNet class for the reports: each benchmark's median at most <see cref="MaxRatio"/> times
/// its class's baseline, and at most <see cref="MaxAllocatedBytes"/> allocated per operation. Negative: no target.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
internal sealed class FigureTargetsAttribute : Attribute
{
    public double MaxRatio { get; set; } = -1;

    public long MaxAllocatedBytes { get; set; } = -1;
}

/// <summary>Turns BenchmarkDotNet summaries into figures: median ns against the baseline with the same parameters, and bytes per operation.</summary>
internal static class BenchmarkDotNetFigures
{
    public static void Record(IEnumerable<Summary> summaries, BenchResults results)
    {
        foreach (var summary in summaries)
        {
            foreach (var report in summary.Reports)
            {
                var benchmark = report.BenchmarkCase;
                var descriptor = benchmark.Descriptor;
                var parameters = benchmark.Parameters.DisplayInfo.Trim('[', ']');
                var section = descriptor.Type.Name + (string.IsNullOrEmpty(parameters) ? "" : $" ({parameters})");
                var targets = descriptor.Type.GetCustomAttributes(typeof(FigureTargetsAttribute), inherit: true).OfType<FigureTargetsAttribute>().FirstOrDefault();
                // A class grouped by category has a baseline per category (FusionPeerL1Benchmarks: FusionCache's hit of the same kind).
                var baseline = descriptor.Baseline ? null : summary.Reports.FirstOrDefault(r =>
                    r.BenchmarkCase.Descriptor.Baseline && r.BenchmarkCase.Parameters.DisplayInfo == benchmark.Parameters.DisplayInfo
                    && r.BenchmarkCase.Descriptor.Categories.SequenceEqual(descriptor.Categories));
                var median = report.ResultStatistics?.Median ?? double.NaN;
                var name = descriptor.WorkloadMethodDisplayInfo.Trim('\'');
                results.Add(section, $"{name}, median", median, "ns",
                    baseline: baseline?.ResultStatistics is { } b ? new Baseline(baseline.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo.Trim('\''), b.Median) : null,
                    target: baseline is not null && targets is { MaxRatio: >= 0 } ? Target.RatioAtMost(targets.MaxRatio) : null,
                    samples: report.ResultStatistics?.N,
                    note: report.ResultStatistics is { } s ? $"mean {s.Mean:0.00} ns, p95 {s.Percentiles.P95:0.00} ns; job {benchmark.Job.Id}" : "no result");
                if (report.GcStats.GetBytesAllocatedPerOperation(benchmark) is { } bytes)
                {
                    results.Add(section, $"{name}, allocated", bytes, "B/op",
                        target: !descriptor.Baseline && targets is { MaxAllocatedBytes: >= 0 } ? Target.AtMost(targets.MaxAllocatedBytes, "B/op") : null);
                }
            }
        }
    }
}
