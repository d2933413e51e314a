using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Benchmarks.Reporting;
using Platform.Contracts.Caching;

namespace Platform.Benchmarks.EndToEnd;

/// <summary>
/// Against a running <c>./platform up</c>: (1) PUT on catalog node 5100 → a read on node 5101 returns the new
/// version, p50/p99 over N writes, with the hops of the outbox chain timed from outside (<see cref="HopProbe"/>):
/// commit → the event at RabbitMQ, and commit → the invalidator's eviction on the Redis backplane (commit → outbox →
/// RabbitMQ → invalidator → Redis → backplane: what a node receives); (2) invalidations per second one invalidator
/// node sustains (direct requests, counted on its /metrics).
/// Usage: <c>invalidation [--writes 500] [--requests 20000]</c>. Needs <c>. .platform/env</c> exported.
/// </summary>
internal static partial class InvalidationBenchmark
{
    private const string Section = "End-to-end invalidation";
    private const long ProductId = 11;

    public static async Task<int> RunAsync(BenchOptions options, BenchResults results)
    {
        var writes = options.Int("--writes", 500);
        var requests = options.Int("--requests", 20_000);
        options.EnsureAllUsed();
        var key = Environment.GetEnvironmentVariable("CATALOG_WRITE_KEY");
        if (string.IsNullOrEmpty(key))
        {
            await Console.Error.WriteLineAsync("invalidation: CATALOG_WRITE_KEY is not set (run: . .platform/env)");
            return 2;
        }

        var rabbit = new Uri(Environment.GetEnvironmentVariable("PLATFORM_RABBITMQ") ?? "amqp://guest:guest@127.0.0.1:56720/");
        var redis = Environment.GetEnvironmentVariable("PLATFORM_REDIS") ?? "127.0.0.1:56379";
        using var writer = new HttpClient { BaseAddress = new Uri(Environment.GetEnvironmentVariable("CATALOG_URL") ?? "http://127.0.0.1:5100") };
        using var reader = new HttpClient { BaseAddress = new Uri(Environment.GetEnvironmentVariable("CATALOG_URL_2") ?? "http://127.0.0.1:5101") };
        writer.DefaultRequestHeaders.Add("X-Api-Key", key);

        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddMassTransit(x => x.UsingRabbitMq((_, cfg) => cfg.Host(rabbit)));
        using var host = builder.Build();
        await host.StartAsync();
        var bus = host.Services.GetRequiredService<IBus>();

        List<double> latencies;
        HopProbe hops;
        await using (hops = await HopProbe.StartAsync(rabbit, redis, "platform:", ProductId, bus))
        {
            latencies = await MeasureWriteToReadAsync(writer, reader, writes, hops);
        }

        var rate = await MeasureInvalidatorThroughputAsync(bus, requests);
        await host.StopAsync();

        Console.WriteLine($"## End-to-end invalidation ({Machine.Describe()})");
        Console.WriteLine();
        var table = new MarkdownTable("lrrrr", "measure", "samples", "p50", "p99", "max");
        Row(table, results, "PUT on 5100 → new version read on 5101 (the writing node evicts too, ADR 009)", latencies, null);
        Row(table, results, "PUT on 5100 → its event in a queue at RabbitMQ (relay)", hops.Broker, null);
        Row(table, results, "PUT on 5100 → the invalidator's eviction received from the backplane (commit → outbox → RabbitMQ → invalidator → Redis → backplane → node)", hops.Backplane, Target.AtMost(25, "ms"));
        table.Print();
        Console.WriteLine();
        var perSecond = rate.Applied / rate.Seconds;
        new MarkdownTable("lrrr", "measure", "messages", "seconds", "per second")
            .Add("invalidations applied by one invalidator node", rate.Applied.ToString(CultureInfo.InvariantCulture), rate.Seconds.ToString("0.00", CultureInfo.InvariantCulture), perSecond.ToString("N0", CultureInfo.InvariantCulture))
            .Print();
        results.Add(Section, "invalidations applied by one invalidator node", perSecond, "msg/s", samples: (int)rate.Applied);
        Console.WriteLine();
        var chain = Stats.PercentileOf(hops.Backplane.Where(double.IsFinite), 0.99);
        Console.WriteLine($"target p99 ≤ 25 ms for the whole chain: {(chain <= 25 ? "met" : "NOT met")} ({chain:0.0} ms; load {Machine.Load1()})");
        return 0;
    }

