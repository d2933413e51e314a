using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using BenchmarkDotNet.Running;
using Platform.Benchmarks.Reporting;
using Platform.Caching;
using Platform.Caching.Peers;
using StackExchange.Redis;
using ZiggyCreatures.Caching.Fusion;
using Row = Platform.Benchmarks.Cache.CacheLatencyBenchmark.Row;

namespace Platform.Benchmarks.Cache;

/// <summary>
/// <c>fusion-peer [--reads 2000] [--invalidations 1000] [--stampede-rounds 10] [--callers 1000] [--trials 3] [--window 3]
/// [--no-microbench]</c>: our <see cref="TwoLevelCache"/> side by side with FusionCache 2.9 (<see cref="FusionCacheNode"/>:
/// memory + Redis L2 + its backplane + its distributed locker + System.Text.Json) on the local Redis, database 2, a
/// prefix of the run's own; every node has its own connection. Ratio = ours ÷ FusionCache, measured in this run.
/// <list type="number">
/// <item>L1 hit: <see cref="FusionPeerL1Benchmarks"/> (BenchmarkDotNet, in a child process as always).</item>
/// <item>L2 hit: node B reads what node A stored, each key once, interleaved across the two caches.</item>
/// <item>Cross-node remove and remove-by-tag: A's call starts → B's next read no longer returns the old value. Both caches
/// are timed the same way: B is read in a loop that yields between reads (a FusionCache backplane event fires before the
/// message is applied, so it would flatter it; our internal applied hook is not used either).</item>
/// <item>Stampede: <c>--callers</c> concurrent callers over 3 nodes on one missing key, a 10 ms factory: factory runs
/// and wall time per round.</item>
/// <item>Coherence: the scenarios of <see cref="CoherenceScenarios"/>, <c>--trials</c> each, counted.</item>
/// </list>
/// Exits 1 only when a measurement could not be taken (an invalidation never observed, a wrong value read).
/// </summary>
internal static class FusionPeerBenchmark
{
    private const string L2Section = "FusionCache peer: L2 hit (node B's L1 misses, value in Redis)";
    private const string PropagationSection = "FusionCache peer: cross-node invalidation (A's call starts → B's read no longer returns the old value)";
    private const string StampedeSection = "FusionCache peer: stampede (concurrent callers over 3 nodes, one missing key, 10 ms factory)";
    private const string CoherenceSection = "FusionCache peer: coherence scenarios (counts over the trials)";
    private static readonly TimeSpan ApplyTimeout = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(BenchOptions options, BenchResults results)
    {
        var reads = options.Int("--reads", 2000);
        var invalidations = options.Int("--invalidations", 1000);
        var rounds = options.Int("--stampede-rounds", 10);
        var callers = options.Int("--callers", 1000);
        var trials = options.Int("--trials", 3);
        var window = TimeSpan.FromSeconds(options.Int("--window", 3));
        var microbench = !options.Flag("--no-microbench");
        options.EnsureAllUsed();

        using var admin = await BenchRedis.ConnectAsync();
        Console.WriteLine("## FusionCache 2.9 as the peer of our TwoLevelCache");
        Console.WriteLine();
        Console.WriteLine($"- Machine: {Environment.ProcessorCount} cores ({Machine.Cpu() ?? RuntimeInformation.ProcessArchitecture.ToString()}), {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}; load average {Machine.LoadAverage()} at start");
        Console.WriteLine($"- Redis {BenchRedis.Version(admin)} (loopback), database 2; every node its own connection; FusionCache as tests/Platform.Caching.Peers/FusionCacheNode.cs sets it up");
        Console.WriteLine($"- {reads} L2 reads per row, {invalidations} invalidations per row, {rounds} stampede rounds of {callers} callers, {trials} trials per coherence scenario ({window.TotalSeconds:0} s observation windows)");
        Console.WriteLine();
        results.Note("ratio = ours ÷ FusionCache 2.9, both measured in this run; FusionCache set up as tests/Platform.Caching.Peers/FusionCacheNode.cs (docs' multi-node setup)");

        var failures = 0;
        if (microbench)
        {
            var summary = BenchmarkRunner.Run<FusionPeerL1Benchmarks>();
            BenchmarkDotNetFigures.Record([summary], results);
            if (summary.HasCriticalValidationErrors || summary.Reports.Any(r => !r.Success))
            {
                // Reported (exit 1 at the end); the other measurements still run.
                results.Note("the L1 hit microbenchmark failed: see the runner's log");
                failures++;
            }
        }

        var prefix = BenchRedis.NewPrefix("fusion-peer");
        try
        {
            failures += await MeasureL2HitsAsync(results, prefix, reads);
            failures += await MeasurePropagationAsync(results, prefix, invalidations);
            await MeasureStampedeAsync(results, prefix, rounds, callers);
        }
        finally
        {
            await BenchRedis.DeleteAsync(admin, prefix);
        }

        await MeasureCoherenceAsync(results, trials, window);
        return failures == 0 ? 0 : 1;
    }

