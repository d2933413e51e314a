using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Platform.Benchmarks.Reporting;
using Platform.Caching;
using StackExchange.Redis;

namespace Platform.Benchmarks.Cache;

/// <summary>
/// <c>cache-latency [--reads 2000] [--invalidations 2000] [--concurrency 16]</c>: latency distributions of the
/// cache's Redis paths, two nodes (own connections) on the local Redis (<c>./platform servers</c>), database 2,
/// a prefix of the run's own.
/// <list type="number">
/// <item>L2 hit: node B reads values node A stored, each key once (B's L1 always misses), against a plain Redis
/// GET of the same bytes measured interleaved with it (the baseline).</item>
/// <item>Invalidation propagation: <see cref="ITwoLevelCache.RemoveAsync"/> on A until B has applied it, timed by
/// B's internal <c>Applied</c> hook (no polling), then B's L1 is checked; also by tag, and with several in flight.
/// Target: p99 ≤ 5 ms on loopback.</item>
/// </list>
/// Prints Markdown. Exits 1 when an invalidation was not observed on B (a correctness failure, not a slow run).
/// </summary>
internal static class CacheLatencyBenchmark
{
    private static readonly TimeSpan ApplyTimeout = TimeSpan.FromSeconds(10);
    private static readonly CacheEntryOptions Hour = new() { Duration = TimeSpan.FromHours(1) };
    private static readonly Func<CachedPayload, CacheFactoryContext, CancellationToken, Task<CachedPayload>> NoPayloadFactory =
        static (_, _, _) => throw new InvalidOperationException("an L2 hit was expected, the factory ran");

    private static readonly Func<ProductSummary, CacheFactoryContext, CancellationToken, Task<ProductSummary>> NoSummaryFactory =
        static (_, _, _) => throw new InvalidOperationException("an L2 hit was expected, the factory ran");

    public static async Task<int> RunAsync(BenchOptions options, BenchResults results)
    {
        var reads = options.Int("--reads", 2000);
        var invalidations = options.Int("--invalidations", 2000);
        var concurrency = options.Int("--concurrency", 16);
        options.EnsureAllUsed();
        var prefix = BenchRedis.NewPrefix("latency");

        using var admin = await BenchRedis.ConnectAsync();
        using var connectionA = await BenchRedis.ConnectAsync();
        using var connectionB = await BenchRedis.ConnectAsync();
        var cacheOptions = new CacheOptions { KeyPrefix = prefix };
        var probe = new ApplyProbe();
        await using var nodeA = new TwoLevelCache(cacheOptions, connectionA);
        await using var nodeB = new TwoLevelCache(cacheOptions, connectionB) { Applied = probe.OnApplied };
        await nodeA.StartAsync();
        await nodeB.StartAsync();

        PrintMachine(admin, reads, invalidations, concurrency);
        try
        {
            var l2 = await MeasureL2HitsAsync(admin.GetDatabase(), nodeA, nodeB, prefix, reads);
            var propagation = await MeasurePropagationAsync(nodeA, nodeB, probe, invalidations, concurrency);
            PrintTable(results, "L2 hit (node B's L1 misses, value in Redis)", "µs", l2, 1e6, ratioToFirstRow: true);
            PrintTable(results, "Invalidation propagation (A's call starts → B has applied it)", "ms", propagation.Rows, 1e3, ratioToFirstRow: false,
                p99Target: (propagation.Rows[1], Target.AtMost(5, "ms")));
            var removeP99Ms = propagation.Rows[1].Percentile(0.99) * 1e3;
            Console.WriteLine($"Target p99 ≤ 5 ms for RemoveAsync A → B: {(removeP99Ms <= 5 ? "met" : "MISSED")} (p99 {removeP99Ms:0.00} ms).");
            const string Propagation = "Invalidation propagation (A's call starts → B has applied it)";
            results.Add(Propagation, "invalidations applied but still fresh in B's L1", propagation.NotEvicted, "", target: Target.AtMost(0, ""));
            results.Add(Propagation, $"invalidations not applied within {ApplyTimeout.TotalSeconds} s", propagation.TimedOut, "", target: Target.AtMost(0, ""));
            Console.WriteLine($"Node B: {nodeB.Statistics.BackplaneReceivedCount} messages received, {nodeB.Statistics.BackplaneGapCount} gaps, " +
                $"{nodeB.Statistics.BackplaneReplayedCount} replayed, {nodeB.Statistics.BackplaneResyncCount} L1 resyncs; " +
                $"{propagation.NotEvicted} invalidations applied but still fresh in L1, {propagation.TimedOut} not applied within {ApplyTimeout.TotalSeconds} s.");
            return propagation.NotEvicted + propagation.TimedOut == 0 ? 0 : 1;
        }
        finally
        {
            await BenchRedis.DeleteAsync(admin, prefix);
        }
    }

