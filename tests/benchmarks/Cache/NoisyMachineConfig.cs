using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using Perfolizer.Horology;

namespace Platform.Benchmarks.Cache;

/// <summary>
/// A short job for a small shared machine (2 cores, tests and other benchmarks running): ShortRun's 3
/// iterations gave error bars wider than the means there, so 15 short iterations in one launch (about 5 s per
/// benchmark), with the median next to the mean because neighbours' bursts skew the mean.
/// </summary>
public sealed class NoisyMachineConfig : ManualConfig
{
    public NoisyMachineConfig()
    {
        AddJob(Job.Default
            .WithId("Noisy2Core")
            .WithLaunchCount(1)
            .WithWarmupCount(5)
            .WithIterationCount(15)
            .WithIterationTime(TimeInterval.FromMilliseconds(200)));
        AddColumn(StatisticColumn.Median, StatisticColumn.P95);
    }
}
