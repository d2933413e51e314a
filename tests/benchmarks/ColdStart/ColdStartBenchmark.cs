using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Benchmarks.ReadPath;
using Platform.Benchmarks.Reporting;
using Platform.Benchmarks.Support;

namespace Platform.Benchmarks.ColdStart;

/// <summary>
/// <c>cold-start [--trials 3] [--requests 200] [--catalog-dll PATH] [--il-dll PATH]</c>: the first requests a catalog
/// node serves after it reports ready, against the same node's next requests (steady state), for two builds started
/// alternately in the same run: what <c>./platform up</c> runs (ReadyToRun, with the warm-up before ready) and the
/// plain IL build without warm-up (what it ran before issue #16; built here into <c>.platform/bench/catalog-il</c>
/// unless <c>--il-dll</c>). Every request reads a key no earlier request read (list pages of every sort and size,
/// items), with <c>Accept-Encoding: br, gzip</c>, and every tenth is a PUT; so both passes pay the same PostgreSQL and
/// Redis work and differ only in what the process had not done yet. Target: the first pass's p99 ≤ 1.5 × the steady
/// pass's p99, for the ReadyToRun build. The figure's note names each trial's slowest first-pass requests and what the
/// node's JIT and GC did in each pass (its own <c>/metrics</c>), which is where a cold start's cost shows.
/// </summary>
internal static class ColdStartBenchmark
{
    private const string Section = "Cold start (catalog node, first requests after ready)";

    public static async Task<int> RunAsync(BenchOptions options, BenchResults results)
    {
        var trials = options.Int("--trials", 3);
        var requests = options.Int("--requests", 200, min: 20);
        var catalogDll = options.Text("--catalog-dll");
        var ilDll = options.Text("--il-dll");
        options.EnsureAllUsed();
        var environment = CatalogNodes.ReadEnvironment();
        var r2r = CatalogNodes.FindBinary(catalogDll);
        var il = ilDll ?? await BuildIlAsync();
        var variants = new (string Name, string Binary, bool WarmUp)[]
        {
            ("ReadyToRun + warm-up (./platform up)", r2r, true),
            ("IL only, no warm-up (before)", il, false),
        };

        Console.WriteLine("## " + Section);
        Console.WriteLine();
        Console.WriteLine($"- Machine: {Machine.Describe()} at start; node, PostgreSQL and Redis on this machine (loopback)");
        Console.WriteLine($"- {trials} trial(s) per build, builds alternating; per trial a fresh process, then {requests} requests right after /health/ready answered 200 (first pass) and {requests} more (steady pass); each request a key not read before; every 10th a PUT");
        Console.WriteLine();

        var product = await CreateBenchProductAsync(r2r, environment);
        var sequence = 0;
        var figures = variants.Select(_ => new List<Trial>()).ToArray();
        for (var trial = 0; trial < trials; trial++)
        {
            for (var v = 0; v < variants.Length; v++)
            {
                figures[v].Add(await RunTrialAsync(variants[v].Binary, variants[v].WarmUp, environment, product, requests, () => Interlocked.Increment(ref sequence)));
            }
        }

        var table = new MarkdownTable("lrrrrrrrl", "build", "start → ready ms", "first pass p50 ms", "first pass p99 ms", "first pass max ms", "steady p50 ms", "steady p99 ms", "first p99 ÷ steady p99", "first PUT ms");
        var failed = false;
        for (var v = 0; v < variants.Length; v++)
        {
            var runs = figures[v];
            var ready = Stats.Median(runs.Select(r => r.ReadyMs));
            var firstP50 = Stats.Median(runs.Select(r => Stats.PercentileOf(r.First, 0.5)));
            var firstP99 = Stats.Median(runs.Select(r => Stats.PercentileOf(r.First, 0.99)));
            var firstMax = Stats.Median(runs.Select(r => r.First.Max()));
            var steadyP50 = Stats.Median(runs.Select(r => Stats.PercentileOf(r.Steady, 0.5)));
            var steadyP99 = Stats.Median(runs.Select(r => Stats.PercentileOf(r.Steady, 0.99)));
            var firstPut = Stats.Median(runs.Select(r => r.FirstPutMs));
            var name = variants[v].Name;
            table.Add(name, F(ready), F(firstP50), F(firstP99), F(firstMax), F(steadyP50), F(steadyP99), (firstP99 / steadyP99).ToString("0.00", CultureInfo.InvariantCulture), F(firstPut));
            results.Add(Section, $"{name}: start to ready", ready, "ms", samples: runs.Count);
            results.Add(Section, $"{name}: first pass p99", firstP99, "ms", samples: runs.Count,
                baseline: new Baseline($"{name}: steady pass p99", steadyP99), target: v == 0 ? Target.RatioAtMost(1.5) : null,
                note: "each trial (first/steady p99): " + string.Join(", ", runs.Select(r => $"{F(Stats.PercentileOf(r.First, 0.99))}/{F(Stats.PercentileOf(r.Steady, 0.99))} @ {r.Load.Split(' ')[0]}"))
                    + "; each trial's slowest first-pass requests (# in the pass): " + string.Join(" | ", runs.Select(r => r.Slowest))
                    + "; the node's runtime in each trial's first pass / steady pass: " + string.Join(" | ", runs.Select(r => $"{r.FirstRuntime} / {r.SteadyRuntime}")));
            results.Add(Section, $"{name}: first pass max", firstMax, "ms", samples: runs.Count);
            results.Add(Section, $"{name}: first PUT", firstPut, "ms", samples: runs.Count);
            failed |= runs.Any(r => r.Errors > 0);
        }

        var ours = Stats.Median(figures[0].Select(r => Stats.PercentileOf(r.First, 0.99)));
        var before = Stats.Median(figures[1].Select(r => Stats.PercentileOf(r.First, 0.99)));
        results.Add(Section, "first pass p99, ReadyToRun + warm-up against IL without warm-up", ours, "ms", baseline: new Baseline(variants[1].Name, before));
        table.Print();
        Console.WriteLine();
        Console.WriteLine($"First-pass p99: {F(ours)} ms with ReadyToRun + warm-up, {F(before)} ms before ({ours / before:0.00}×). Load average at the end: {Machine.LoadAverage()}.");
        return failed ? 1 : 0;
    }

