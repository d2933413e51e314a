using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Platform.Benchmarks.Reporting;

namespace Platform.Benchmarks.ReadPath;

/// <summary>
/// <c>read-path [--url http://127.0.0.1:5100] [--duration 10] [--threads 2] [--connections 32] [--rounds 1]
/// [--catalog-dll PATH]</c>: HTTP throughput of the catalog's cached list read against <c>/health/live</c> (the
/// cheapest request the same process answers: routing, middleware, Kestrel) in the same run, and against the same
/// list from a node with <c>Catalog:CacheEnabled=false</c> (every request goes to PostgreSQL). Load comes from wrk
/// (Debian package <c>wrk</c>) on loopback. The cached node is <c>--url</c>, else the <c>./platform up</c> node on
/// 5100 when it answers, else a node this runner starts; the uncached node is always started here, from the same
/// binary, against the same database (<c>.platform/env</c>). Each list runs without Accept-Encoding and with
/// <c>br, gzip</c>. Targets: cached list ≥ 0.7 × /health/live requests/s, and ≥ 0.9 × with <c>br, gzip</c> (issue #16).
/// Prints Markdown.
/// </summary>
internal static partial class ReadPathBenchmark
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    public static async Task<int> RunAsync(BenchOptions options, BenchResults results)
    {
        var duration = options.Int("--duration", 10);
        var threads = options.Int("--threads", 2);
        var connections = options.Int("--connections", 32);
        var rounds = options.Int("--rounds", 1);
        var cachedOption = options.Text("--url");
        var catalogDll = options.Text("--catalog-dll");
        options.EnsureAllUsed();
        var wrk = FindWrk();
        var environment = CatalogNodes.ReadEnvironment();
        var binary = CatalogNodes.FindBinary(catalogDll);
        var nodes = new List<CatalogNodeProcess>();
        try
        {
            var cachedUrl = cachedOption ?? (await AnswersAsync("http://127.0.0.1:5100") ? "http://127.0.0.1:5100" : null);
            string cachedSource;
            if (cachedUrl is null)
            {
                var own = CatalogNodeProcess.Start(binary, "bench-read-cached", environment, new Dictionary<string, string>());
                nodes.Add(own);
                await own.WaitReadyAsync(StartTimeout);
                cachedUrl = own.BaseAddress.ToString().TrimEnd('/');
                cachedSource = $"started here from {binary}";
            }
            else
            {
                cachedSource = "already running (./platform up or --url)";
            }

            var uncached = CatalogNodeProcess.Start(binary, "bench-read-uncached", environment, new Dictionary<string, string> { ["Catalog__CacheEnabled"] = "false" });
            nodes.Add(uncached);
            await uncached.WaitReadyAsync(StartTimeout);
            var uncachedUrl = uncached.BaseAddress.ToString().TrimEnd('/');

            var category = await FirstCategoryAsync(cachedUrl);
            var list = $"/api/products?category={category}&sort=name&limit=50";
            Console.WriteLine("## Catalog read path (wrk)");
            Console.WriteLine();
            Console.WriteLine($"- Machine: {Machine.Describe()} at start; wrk, the nodes, PostgreSQL and Redis all on this machine (loopback)");
            Console.WriteLine($"- wrk -t{threads} -c{connections} -d{duration}s --latency, after a {WarmUpSeconds} s warm-up per URL; {rounds} round(s), URLs interleaved per round; medians reported");
            Console.WriteLine($"- cached node {cachedUrl} ({cachedSource}); uncached node {uncachedUrl} (Catalog__CacheEnabled=false, started here from {binary})");
            Console.WriteLine($"- list: GET {list} (one page: {await BodyBytesAsync(cachedUrl + list, null)} bytes as identity, {await BodyBytesAsync(cachedUrl + list, "br")} bytes as br); each URL without Accept-Encoding and with `{BrowserEncodings}` (what browsers and most HTTP clients send)");
            Console.WriteLine();

            var targets = new (string Name, string Url, string? Encodings)[]
            {
                ("GET /health/live (cached node)", cachedUrl + "/health/live", null),
                ("GET list, cached (L1 hit)", cachedUrl + list, null),
                ($"GET list, cached (L1 hit), Accept-Encoding: {BrowserEncodings}", cachedUrl + list, BrowserEncodings),
                ("GET list, uncached (PostgreSQL each time)", uncachedUrl + list, null),
                ($"GET list, uncached, Accept-Encoding: {BrowserEncodings}", uncachedUrl + list, BrowserEncodings),
            };
            foreach (var (_, url, encodings) in targets)
            {
                await RunWrkAsync(wrk, url, threads, connections, WarmUpSeconds, encodings);
            }

            var runs = targets.Select(_ => new List<WrkResult>()).ToArray();
            for (var round = 0; round < rounds; round++)
            {
                for (var t = 0; t < targets.Length; t++)
                {
                    runs[t].Add(await RunWrkAsync(wrk, targets[t].Url, threads, connections, duration, targets[t].Encodings));
                }
            }

            const string Section = "Catalog read path (wrk)";
            var live = Stats.Median(runs[0].Select(r => r.RequestsPerSecond));
            var cached = Stats.Median(runs[1].Select(r => r.RequestsPerSecond));
            var cachedCompressed = Stats.Median(runs[2].Select(r => r.RequestsPerSecond));
            var uncachedRate = Stats.Median(runs[3].Select(r => r.RequestsPerSecond));
            var table = new MarkdownTable("lrrrrrl", "request", "requests/s", "p50 ms", "p99 ms", "non-2xx", "vs /health/live", "load average after");
            for (var t = 0; t < targets.Length; t++)
            {
                var rate = Stats.Median(runs[t].Select(r => r.RequestsPerSecond));
                var p50 = Stats.Median(runs[t].Select(r => r.P50Ms));
                var p99 = Stats.Median(runs[t].Select(r => r.P99Ms));
                var errors = runs[t].Sum(r => r.Errors);
                table.Add(targets[t].Name, rate.ToString("N0", CultureInfo.InvariantCulture), p50.ToString("0.00", CultureInfo.InvariantCulture),
                    p99.ToString("0.00", CultureInfo.InvariantCulture), errors.ToString(CultureInfo.InvariantCulture),
                    (rate / live).ToString("0.00", CultureInfo.InvariantCulture), runs[t][^1].Load);
                results.Add(Section, $"{targets[t].Name}, requests/s", rate, "req/s", samples: runs[t].Count,
                    baseline: t == 0 ? null : new Baseline(targets[0].Name, live),
                    target: t switch { 1 => Target.RatioAtLeast(0.7), 2 => Target.RatioAtLeast(0.9), _ => null },
                    note: "each round: " + string.Join(", ", runs[t].Select(r => $"{r.RequestsPerSecond.ToString("N0", CultureInfo.InvariantCulture)} @ {r.Load.Split(' ')[0]}")));
                results.Add(Section, $"{targets[t].Name}, p50", p50, "ms", samples: runs[t].Count);
                results.Add(Section, $"{targets[t].Name}, p99", p99, "ms", samples: runs[t].Count);
                results.Add(Section, $"{targets[t].Name}, non-2xx and socket errors", errors, "", target: Target.AtMost(0, ""));
            }

            results.Add(Section, $"{targets[1].Name} against the uncached list, requests/s", cached, "req/s", baseline: new Baseline(targets[3].Name, uncachedRate));
            table.Print();
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Cached list / health/live: {cached / live:0.00} (target ≥ 0.7: {(cached / live >= 0.7 ? "met" : "NOT met")}); with {BrowserEncodings}: {cachedCompressed / live:0.00} (target ≥ 0.9: {(cachedCompressed / live >= 0.9 ? "met" : "NOT met")}); cached / uncached list: {cached / uncachedRate:0.0}×. Load average at the end: {Machine.LoadAverage()}."));
            return runs.Any(r => r.Any(x => x.Errors > 0)) ? 1 : 0;
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    private const int WarmUpSeconds = 2;

    /// <summary>What browsers and most HTTP clients send; the list must be served from bytes compressed once.</summary>
    private const string BrowserEncodings = "br, gzip";

    internal static async Task<WrkResult> RunWrkAsync(string wrk, string url, int threads, int connections, int seconds, string? encodings = null)
    {
        var start = new ProcessStartInfo(wrk) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { $"-t{threads}", $"-c{connections}", $"-d{seconds}s", "--timeout", "10s", "--latency" })
        {
            start.ArgumentList.Add(arg);
        }

        if (encodings is not null)
        {
            start.ArgumentList.Add("-H");
            start.ArgumentList.Add($"Accept-Encoding: {encodings}");
        }

        start.ArgumentList.Add(url);

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds + 60));
        await process.WaitForExitAsync(timeout.Token);
        var text = await stdout;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"wrk failed ({process.ExitCode}): {text}{await stderr}");
        }

        return WrkResult.Parse(text, Machine.LoadAverage());
    }

    private static async Task<bool> AnswersAsync(string url)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            using var response = await client.GetAsync(url + "/health/live");
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private static async Task<long> FirstCategoryAsync(string url)
    {
        using var client = new HttpClient();
        var page = await client.GetFromJsonAsync<JsonElement>(url + "/api/categories");
        return page.GetProperty("items").EnumerateArray().FirstOrDefault() is { ValueKind: JsonValueKind.Object } first
            ? first.GetProperty("id").GetInt64()
            : throw new InvalidOperationException("the catalog has no categories: seed it (./platform up does)");
    }

    private static async Task<int> BodyBytesAsync(string url, string? encoding)
    {
        using var client = new HttpClient(new HttpClientHandler { AutomaticDecompression = System.Net.DecompressionMethods.None });
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (encoding is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept-Encoding", encoding);
        }

        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        if (encoding is not null && !response.Content.Headers.ContentEncoding.Contains(encoding))
        {
            throw new InvalidOperationException($"{url} asked for {encoding} but came back as '{string.Join(",", response.Content.Headers.ContentEncoding)}'");
        }

        return (await response.Content.ReadAsByteArrayAsync()).Length;
    }

    private static string FindWrk()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':'))
        {
            var candidate = Path.Combine(directory, "wrk");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("wrk is not installed: apt-get install -y wrk");
    }

    /// <summary>The figures of one wrk run.</summary>
    internal sealed partial record WrkResult(double RequestsPerSecond, double P50Ms, double P99Ms, long Errors, string Load)
    {
        public static WrkResult Parse(string output, string load)
        {
            var rate = Requests().Match(output) is { Success: true } r ? double.Parse(r.Groups[1].Value, CultureInfo.InvariantCulture)
                : throw new FormatException($"no Requests/sec in wrk output:\n{output}");
            var errors = NonSuccess().Match(output) is { Success: true } e ? long.Parse(e.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
            errors += SocketErrors().Matches(output).Sum(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
            return new WrkResult(rate, Percentile(output, "50%"), Percentile(output, "99%"), errors, load);
        }

        private static double Percentile(string output, string label)
        {
            var match = Regex.Match(output, $@"^\s*{Regex.Escape(label)}\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            if (!match.Success)
            {
                throw new FormatException($"no {label} latency in wrk output:\n{output}");
            }

            var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            return match.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value };
        }

        [GeneratedRegex(@"Requests/sec:\s+([\d.]+)", RegexOptions.CultureInvariant)]
        private static partial Regex Requests();

        [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)", RegexOptions.CultureInvariant)]
        private static partial Regex NonSuccess();

        [GeneratedRegex(@"(?:connect|read|write|timeout) (\d+)", RegexOptions.CultureInvariant)]
        private static partial Regex SocketErrors();
    }
}
