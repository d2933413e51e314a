using BenchmarkDotNet.Running;
using Platform.Benchmarks.Analytics;
using Platform.Benchmarks.Cache;
using Platform.Benchmarks.EndToEnd;
using Platform.Benchmarks.Latency;
using Platform.Benchmarks.ReadPath;
using Platform.Benchmarks.Relay;

// Plain runners measure servers, not a method: `relay` (outbox relay throughput), `relay-publish-paths`,
// `commit-latency` (write on one node, relay on the other), `read-path` (wrk: cached list vs /health/live and
// vs uncached), `cache-latency` (L2 hits, cross-node invalidation), `invalidation` (end to end across catalog
// nodes, invalidator throughput), `analytics`. Anything else goes to BenchmarkSwitcher (microbenchmarks).
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

if (args is ["read-path", .. var readArgs])
{
    return await ReadPathBenchmark.RunAsync(readArgs);
}

if (args is ["commit-latency", .. var latencyArgs])
{
    return await CommitLatencyBenchmark.RunAsync(latencyArgs);
}

if (args is ["relay-publish-paths", .. var publishArgs])
{
    return await PublishPathBenchmark.RunAsync(publishArgs);
}

if (args is ["cache-latency", .. var cacheArgs])
{
    return await CacheLatencyBenchmark.RunAsync(cacheArgs);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;

/// <summary>Entry point of the benchmark runner.</summary>
public partial class Program;