    private static async Task<int> MeasureL2HitsAsync(BenchResults results, string prefix, int reads)
    {
        var hour = new CacheEntryOptions { Duration = TimeSpan.FromHours(1) };
        await using var ours = await Pair.StartAsync(prefix + "l2o:", PeerKind.Ours);
        await using var fusion = await Pair.StartAsync(prefix + "l2f:", PeerKind.FusionCache);
        var warmUp = Math.Min(200, reads);
        var total = warmUp + reads;
        var bytes = ListPayload();
        var payload = new CachedPayload(bytes, "\"v42\"");
        for (var i = 0; i < total; i++)
        {
            var summary = new ProductSummary(i, $"Product {i}", i + 0.99m);
            await ours.A.Ours!.SetAsync($"page:{i}", payload, hour);
            await ours.A.Ours!.SetAsync($"product:{i}", summary, hour);
            await fusion.A.Fusion!.SetAsync($"page:{i}", bytes);
            await fusion.A.Fusion!.SetAsync($"product:{i}", summary);
        }

        var ourPayload = new Row($"ours, payload ({bytes.Length} B CachedPayload, stored raw)", reads);
        var fusionPayload = new Row($"FusionCache, payload ({bytes.Length} B byte[], System.Text.Json)", reads);
        var ourRecord = new Row("ours, record (System.Text.Json)", reads);
        var fusionRecord = new Row("FusionCache, record (System.Text.Json)", reads);
        Task<CachedPayload> NoPayload(CacheFactoryContext c, CancellationToken t) => throw new InvalidOperationException("an L2 hit was expected");
        Task<ProductSummary> NoSummary(CacheFactoryContext c, CancellationToken t) => throw new InvalidOperationException("an L2 hit was expected");
        var wrong = 0;
        for (var i = 0; i < total; i++)
        {
            // Interleaved, so both caches see the same background noise.
            var t0 = Stopwatch.GetTimestamp();
            var p1 = await ours.B.Ours!.GetOrSetAsync($"page:{i}", NoPayload, hour);
            var t1 = Stopwatch.GetTimestamp();
            var p2 = await fusion.B.Fusion!.GetOrSetAsync<byte[]>($"page:{i}", (_, _) => throw new InvalidOperationException("an L2 hit was expected"));
            var t2 = Stopwatch.GetTimestamp();
            var r1 = await ours.B.Ours!.GetOrSetAsync($"product:{i}", NoSummary, hour);
            var t3 = Stopwatch.GetTimestamp();
            var r2 = await fusion.B.Fusion!.GetOrSetAsync<ProductSummary>($"product:{i}", (_, _) => throw new InvalidOperationException("an L2 hit was expected"));
            var t4 = Stopwatch.GetTimestamp();
            if (p1.Utf8Json.Length != bytes.Length || p2.Length != bytes.Length || r1.Id != i || r2.Id != i)
            {
                wrong++;
            }

            if (i >= warmUp)
            {
                ourPayload.Add(t1 - t0);
                fusionPayload.Add(t2 - t1);
                ourRecord.Add(t3 - t2);
                fusionRecord.Add(t4 - t3);
            }
        }

        PrintPairs(results, L2Section, "µs", 1e6, [(ourPayload, fusionPayload), (ourRecord, fusionRecord)]);
        results.Add(L2Section, "reads that returned a wrong value", wrong, "", target: Target.AtMost(0, ""));
        return wrong;
    }

