using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using Perfolizer.Horology;

namespace Platform.Benchmarks.Cache;

/// <summary>
/// A short job for a small shared machine (2 cores, tests and other benchmarks running): ShortRun's 3
/// iterations gave error bars wider than the means there, so 15 short iterations in one launch (about 5 s per
/// benchmark), with the median next to the mean because neighbours' bursts skew the mean.
/// <c>PLATFORM_BENCH_QUICK=1</c> (set by <c>./platform bench --quick</c>) runs 3 warm-up and 5 measured
/// iterations instead: a smoke figure, not one to compare. An environment variable, because a <c>--job</c> on the
/// command line would run next to this job rather than instead of it.
/// </summary>
public sealed class NoisyMachineConfig : ManualConfig
{
    public NoisyMachineConfig()
    {
        var quick = Environment.GetEnvironmentVariable("PLATFORM_BENCH_QUICK") == "1";
        AddJob(Job.Default
            .WithId(quick ? "Quick2Core" : "Noisy2Core")
            .WithLaunchCount(1)
            .WithWarmupCount(quick ? 3 : 5)
            .WithIterationCount(quick ? 5 : 15)
            .WithIterationTime(TimeInterval.FromMilliseconds(quick ? 100 : 200)));
        AddColumn(StatisticColumn.Median, StatisticColumn.P95);
        // The generated project builds the whole benchmark graph (services included): past BenchmarkDotNet's 2 min
        // default at a load average of 20 here.
        WithBuildTimeout(TimeSpan.FromMinutes(10));
    }
}
