using System.Diagnostics;
using BenchmarkDotNet.Running;
using Platform.Benchmarks.Analytics;
using Platform.Benchmarks.Cache;
using Platform.Benchmarks.ColdStart;
using Platform.Benchmarks.EndToEnd;
using Platform.Benchmarks.Latency;
using Platform.Benchmarks.ReadPath;
using Platform.Benchmarks.Relay;
using Platform.Benchmarks.Reporting;

// Plain runners measure servers, not a method: `relay` (outbox relay throughput), `relay-publish-paths`,
// `commit-latency` (write on one node, relay on the other), `read-path` (wrk: cached list vs /health/live and
// vs uncached), `cache-latency` (L2 hits, cross-node invalidation), `invalidation` (end to end across catalog
// nodes, invalidator throughput), `analytics`, `cold-start` (a catalog node's first requests after ready: ReadyToRun + warm-up vs IL), `fusion-peer` (our cache side by side with FusionCache 2.9). `suite` is ./platform bench: every runner in turn, then one report. Anything else goes to
// BenchmarkSwitcher (microbenchmarks). Every runner prints Markdown; `--results FILE` also writes its figures as
// JSON (what ./platform bench collects). A bad option: one line naming it, exit 2.
var runners = new Dictionary<string, Func<BenchOptions, BenchResults, Task<int>>>(StringComparer.Ordinal)
{
    ["relay"] = RelayBenchmark.RunAsync,
    ["relay-publish-paths"] = PublishPathBenchmark.RunAsync,
    ["commit-latency"] = CommitLatencyBenchmark.RunAsync,
    ["read-path"] = ReadPathBenchmark.RunAsync,
    ["cache-latency"] = CacheLatencyBenchmark.RunAsync,
    ["invalidation"] = InvalidationBenchmark.RunAsync,
    ["analytics"] = AnalyticsBenchmark.RunAsync,
    ["fusion-peer"] = FusionPeerBenchmark.RunAsync,
    ["cold-start"] = ColdStartBenchmark.RunAsync,
};

try
{
    var resultsFile = TakeResultsOption(ref args);
    if (args is ["suite", .. var suiteArgs])
    {
        return await SuiteCommand.RunAsync(new BenchOptions("bench", suiteArgs));
    }

    var name = args is [var first, ..] && runners.ContainsKey(first) ? first : "benchmarkdotnet";
    var results = new BenchResults(name, args);
    var clock = Stopwatch.StartNew();
    int exitCode;
    try
    {
        if (runners.TryGetValue(name, out var run))
        {
            exitCode = await run(new BenchOptions(name, args[1..]), results);
        }
        else
        {
            var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args).ToList();
            BenchmarkDotNetFigures.Record(summaries, results);
            exitCode = summaries.Count > 0 && summaries.All(s => !s.HasCriticalValidationErrors && s.Reports.All(r => r.Success)) ? 0 : 1;
        }
    }
    catch (Exception e) when (e is not BenchOptionException)
    {
        // Written down with whatever figures the runner recorded before it failed, then rethrown for the stack trace.
        if (resultsFile is not null)
        {
            await results.WriteAsync(resultsFile, 1, $"{e.GetType().Name}: {e.Message}", clock.Elapsed);
        }

        throw;
    }

    if (resultsFile is not null)
    {
        await results.WriteAsync(resultsFile, exitCode, exitCode == 0 ? null : $"exit {exitCode}", clock.Elapsed);
    }

    return exitCode;
}
catch (BenchOptionException e)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}

static string? TakeResultsOption(ref string[] args)
{
    var at = Array.IndexOf(args, "--results");
    if (at < 0)
    {
        return null;
    }

    if (at + 1 >= args.Length)
    {
        throw new BenchOptionException("--results needs a file path");
    }

    var file = args[at + 1];
    args = [.. args[..at], .. args[(at + 2)..]];
    return file;
}

/// <summary>Entry point of the benchmark runner.</summary>
public partial class Program;