    private static async Task<int> MeasurePropagationAsync(BenchResults results, string prefix, int invalidations)
    {
        await using var ours = await Pair.StartAsync(prefix + "po:", PeerKind.Ours);
        await using var fusion = await Pair.StartAsync(prefix + "pf:", PeerKind.FusionCache);
        var warmUp = Math.Min(100, invalidations);
        var total = warmUp + invalidations;
        var rows = new Dictionary<(PeerKind, string), Row>();
        var missed = 0;
        foreach (var kind in new[] { PeerKind.Ours, PeerKind.FusionCache })
        {
            rows[(kind, "remove")] = new Row($"{Name(kind)}, remove: A → B", invalidations);
            rows[(kind, "tag")] = new Row($"{Name(kind)}, remove by tag: A → B", invalidations);
        }

        for (var i = 0; i < total; i++)
        {
            foreach (var pair in new[] { ours, fusion })
            {
                // Node B holds both entries in L1 (read through L2 after A stored them).
                await pair.A.SetAsync($"inv:{i}", "old");
                await pair.A.SetAsync($"tagged:{i}", "old", [$"tag:{i}"]);
                if (await pair.B.TryGetAsync($"inv:{i}") != "old" || await pair.B.TryGetAsync($"tagged:{i}") != "old")
                {
                    throw new InvalidOperationException($"{pair.Kind}: node B did not read the stored values");
                }
            }

            foreach (var pair in new[] { ours, fusion })
            {
                var remove = await TimeAsync(pair, () => pair.A.RemoveAsync($"inv:{i}"), $"inv:{i}");
                var tag = await TimeAsync(pair, () => pair.A.RemoveByTagAsync($"tag:{i}"), $"tagged:{i}");
                missed += (remove is null ? 1 : 0) + (tag is null ? 1 : 0);
                if (i >= warmUp && remove is { } r && tag is { } t)
                {
                    rows[(pair.Kind, "remove")].Add(r);
                    rows[(pair.Kind, "tag")].Add(t);
                }
            }
        }

        PrintPairs(results, PropagationSection, "ms", 1e3,
            [(rows[(PeerKind.Ours, "remove")], rows[(PeerKind.FusionCache, "remove")]), (rows[(PeerKind.Ours, "tag")], rows[(PeerKind.FusionCache, "tag")])]);
        results.Add(PropagationSection, $"invalidations not observed on B within {ApplyTimeout.TotalSeconds:0} s", missed, "", target: Target.AtMost(0, ""));
        results.Note("cross-node invalidation: 'applied on B' = node B's next read (TryGetAsync) no longer returns the old value, polled in a loop that yields between reads, the same for both caches; FusionCache publishes in the background (its default), ours records the invalidation in Redis before the call returns");
        return missed;
    }

    // Ticks from the start of A's call until B's read stops returning the old value; null if it never does.
    private static async Task<long?> TimeAsync(Pair pair, Func<ValueTask> invalidate, string key)
    {
        var start = Stopwatch.GetTimestamp();
        await invalidate();
        var spin = new SpinWait();
        while (await pair.B.TryGetAsync(key) == "old")
        {
            if (Stopwatch.GetElapsedTime(start) > ApplyTimeout)
            {
                return null;
            }

            spin.SpinOnce(sleep1Threshold: -1);
        }

        return Stopwatch.GetTimestamp() - start;
    }

