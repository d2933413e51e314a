using BenchmarkDotNet.Running;
using Platform.Benchmarks.Analytics;
using Platform.Benchmarks.Cache;
using Platform.Benchmarks.EndToEnd;
using Platform.Benchmarks.Relay;

// Plain runners measure servers, not a method: `relay` (outbox relay throughput and commit-to-broker latency),
// `cache-latency` (L2 hits and cross-node invalidation). Anything else goes to BenchmarkSwitcher (microbenchmarks).
if (args is ["relay", .. var rest])
{
    return await RelayBenchmark.RunAsync(rest);
}

if (args is ["analytics", .. var analyticsArgs])
{
    return await AnalyticsBenchmark.RunAsync(analyticsArgs);
}

if (args is ["invalidation", .. var invalidationArgs])
{
    return await InvalidationBenchmark.RunAsync(invalidationArgs);
}

if (args is ["cache-latency", .. var cacheArgs])
{
    return await CacheLatencyBenchmark.RunAsync(cacheArgs);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;

/// <summary>Entry point of the benchmark runner.</summary>
public partial class Program;
