using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Contracts.Caching;

namespace Platform.Benchmarks.EndToEnd;

/// <summary>
/// Against a running <c>./platform up</c>: (1) PUT on catalog node 5100 → a read on node 5101 returns the new
/// version, p50/p99 over N writes (commit → outbox → RabbitMQ → invalidator → Redis → backplane → node);
/// (2) invalidations per second one invalidator node sustains (direct requests, counted on its /metrics).
/// Usage: <c>invalidation [--writes 500] [--requests 20000]</c>. Needs <c>. .platform/env</c> exported.
/// </summary>
public static partial class InvalidationBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var writes = Option(args, "--writes", 500);
        var requests = Option(args, "--requests", 20_000);
        var key = Environment.GetEnvironmentVariable("CATALOG_WRITE_KEY");
        if (string.IsNullOrEmpty(key))
        {
            await Console.Error.WriteLineAsync("invalidation: CATALOG_WRITE_KEY is not set (run: . .platform/env)");
            return 2;
        }

        using var writer = new HttpClient { BaseAddress = new Uri(Environment.GetEnvironmentVariable("CATALOG_URL") ?? "http://127.0.0.1:5100") };
        using var reader = new HttpClient { BaseAddress = new Uri(Environment.GetEnvironmentVariable("CATALOG_URL_2") ?? "http://127.0.0.1:5101") };
        writer.DefaultRequestHeaders.Add("X-Api-Key", key);

        var latencies = await MeasureWriteToReadAsync(writer, reader, writes);
        var rate = await MeasureInvalidatorThroughputAsync(requests);

        latencies.Sort();
        Console.WriteLine($"## End-to-end invalidation ({Environment.ProcessorCount} cores, load {Load()})");
        Console.WriteLine();
        Console.WriteLine("| measure | samples | p50 | p99 | max |");
        Console.WriteLine("|---|--:|--:|--:|--:|");
        Console.WriteLine($"| PUT on 5100 → new version read on 5101 | {latencies.Count} | {Pct(latencies, 0.50):0.0} ms | {Pct(latencies, 0.99):0.0} ms | {latencies[^1]:0.0} ms |");
        Console.WriteLine();
        Console.WriteLine("| measure | messages | seconds | per second |");
        Console.WriteLine("|---|--:|--:|--:|");
        Console.WriteLine($"| invalidations applied by one invalidator node | {requests} | {rate.Seconds:0.00} | {requests / rate.Seconds:0} |");
        Console.WriteLine();
        Console.WriteLine($"target p99 ≤ 25 ms: {(Pct(latencies, 0.99) <= 25 ? "met" : "NOT met")}");
        return 0;
    }

    private static async Task<List<double>> MeasureWriteToReadAsync(HttpClient writer, HttpClient reader, int writes)
    {
        var latencies = new List<double>(writes);
        const int productId = 11;
        for (var i = 0; i < writes; i++)
        {
            var current = await reader.GetFromJsonAsync<JsonElement>($"/api/products/{productId}");
            var version = current.GetProperty("version").GetInt32();
            using var put = new HttpRequestMessage(HttpMethod.Put, $"/api/products/{productId}")
            {
                Content = JsonContent.Create(new
                {
                    name = $"Benchmark {i}",
                    categoryId = current.GetProperty("categoryId").GetInt64(),
                    price = current.GetProperty("price").GetDecimal(),
                    status = "active",
                }),
            };
            put.Headers.IfMatch.ParseAdd($"\"v{version}\"");
            var response = await writer.SendAsync(put);
            if (!response.IsSuccessStatusCode)
            {
                // Another writer got there first: read again and retry this sample.
                i--;
                continue;
            }

            var committed = Stopwatch.GetTimestamp();
            var deadline = committed + Stopwatch.Frequency * 10;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var seen = await reader.GetFromJsonAsync<JsonElement>($"/api/products/{productId}");
                if (seen.GetProperty("version").GetInt32() > version)
                {
                    latencies.Add(Stopwatch.GetElapsedTime(committed).TotalMilliseconds);
                    break;
                }
            }
        }

        return latencies;
    }

    private static async Task<(double Seconds, long Applied)> MeasureInvalidatorThroughputAsync(int requests)
    {
        using var metrics = new HttpClient { BaseAddress = new Uri(Environment.GetEnvironmentVariable("INVALIDATOR_URL") ?? "http://127.0.0.1:5110") };
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddMassTransit(x => x.UsingRabbitMq((_, cfg) =>
            cfg.Host(new Uri(Environment.GetEnvironmentVariable("PLATFORM_RABBITMQ") ?? "amqp://guest:guest@127.0.0.1:56720/"))));
        using var host = builder.Build();
        await host.StartAsync();
        var bus = host.Services.GetRequiredService<IBus>();

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

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        await host.StopAsync();
        return (seconds, applied);
    }

    private static async Task<long> AppliedAsync(HttpClient metrics)
    {
        var text = await metrics.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var match = AppliedLine().Match(text);
        return match.Success ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    [GeneratedRegex("platform_invalidator_invalidations_total\\{message_type=\"CacheInvalidationRequested\"\\} (\\d+)")]
    private static partial Regex AppliedLine();

    private static double Pct(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var v) ? v : fallback;
    }

    private static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
}