    private static async Task MeasureStampedeAsync(BenchResults results, string prefix, int rounds, int callers)
    {
        var contenders = new (string Name, PeerKind Kind, CacheEntryOptions? Ours)[]
        {
            ("ours, ClusterSingleFlight (Redis lock)", PeerKind.Ours, new CacheEntryOptions { Duration = TimeSpan.FromMinutes(5), ClusterSingleFlight = true }),
            ("FusionCache, distributed locker", PeerKind.FusionCache, null),
            ("ours, per-node single flight only", PeerKind.Ours, new CacheEntryOptions { Duration = TimeSpan.FromMinutes(5) }),
        };
        var rows = new List<(string Name, PeerKind Kind, List<double> WallMs, List<int> Runs)>();
        foreach (var (name, kind, ourOptions) in contenders)
        {
            await using var cluster = await StartClusterAsync(kind, prefix + (rows.Count + 1) + ":", 3);
            var wall = new List<double>();
            var runsPerRound = new List<int>();
            for (var round = 0; round < rounds; round++)
            {
                var key = $"stampede:{round}";
                var runs = 0;
                async Task<string> Factory(CancellationToken ct)
                {
                    Interlocked.Increment(ref runs);
                    await Task.Delay(10, ct);
                    return "value";
                }

                var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var calls = Enumerable.Range(0, callers).Select(async c =>
                {
                    await go.Task;
                    var node = cluster[c % 3];
                    return ourOptions is not null
                        ? await node.Ours!.GetOrSetAsync(key, (_, ct) => Factory(ct), ourOptions)
                        : await node.Fusion!.GetOrSetAsync<string>(key, (_, ct) => Factory(ct));
                }).ToArray();
                var clock = Stopwatch.StartNew();
                go.SetResult();
                var values = await Task.WhenAll(calls);
                clock.Stop();
                if (values.Any(v => v != "value"))
                {
                    throw new InvalidOperationException($"{name}: a caller got a wrong value");
                }

                wall.Add(clock.Elapsed.TotalMilliseconds);
                runsPerRound.Add(runs);
            }

            rows.Add((name, kind, wall, runsPerRound));
        }

        Console.WriteLine($"### {StampedeSection}");
        Console.WriteLine();
        var table = new MarkdownTable("lrrrrr", "", "rounds", "factory runs (total)", "max runs in a round", "wall p50 ms", "wall max ms");
        var fusionRow = rows.Single(r => r.Kind == PeerKind.FusionCache);
        var fusionP50 = Stats.Median(fusionRow.WallMs);
        foreach (var (name, kind, wall, runs) in rows)
        {
            var p50 = Stats.Median(wall);
            table.Add(name, rounds.ToString(CultureInfo.InvariantCulture), runs.Sum().ToString(CultureInfo.InvariantCulture),
                runs.Max().ToString(CultureInfo.InvariantCulture), p50.ToString("0.0", CultureInfo.InvariantCulture), wall.Max().ToString("0.0", CultureInfo.InvariantCulture));
            results.Add(StampedeSection, $"{name}: factory runs per round (mean)", runs.Average(), "", samples: rounds,
                note: $"{runs.Sum()} runs in {rounds} rounds of {callers} callers; max {runs.Max()} in a round");
            results.Add(StampedeSection, $"{name}: wall time, median of rounds", p50, "ms", samples: rounds,
                baseline: kind == PeerKind.Ours ? new Baseline(fusionRow.Name, fusionP50) : null,
                note: $"max {wall.Max():0.0} ms");
        }

        table.Print();
        Console.WriteLine();
    }

    private static async Task MeasureCoherenceAsync(BenchResults results, int trials, TimeSpan window)
    {
        var redis = BenchRedis.Configuration;
        var port = ConfigurationOptions.Parse(redis).EndPoints[0] is System.Net.DnsEndPoint d ? d.Port : ((System.Net.IPEndPoint)ConfigurationOptions.Parse(redis).EndPoints[0]).Port;
        var scenarios = new (string Name, Func<PeerKind, Task<ScenarioCounts>> Run)[]
        {
            ("cut node", kind => CoherenceScenarios.CutNodeAsync(kind, redis, port, trials, window)),
            ("write-back after remove", kind => CoherenceScenarios.WriteBackAsync(kind, redis, port, trials * 10, byTag: false)),
            ("write-back after tag invalidation", kind => CoherenceScenarios.WriteBackAsync(kind, redis, port, trials * 10, byTag: true)),
            ("Redis restarted empty", kind => CoherenceScenarios.RedisRestartedAsync(kind, trials, window)),
            ("Redis frozen", kind => CoherenceScenarios.RedisFrozenAsync(kind, trials, window)),
        };
        Console.WriteLine($"### {CoherenceSection}");
        Console.WriteLine();
        var table = new MarkdownTable("llrrrrr", "scenario", "cache", "stale trials", "stale reads", "longest stale ms", "still stale at window end", "acknowledged while Redis down");
        foreach (var (name, run) in scenarios)
        {
            // Each cache on its own prefix (a private redis-server for the restart and freeze): they run side by side.
            var counts = await Task.WhenAll(run(PeerKind.Ours), run(PeerKind.FusionCache));
            foreach (var c in counts)
            {
                table.Add(name, Name(c.Kind), $"{c.StaleTrials} of {c.Trials}", $"{c.StaleReads} of {c.Reads}",
                    c.MaxStaleMs.ToString("0", CultureInfo.InvariantCulture) + (c.StillStaleAtEnd > 0 ? " (≥)" : ""),
                    c.StillStaleAtEnd.ToString(CultureInfo.InvariantCulture), c.AcknowledgedWhileDown.ToString(CultureInfo.InvariantCulture));
                results.Add(CoherenceSection, $"{name}, {Name(c.Kind)}: trials with a stale read", c.StaleTrials, "", samples: c.Trials, note: c.Describe());
                results.Add(CoherenceSection, $"{name}, {Name(c.Kind)}: longest stale", c.MaxStaleMs, "ms", samples: c.Trials,
                    note: c.StillStaleAtEnd > 0 ? $"a lower bound: still stale when the {window.TotalSeconds:0} s window closed in {c.StillStaleAtEnd} trials" : null);
            }
        }

        table.Print();
        Console.WriteLine();
        results.Note("coherence: stale = a read returning the removed (or written-back) value after the remove returned without an error; it includes the normal propagation delay; see tests/Platform.Caching.Peers/CoherenceScenarios.cs for each scenario's exact steps");
    }