    private static async Task<Row[]> MeasureL2HitsAsync(IDatabase db, TwoLevelCache nodeA, TwoLevelCache nodeB, string prefix, int reads)
    {
        var warmUp = Math.Min(200, reads);
        var total = warmUp + reads;
        var payload = ListPayload();
        for (var i = 0; i < total; i++)
        {
            await nodeA.SetAsync($"page:{i}", payload, Hour);
            await nodeA.SetAsync($"product:{i}", new ProductSummary(i, $"Product {i}", i + 0.99m), Hour);
            await db.StringSetAsync($"{prefix}raw:{i}", payload.Utf8Json);
        }

        var raw = new Row("Redis GET, same bytes (baseline)", reads);
        var payloadHit = new Row($"GetOrSetAsync payload ({payload.Utf8Json.Length} B CachedPayload)", reads);
        var genericHit = new Row("GetOrSetAsync<T> (record, JSON)", reads);
        for (var i = 0; i < total; i++)
        {
            // Interleaved, so the three see the same background noise.
            var start = Stopwatch.GetTimestamp();
            var bytes = (byte[]?)await db.StringGetAsync($"{prefix}raw:{i}");
            var afterRaw = Stopwatch.GetTimestamp();
            var page = await nodeB.GetOrSetAsync($"page:{i}", payload, NoPayloadFactory, Hour);
            var afterPayload = Stopwatch.GetTimestamp();
            var product = await nodeB.GetOrSetAsync($"product:{i}", default(ProductSummary)!, NoSummaryFactory, Hour);
            var afterGeneric = Stopwatch.GetTimestamp();
            if (bytes?.Length != payload.Utf8Json.Length || page.ETag != payload.ETag || product.Id != i)
            {
                throw new InvalidOperationException($"read {i} returned the wrong value");
            }

            if (i >= warmUp)
            {
                raw.Add(afterRaw - start);
                payloadHit.Add(afterPayload - afterRaw);
                genericHit.Add(afterGeneric - afterPayload);
            }
        }

        if (nodeB.Statistics.FactoryRunCount != 0 || nodeB.Statistics.L2HitCount != 2L * total)
        {
            throw new InvalidOperationException($"expected {2 * total} L2 hits on node B, got {nodeB.Statistics.L2HitCount} and {nodeB.Statistics.FactoryRunCount} factory runs");
        }

        return [raw, payloadHit, genericHit];
    }