    private sealed record Trial(double ReadyMs, List<double> First, List<double> Steady, double FirstPutMs, int Errors, string Load, string Slowest, RuntimeCounters FirstRuntime, RuntimeCounters SteadyRuntime);

    private static async Task<Trial> RunTrialAsync(string binary, bool warmUp, PlatformEnvironment environment, long product, int requests, Func<int> next)
    {
        var clock = Stopwatch.StartNew();
        await using var node = CatalogNodeProcess.Start(binary, "bench-cold-start", environment, new Dictionary<string, string>
        {
            ["Service__WarmUp__Enabled"] = warmUp ? "true" : "false",
        });
        await node.WaitReadyAsync(TimeSpan.FromSeconds(120));
        var ready = clock.Elapsed.TotalMilliseconds;
        using var client = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = System.Net.DecompressionMethods.None }) { BaseAddress = node.BaseAddress };
        client.DefaultRequestHeaders.TryAddWithoutValidation("Accept-Encoding", "br, gzip");
        client.DefaultRequestHeaders.TryAddWithoutValidation("X-Api-Key", environment.CatalogWriteKey);
        var errors = 0;
        double firstPut = double.NaN;
        var slowest = new List<(double Ms, int Index, string What)>();
        async Task<List<double>> PassAsync(bool first)
        {
            var times = new List<double>(requests);
            for (var i = 0; i < requests; i++)
            {
                var n = next();
                var watch = Stopwatch.StartNew();
                HttpResponseMessage response;
                var what = Path(n);
                if (i % 10 == 9)
                {
                    (response, var getMs) = await PutAsync(client, product, n);
                    what = $"PUT (its GET {F(getMs)} ms)";
                    if (double.IsNaN(firstPut))
                    {
                        firstPut = watch.Elapsed.TotalMilliseconds;
                    }
                }
                else
                {
                    response = await client.GetAsync(what);
                }

                await response.Content.CopyToAsync(Stream.Null);
                times.Add(watch.Elapsed.TotalMilliseconds);
                if (first)
                {
                    slowest.Add((watch.Elapsed.TotalMilliseconds, i, what));
                }

                errors += response.IsSuccessStatusCode ? 0 : 1;
                response.Dispose();
            }

            return times;
        }

        using var metrics = new HttpClient { BaseAddress = node.BaseAddress };
        var atReady = await RuntimeCountersAsync(metrics);
        var first = await PassAsync(first: true);
        var afterFirst = await RuntimeCountersAsync(metrics);
        var steady = await PassAsync(first: false);
        var afterSteady = await RuntimeCountersAsync(metrics);
        var top = string.Join("; ", slowest.OrderByDescending(s => s.Ms).Take(3).Select(s => $"#{s.Index} {s.What} {F(s.Ms)} ms"));
        Console.Error.WriteLine($"{(warmUp ? "warm-up" : "no warm-up")}: first pass p99 {F(Stats.PercentileOf(first, 0.99))} ms, steady {F(Stats.PercentileOf(steady, 0.99))} ms; slowest first-pass requests: {top}");
        Console.Error.WriteLine($"  first pass: {afterFirst - atReady}; steady pass: {afterSteady - afterFirst}");
        return new Trial(ready, first, steady, firstPut, errors, Machine.LoadAverage(), top, afterFirst - atReady, afterSteady - afterFirst);
    }

    // The node's own runtime counters (its /metrics): what the JIT and the GC did during a pass.
    private sealed record RuntimeCounters(double JitMethods, double JitSeconds, double Gen0, double Gen1, double Gen2, double GcPauseSeconds)
    {
        public static RuntimeCounters operator -(RuntimeCounters a, RuntimeCounters b) =>
            new(a.JitMethods - b.JitMethods, a.JitSeconds - b.JitSeconds, a.Gen0 - b.Gen0, a.Gen1 - b.Gen1, a.Gen2 - b.Gen2, a.GcPauseSeconds - b.GcPauseSeconds);

        public override string ToString() =>
            $"JIT {JitMethods:0} methods {JitSeconds * 1000:0.0} ms, GCs {Gen0:0}/{Gen1:0}/{Gen2:0} (gen0/1/2) paused {GcPauseSeconds * 1000:0.0} ms";
    }

    private static async Task<RuntimeCounters> RuntimeCountersAsync(HttpClient client)
    {
        var text = await client.GetStringAsync("/metrics");
        double Value(string name)
        {
            foreach (var line in text.Split('\n'))
            {
                if (line.StartsWith(name, StringComparison.Ordinal) && line.LastIndexOf(' ') is var space and > 0)
                {
                    return double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
                }
            }

            return double.NaN;
        }

        return new RuntimeCounters(
            Value("dotnet_jit_compiled_methods_total"), Value("dotnet_jit_compilation_time_seconds_total"),
            Value("dotnet_gc_collections_total{gc_heap_generation=\"gen0\"}"), Value("dotnet_gc_collections_total{gc_heap_generation=\"gen1\"}"),
            Value("dotnet_gc_collections_total{gc_heap_generation=\"gen2\"}"), Value("dotnet_gc_pause_time_seconds_total"));
    }

    // A key no earlier request of the run read: list pages by category, sort and size, or an item.
    private static string Path(int n)
    {
        if (n % 3 == 0)
        {
            return $"/api/products/{1 + (n * 7919 % 19_000)}";
        }

        string[] sorts = ["recent", "name", "price_asc", "price_desc"];
        var shape = n / 3;
        return $"/api/products?category={1 + (shape % 50)}&sort={sorts[shape / 50 % 4]}&limit={1 + (shape / 200 % 100)}";
    }

    // The PUT a client sends after reading the product (its ETag), and how long that read took.
    private static async Task<(HttpResponseMessage Response, double GetMs)> PutAsync(HttpClient client, long product, int n)
    {
        var watch = Stopwatch.StartNew();
        using var current = await client.GetAsync($"/api/products/{product}");
        var getMs = watch.Elapsed.TotalMilliseconds;
        var etag = current.Headers.ETag?.Tag ?? "\"v1\"";
        var put = new HttpRequestMessage(HttpMethod.Put, $"/api/products/{product}")
        {
            Content = JsonContent.Create(new { name = $"Cold start {n}", description = "", categoryId = 1, price = 9.5m, currency = "EUR", status = "draft" }),
        };
        put.Headers.TryAddWithoutValidation("If-Match", etag.Replace("-br\"", "\"", StringComparison.Ordinal).Replace("-gzip\"", "\"", StringComparison.Ordinal));
        return (await client.SendAsync(put), getMs);
    }

    private static async Task<long> CreateBenchProductAsync(string binary, PlatformEnvironment environment)
    {
        await using var node = CatalogNodeProcess.Start(binary, "bench-cold-start-setup", environment, new Dictionary<string, string>());
        await node.WaitReadyAsync(TimeSpan.FromSeconds(120));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/products")
        {
            Content = JsonContent.Create(new { sku = "COLD-" + Guid.NewGuid().ToString("N")[..10].ToUpperInvariant(), name = "Cold start", categoryId = 1, price = 9.5m, status = "draft" }),
        };
        request.Headers.TryAddWithoutValidation("X-Api-Key", environment.CatalogWriteKey);
        using var response = await node.Client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    private static async Task<string> BuildIlAsync()
    {
        var output = System.IO.Path.Combine(Repository.Root(), ".platform", "bench", "catalog-il");
        Console.Error.WriteLine($"building the IL-only catalog into {output}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "build", System.IO.Path.Combine(Repository.Root(), "services", "catalog-api", "Catalog.Api.csproj"), "-c", "Release", "-o", output, "--nologo", "-v", "q", "-clp:ErrorsOnly" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var text = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? System.IO.Path.Combine(output, "Catalog.Api.dll") : throw new InvalidOperationException($"IL build failed: {await text}");
    }

    private static string F(double value) => value.ToString(value >= 100 ? "0" : "0.0", CultureInfo.InvariantCulture);
}