    private static void PrintPairs(BenchResults results, string title, string unit, double scale, (Row Ours, Row Fusion)[] pairs)
    {
        Console.WriteLine($"### {title}");
        Console.WriteLine();
        var table = new MarkdownTable("lrrrrrr", "", "n", $"p50 {unit}", $"p99 {unit}", $"max {unit}", "p50 ours ÷ FusionCache", "p99 ours ÷ FusionCache");
        string F(double seconds) => (seconds * scale).ToString("0.000", CultureInfo.InvariantCulture);
        foreach (var (ours, fusion) in pairs)
        {
            foreach (var row in new[] { fusion, ours })
            {
                var isOurs = ReferenceEquals(row, ours);
                table.Add(row.Name, row.Count.ToString(CultureInfo.InvariantCulture), F(row.Percentile(0.5)), F(row.Percentile(0.99)), F(row.Max),
                    isOurs ? $"{ours.Percentile(0.5) / fusion.Percentile(0.5):0.00}×" : "", isOurs ? $"{ours.Percentile(0.99) / fusion.Percentile(0.99):0.00}×" : "");
                results.Add(title, $"{row.Name}, p50", row.Percentile(0.5) * scale, unit, samples: row.Count,
                    baseline: isOurs ? new Baseline(fusion.Name + ", p50", fusion.Percentile(0.5) * scale) : null);
                results.Add(title, $"{row.Name}, p99", row.Percentile(0.99) * scale, unit, samples: row.Count,
                    baseline: isOurs ? new Baseline(fusion.Name + ", p99", fusion.Percentile(0.99) * scale) : null);
            }
        }

        table.Print();
        Console.WriteLine();
    }

    private static string Name(PeerKind kind) => kind == PeerKind.Ours ? "ours" : "FusionCache";

    private static async Task<PeerCluster> StartClusterAsync(PeerKind kind, string prefix, int nodes)
    {
        var configuration = BenchRedis.Configuration;
        var cluster = await PeerCluster.StartAsync(kind, configuration, 0, nodes, prefix: prefix);
        return cluster;
    }

    private static byte[] ListPayload() =>
        Encoding.UTF8.GetBytes("{\"items\":[" + string.Join(',', Enumerable.Range(0, 20).Select(i => $"{{\"id\":{i},\"name\":\"Product {i}\",\"price\":{i}.99}}")) + "]}");

    /// <summary>Two nodes of one kind, A and B, on the benchmark's Redis under one prefix.</summary>
    private sealed class Pair : IAsyncDisposable
    {
        private readonly PeerCluster _cluster;

        private Pair(PeerCluster cluster) => _cluster = cluster;

        public PeerKind Kind => _cluster.Kind;

        public PeerNode A => _cluster[0];

        public PeerNode B => _cluster[1];

        public static async Task<Pair> StartAsync(string prefix, PeerKind kind) => new(await StartClusterAsync(kind, prefix, 2));

        public ValueTask DisposeAsync() => _cluster.DisposeAsync();
    }
}
