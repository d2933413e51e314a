namespace Platform.Benchmarks.Reporting;

/// <summary>One step of <c>./platform bench</c>: a runner of this program, or (with <c>--long</c>) a long test suite.</summary>
/// <param name="Name">What <c>--only</c> names and the report calls it.</param>
/// <param name="Arguments">The runner's command line (without <c>--results</c>), or <c>dotnet test</c>'s.</param>
/// <param name="Timeout">Killed (with its children) after this; reported as timed out (exit 124).</param>
/// <param name="IsTestSuite">A <c>dotnet test</c> run whose totals come from its TRX files.</param>
/// <param name="ScreenSummaryOnly">BenchmarkDotNet prints hundreds of lines: they go to the log, its summary table to the screen.</param>
internal sealed record SuiteStep(string Name, IReadOnlyList<string> Arguments, TimeSpan Timeout, bool IsTestSuite = false, bool ScreenSummaryOnly = false);

/// <summary>
/// What <c>./platform bench</c> runs, in order, with the counts of a quick, full or long run: the microbenchmark first
/// (least disturbed by the servers' own work), wrk last but one. The one list of runners and their arguments.
/// </summary>
internal static class SuitePlan
{
    public static readonly IReadOnlyList<string> Runners = ["l1-hit", "cache-latency", "fusion-peer", "relay", "commit-latency", "invalidation", "read-path", "analytics", "cold-start"];

    /// <summary>Only with <c>--long</c>: the long consistency checker and the long bad-input suite.</summary>
    public static readonly IReadOnlyList<string> LongRuns = ["consistency", "bad-input"];

    /// <summary>Only with <c>--long --cluster</c>: the consistency checker on servers run as a cluster (docs/scaling.md).</summary>
    public static readonly IReadOnlyList<string> ClusterRuns = ["cluster-consistency"];

    /// <summary>The steps that write a consistency checker report (<c>PLATFORM_CONSISTENCY_REPORT</c>).</summary>
    public static bool WritesConsistencyReport(string name) => name is "consistency" or "cluster-consistency";

    /// <summary>The long test suites' own settings (environment variables their fixtures read).</summary>
    public static readonly IReadOnlyDictionary<string, string> LongRunEnvironment = new Dictionary<string, string>
    {
        ["PLATFORM_CONSISTENCY_SECONDS"] = "600",
        ["PLATFORM_BADINPUT_CASES"] = "2000",
    };

    public static SuiteStep Step(string name, bool quick, bool longRun, string repositoryRoot)
    {
        var timeout = TimeSpan.FromSeconds(quick ? 300 : 900);
        string[] Pick(string[] quickArgs, string[] fullArgs) => quick ? quickArgs : fullArgs;
        return name switch
        {
            "l1-hit" => new SuiteStep(name, ["--filter", "*L1HitBenchmarks*"], timeout, ScreenSummaryOnly: true),
            // Our cache beside FusionCache 2.9; --long counts the coherence scenarios over 20 trials with 6 s windows.
            "fusion-peer" => quick
                ? new SuiteStep(name, ["fusion-peer", "--reads", "300", "--invalidations", "200", "--stampede-rounds", "3", "--trials", "1", "--window", "2"], timeout, ScreenSummaryOnly: true)
                : longRun
                    ? new SuiteStep(name, ["fusion-peer", "--reads", "2000", "--invalidations", "2000", "--stampede-rounds", "20", "--trials", "20", "--window", "6"], TimeSpan.FromSeconds(2400), ScreenSummaryOnly: true)
                    : new SuiteStep(name, ["fusion-peer", "--reads", "2000", "--invalidations", "1000", "--stampede-rounds", "10", "--trials", "3", "--window", "3"], timeout, ScreenSummaryOnly: true),
            "cache-latency" => new SuiteStep(name, Pick(["cache-latency", "--reads", "300", "--invalidations", "300"], ["cache-latency", "--reads", "2000", "--invalidations", "2000"]), timeout),
            "relay" => new SuiteStep(name, Pick(["relay", "--events", "10000", "--rounds", "1", "--samples", "100"], ["relay", "--events", "50000", "--rounds", "3", "--samples", "500"]), timeout),
            "commit-latency" => new SuiteStep(name, Pick(["commit-latency", "--samples", "100"], ["commit-latency", "--samples", "500"]), timeout),
            "invalidation" => new SuiteStep(name, Pick(["invalidation", "--writes", "100", "--requests", "5000"], ["invalidation", "--writes", "500", "--requests", "20000"]), timeout),
            "read-path" => new SuiteStep(name, Pick(["read-path", "--duration", "3"], ["read-path", "--duration", "10", "--rounds", "3"]), timeout),
            "analytics" => new SuiteStep(name, Pick(
                ["analytics", "--events", "100000", "--bus-events", "20000", "--queries", "200", "--history-days", "30"],
                ["analytics", "--events", "1000000", "--bus-events", "200000", "--queries", "2000", "--history-days", "120"]), timeout),
            "cold-start" => new SuiteStep(name, Pick(["cold-start", "--trials", "1", "--requests", "100"], ["cold-start", "--trials", "3", "--requests", "200"]), timeout),
            "consistency" => new SuiteStep(name, ["test", Path.Combine(repositoryRoot, "tests", "e2e"), "--filter", "Category=Consistency"], TimeSpan.FromSeconds(2400), IsTestSuite: true),
            // The checker starts its own cluster (3 RabbitMQ nodes, Redis primary + replica + 3 Sentinels) and kills in it.
            "cluster-consistency" => new SuiteStep(name, ["test", Path.Combine(repositoryRoot, "tests", "e2e"), "--filter", "Category=Cluster&FullyQualifiedName~ClusterConsistencyChecker"], TimeSpan.FromSeconds(2400), IsTestSuite: true),
            "bad-input" => new SuiteStep(name, ["test", Path.Combine(repositoryRoot, "Platform.sln"), "--filter", "Category=BadInput"], TimeSpan.FromSeconds(2400), IsTestSuite: true),
            _ => throw new BenchOptionException($"bench: unknown benchmark '{name}' in --only (one of: {string.Join(' ', Runners.Concat(LongRuns))})"),
        };
    }

    /// <summary>The names to run: <paramref name="only"/> (comma-separated) checked against the lists, or every runner.</summary>
    public static IReadOnlyList<string> Select(string? only, bool longRun, bool cluster = false)
    {
        if (cluster && !longRun)
        {
            throw new BenchOptionException("bench: --cluster runs only with --long (it adds the cluster consistency checker)");
        }

        var known = Runners.Concat(LongRuns).Concat(cluster ? ClusterRuns : []).ToList();
        if (only is null)
        {
            return longRun ? [.. Runners, .. LongRuns, .. cluster ? ClusterRuns : []] : Runners;
        }

        var names = only.Split(',');
        foreach (var name in names)
        {
            if (ClusterRuns.Contains(name) && !cluster)
            {
                throw new BenchOptionException($"bench: '{name}' runs only with --long --cluster");
            }

            if (!known.Contains(name))
            {
                throw new BenchOptionException($"bench: unknown benchmark '{name}' in --only (one of: {string.Join(' ', known)})");
            }

            if (!longRun && LongRuns.Contains(name))
            {
                throw new BenchOptionException($"bench: '{name}' runs only with --long");
            }
        }

        return names;
    }
}