    private static async Task<(Row[] Rows, int NotEvicted, int TimedOut)> MeasurePropagationAsync(
        TwoLevelCache nodeA, TwoLevelCache nodeB, ApplyProbe probe, int invalidations, int concurrency)
    {
        var warmUp = Math.Min(100, invalidations);
        var total = warmUp + invalidations;
        for (var i = 0; i < total; i++)
        {
            await nodeB.SetAsync($"inv:{i}", i, Hour);
            await nodeB.SetAsync($"tagged:{i}", i, Hour, [$"tag:{i}", "lists"]);
            await nodeB.SetAsync($"burst:{i}", i, Hour);
        }

        var ack = new Row("RemoveAsync on A: call returns", invalidations);
        var remove = new Row("RemoveAsync: A → applied on B", invalidations);
        var tag = new Row("RemoveByTagAsync: A → applied on B", invalidations);
        var burst = new Row($"RemoveAsync, {concurrency} in flight: A → applied on B", invalidations);
        var notEvicted = 0;
        var timedOut = 0;

        async Task<(long Start, long Returned, long Applied)?> InvalidateAsync(Func<string, ValueTask> invalidate, string name, string key)
        {
            var applied = probe.Expect(name);
            var start = Stopwatch.GetTimestamp();
            await invalidate(name);
            var returned = Stopwatch.GetTimestamp();
            try
            {
                var at = await applied.WaitAsync(ApplyTimeout);
                if (nodeB.IsFreshInL1(key))
                {
                    Interlocked.Increment(ref notEvicted);
                }

                return (start, returned, at);
            }
            catch (TimeoutException)
            {
                Interlocked.Increment(ref timedOut);
                return null;
            }
        }

        for (var i = 0; i < total; i++)
        {
            if (await InvalidateAsync(name => nodeA.RemoveAsync(name), $"inv:{i}", $"inv:{i}") is { } r && i >= warmUp)
            {
                ack.Add(r.Returned - r.Start);
                remove.Add(r.Applied - r.Start);
            }
        }

        for (var i = 0; i < total; i++)
        {
            if (await InvalidateAsync(name => nodeA.RemoveByTagAsync(name), $"tag:{i}", $"tagged:{i}") is { } r && i >= warmUp)
            {
                tag.Add(r.Applied - r.Start);
            }
        }

        var next = -1;
        var results = new ConcurrentBag<long>();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) is var i && i < total)
            {
                if (await InvalidateAsync(name => nodeA.RemoveAsync(name), $"burst:{i}", $"burst:{i}") is { } r && i >= warmUp)
                {
                    results.Add(r.Applied - r.Start);
                }
            }
        }));
        foreach (var ticks in results)
        {
            burst.Add(ticks);
        }

        return ([ack, remove, tag, burst], notEvicted, timedOut);
    }

    private static void PrintMachine(ConnectionMultiplexer redis, int reads, int invalidations, int concurrency)
    {
        Console.WriteLine("## Cache latency");
        Console.WriteLine();
        Console.WriteLine($"- Machine: {Environment.ProcessorCount} cores ({Machine.Cpu() ?? RuntimeInformation.ProcessArchitecture.ToString()}), {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}; load average {Machine.Load1()} at start");
        Console.WriteLine($"- Redis {BenchRedis.Version(redis)} at {redis.GetEndPoints()[0]} (loopback), database 2; two nodes in this process, one connection each");
        Console.WriteLine($"- {reads} L2 reads per row, {invalidations} invalidations per row ({concurrency} in flight for the burst row), after a warm-up");
        Console.WriteLine();
    }

    /// <summary>Prints a table of rows and records each row's p50 (against the first row's when it is the baseline) and p99.</summary>
    private static void PrintTable(BenchResults results, string title, string unit, Row[] rows, double scale, bool ratioToFirstRow, (Row Row, Target Target)? p99Target = null)
    {
        var baseline = rows[0].Percentile(0.5);
        Console.WriteLine($"### {title}");
        Console.WriteLine();
        var headers = new[] { "", "n", $"p50 {unit}", $"p90 {unit}", $"p99 {unit}", $"max {unit}", $"mean {unit}" };
        var table = ratioToFirstRow ? new MarkdownTable("lrrrrrrr", [.. headers, "p50 ratio"]) : new MarkdownTable("lrrrrrr", headers);
        foreach (var row in rows)
        {
            string F(double seconds) => (seconds * scale).ToString(scale >= 1e6 ? "0" : "0.00", CultureInfo.InvariantCulture);
            string[] cells = [row.Name, row.Count.ToString(CultureInfo.InvariantCulture), F(row.Percentile(0.5)), F(row.Percentile(0.9)), F(row.Percentile(0.99)), F(row.Max), F(row.Mean)];
            table.Add(ratioToFirstRow ? [.. cells, $"{(row.Percentile(0.5) / baseline).ToString("0.00", CultureInfo.InvariantCulture)}×"] : cells);
            var isBaseline = ratioToFirstRow && row == rows[0];
            results.Add(title, $"{row.Name}, p50", row.Percentile(0.5) * scale, unit, samples: row.Count,
                baseline: ratioToFirstRow && !isBaseline ? new Baseline(rows[0].Name, baseline * scale) : null);
            results.Add(title, $"{row.Name}, p99", row.Percentile(0.99) * scale, unit, samples: row.Count, target: p99Target?.Row == row ? p99Target.Value.Target : null);
        }

        table.Print();
        Console.WriteLine();
    }

    private static CachedPayload ListPayload()
    {
        var json = "{\"items\":[" + string.Join(',', Enumerable.Range(0, 20).Select(i => $"{{\"id\":{i},\"name\":\"Product {i}\",\"price\":{i}.99}}")) + "]}";
        return new CachedPayload(Encoding.UTF8.GetBytes(json), "\"v42\"");
    }

    /// <summary>One measured series, in stopwatch ticks (the FusionCache peer benchmark uses it too).</summary>
    internal sealed class Row(string name, int capacity)
    {
        private readonly List<long> _ticks = new(capacity);
        private bool _sorted;

        public string Name { get; } = name;

        public int Count => _ticks.Count;

        public double Max => Percentile(1);

        public double Mean => _ticks.Count == 0 ? double.NaN : _ticks.Average() / Stopwatch.Frequency;

        public void Add(long ticks)
        {
            _ticks.Add(ticks);
            _sorted = false;
        }

        /// <summary>Nearest-rank percentile, in seconds.</summary>
        public double Percentile(double q)
        {
            if (_ticks.Count == 0)
            {
                return double.NaN;
            }

            if (!_sorted)
            {
                _ticks.Sort();
                _sorted = true;
            }

            return (double)_ticks[Stats.NearestRank(_ticks.Count, q)] / Stopwatch.Frequency;
        }
    }

    /// <summary>Completes a waiter with the stopwatch time at which node B applied the named invalidation.</summary>
    private sealed class ApplyProbe
    {
        private readonly ConcurrentDictionary<string, TaskCompletionSource<long>> _waiting = new(StringComparer.Ordinal);

        public Task<long> Expect(string name)
        {
            var waiter = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting[name] = waiter;
            return waiter.Task;
        }

        public void OnApplied(InvalidationKind kind, string name, long seq)
        {
            var at = Stopwatch.GetTimestamp();
            if (_waiting.TryRemove(name, out var waiter))
            {
                waiter.TrySetResult(at);
            }
        }
    }
}