    private static void Row(MarkdownTable table, BenchResults results, string measure, List<double> values, Target? p99Target)
    {
        var seen = values.Where(double.IsFinite).Order().ToArray();
        string F(double ms) => seen.Length == 0 ? "n/a" : ms.ToString("0.0", CultureInfo.InvariantCulture) + " ms";
        var missing = values.Count - seen.Length;
        table.Add(measure, missing == 0 ? $"{seen.Length}" : $"{seen.Length} ({missing} not seen)", F(Stats.Percentile(seen, 0.5)), F(Stats.Percentile(seen, 0.99)), F(seen.Length == 0 ? double.NaN : seen[^1]));
        results.Add(Section, $"{measure}, p50", Stats.Percentile(seen, 0.5), "ms", samples: seen.Length);
        results.Add(Section, $"{measure}, p99", Stats.Percentile(seen, 0.99), "ms", samples: seen.Length, target: p99Target,
            note: missing == 0 ? null : $"{missing} of {values.Count} not seen within 5 s");
    }

    private static async Task<List<double>> MeasureWriteToReadAsync(HttpClient writer, HttpClient reader, int writes, HopProbe hops)
    {
        var latencies = new List<double>(writes);
        var throttled = TimeSpan.Zero;
        for (var i = 0; i < writes; i++)
        {
            var current = await reader.GetFromJsonAsync<JsonElement>($"/api/products/{ProductId}");
            var version = current.GetProperty("version").GetInt32();
            using var put = new HttpRequestMessage(HttpMethod.Put, $"/api/products/{ProductId}")
            {
                // The whole state as read (a PUT replaces it), with a new name.
                Content = JsonContent.Create(new
                {
                    name = $"Benchmark {i}",
                    description = current.GetProperty("description").GetString(),
                    categoryId = current.GetProperty("categoryId").GetInt64(),
                    price = current.GetProperty("price").GetDecimal(),
                    currency = current.GetProperty("currency").GetString(),
                    status = "active",
                }),
            };
            put.Headers.IfMatch.ParseAdd($"\"v{version}\"");
            hops.Arm();
            var response = await writer.SendAsync(put);
            if (response.StatusCode == HttpStatusCode.PreconditionFailed)
            {
                // Another writer got there first: read again and retry this sample.
                i--;
                continue;
            }

            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                // The writer's key is over its rate limit (Security:RateLimit, 50/s after a burst of 100; the samples
                // follow each other as fast as the chain allows): wait as told, untimed, and take this sample again.
                var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                throttled += wait;
                await Task.Delay(wait);
                i--;
                continue;
            }

            // Any other refusal is this benchmark's bug (a body the API refuses): retrying it would loop forever.
            response.EnsureSuccessStatusCode();

            var committed = Stopwatch.GetTimestamp();
            var deadline = committed + Stopwatch.Frequency * 10;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var seen = await reader.GetFromJsonAsync<JsonElement>($"/api/products/{ProductId}");
                if (seen.GetProperty("version").GetInt32() > version)
                {
                    latencies.Add(Stopwatch.GetElapsedTime(committed).TotalMilliseconds);
                    break;
                }
            }

            // The next write starts after this one's chain finished, so no hop of it overlaps the next sample.
            await hops.RecordAsync(committed);
        }

        if (throttled > TimeSpan.Zero)
        {
            Console.WriteLine($"The writer's key hit its rate limit: {throttled.TotalSeconds:0} s of Retry-After waited out (untimed); those samples were taken again.");
        }

        return latencies;
    }

    private static async Task<(double Seconds, long Applied)> MeasureInvalidatorThroughputAsync(IBus bus, int requests)
    {
        using var metrics = new HttpClient { BaseAddress = new Uri(Environment.GetEnvironmentVariable("INVALIDATOR_URL") ?? "http://127.0.0.1:5110") };
        var before = await AppliedAsync(metrics);
        var started = Stopwatch.GetTimestamp();
        for (var sent = 0; sent < requests; sent += 500)
        {
            await Task.WhenAll(Enumerable.Range(sent, Math.Min(500, requests - sent))
                .Select(i => bus.Publish(new CacheInvalidationRequested([$"bench:key:{i}"], [], "benchmark", "benchmarks"))));
        }

        long applied;
        do
        {
            await Task.Delay(50);
            applied = await AppliedAsync(metrics) - before;
        }
        while (applied < requests && Stopwatch.GetElapsedTime(started) < TimeSpan.FromMinutes(5));

        return (Stopwatch.GetElapsedTime(started).TotalSeconds, applied);
    }

    private static async Task<long> AppliedAsync(HttpClient metrics)
    {
        var text = await metrics.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var match = AppliedLine().Match(text);
        return match.Success ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    [GeneratedRegex("platform_invalidator_invalidations_total\\{message_type=\"CacheInvalidationRequested\"\\} (\\d+)")]
    private static partial Regex AppliedLine();
}
