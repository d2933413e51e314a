extern alias aggregator;
extern alias catalog;
extern alias invalidator;

using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Platform.Testing;
using Xunit.Abstractions;
using AggregatorProgram = aggregator::Program;
using CatalogProgram = catalog::Program;
using DemoSeeder = catalog::Catalog.Api.Seeding.DemoSeeder;
using InvalidatorProgram = invalidator::Program;

namespace Platform.EndToEnd.Tests.Monitoring;

/// <summary>
/// infra/prometheus and infra/grafana against the real thing: the three services as their own processes, some reads and
/// a write, and a real Prometheus (Debian's, own port and data folder) scraping them every second with the repository's
/// rule files. Every rule must load and evaluate healthy, every recording rule and dashboard query must return data,
/// and every series an alert compares must exist: a rule or panel naming a metric nobody exports fails here.
/// </summary>
public sealed class PrometheusRulesTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string WriterKey = "e2e-monitoring-writer-key-0123";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    private readonly string _busPrefix = TestIsolation.NewPrefix();
    private readonly string _redisPrefix = TestIsolation.NewPrefix() + ":";
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "platform-prometheus-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly List<ServiceProcess> _services = [];
    private readonly HttpClient _prometheus = new() { Timeout = TimeSpan.FromSeconds(10) };
    private TestDatabase? _database;
    private Process? _server;

    private static string Root { get; } = RepositoryRoot();

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateMigratedAsync();
        await new DemoSeeder(_database.DataSource, NullLogger<DemoSeeder>.Instance).SeedAsync(2, 20, CancellationToken.None);
        Directory.CreateDirectory(_folder);
    }

    public async Task DisposeAsync()
    {
        if (_server is { HasExited: false })
        {
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync();
        }

        _server?.Dispose();
        _prometheus.Dispose();
        foreach (var service in _services)
        {
            await service.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task EveryAlertAndDashboardQueryReturnsDataFromTheRunningServices()
    {
        var invalidator = Start("cache-invalidator", typeof(InvalidatorProgram).Assembly.Location);
        await invalidator.WaitReadyAsync(Deadline);
        var catalog = Start("catalog-api", typeof(CatalogProgram).Assembly.Location);
        var analytics = Start("analytics-aggregator", typeof(AggregatorProgram).Assembly.Location);
        await catalog.WaitReadyAsync(Deadline);
        await analytics.WaitReadyAsync(Deadline);
        await StartPrometheusAsync(("catalog-api", catalog), ("cache-invalidator", invalidator), ("analytics-aggregator", analytics));
        await ReadEveryKindTwiceAndWriteOnceAsync(catalog);

        var rules = await RulesAsync();
        var dashboard = DashboardQueries();
        Assert.Equal(RuleCount(), rules.Count);
        var queries = rules.Where(r => r.Type == "recording").Select(r => (What: "recording rule " + r.Name, Query: r.Query))
            .Concat(rules.Where(r => r.Type == "alerting").SelectMany(r => PromQl.Operands(r.Query).Select(q => (What: $"alert {r.Name}", Query: q))))
            .Concat(dashboard.Select(d => (What: "panel " + d.Panel, d.Query)))
            .ToList();

        List<string> empty = [];
        var waiting = Eventually.TrueAsync(async () =>
        {
            empty = [];
            foreach (var (what, query) in queries)
            {
                if (!await ReturnsDataAsync(query))
                {
                    empty.Add($"{what}: {query}");
                }
            }

            return empty.Count == 0;
        }, Deadline, "data for every query");
        try
        {
            await waiting;
        }
        catch (TimeoutException)
        {
            Assert.Fail($"no data within {Deadline.TotalSeconds} s for:\n" + string.Join('\n', empty));
        }

        foreach (var rule in await RulesAsync())
        {
            Assert.True(rule.Health == "ok", $"{rule.Name}: {rule.Health} {rule.LastError}");
        }

        output.WriteLine($"{rules.Count} rules and {dashboard.Count} panel queries ({queries.Count} queries) returned data");
    }

    private async Task ReadEveryKindTwiceAndWriteOnceAsync(ServiceProcess catalog)
    {
        string[] reads = ["/api/categories", "/api/products/3", "/api/products?category=1&sort=name&limit=5", "/api/products/popular", "/api/analytics/categories/1/daily"];
        for (var round = 0; round < 2; round++)
        {
            foreach (var path in reads)
            {
                using var response = await catalog.Client.GetAsync(new Uri(path, UriKind.Relative));
                Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode}");
            }
        }

        // A write: the outbox, the relay, the invalidator's consume lag and the backplane apply lag all move.
        var product = await catalog.Client.GetFromJsonAsync<JsonElement>("/api/products/3");
        using var put = new HttpRequestMessage(HttpMethod.Put, "/api/products/3")
        {
            Content = JsonContent.Create(new
            {
                name = "Monitored",
                description = product.GetProperty("description").GetString(),
                categoryId = product.GetProperty("categoryId").GetInt64(),
                price = product.GetProperty("price").GetDecimal(),
                currency = product.GetProperty("currency").GetString(),
                status = "active",
            }),
        };
        put.Headers.IfMatch.ParseAdd($"\"v{product.GetProperty("version").GetInt32()}\"");
        put.Headers.Add("X-Api-Key", WriterKey);
        using var written = await catalog.Client.SendAsync(put);
        Assert.Equal(HttpStatusCode.OK, written.StatusCode);
    }

    private async Task StartPrometheusAsync(params (string Job, ServiceProcess Service)[] targets)
    {
        var port = FreePort();
        var config = Path.Combine(_folder, "prometheus.yml");
        // The repository's rule files as they are; scrapes every second of the services' test ports, under the job names
        // of infra/prometheus/prometheus.yml.
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files:
              - {Path.Combine(Root, "infra", "prometheus", "rules.yml")}
              - {Path.Combine(Root, "infra", "prometheus", "alerts.yml")}
            scrape_configs:
            {string.Concat(targets.Select(t => $"  - job_name: {t.Job}\n    static_configs:\n      - targets: [\"127.0.0.1:{t.Service.Port}\"]\n"))}
            """);
        var start = new ProcessStartInfo("prometheus",
        [
            "--config.file=" + config, "--storage.tsdb.path=" + Path.Combine(_folder, "data"), $"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        _server = Process.Start(start)!;
        _server.OutputDataReceived += (_, e) => Log(e.Data);
        _server.ErrorDataReceived += (_, e) => Log(e.Data);
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        _prometheus.BaseAddress = new Uri($"http://127.0.0.1:{port}");
        await Eventually.TrueAsync(async () =>
        {
            Assert.False(_server.HasExited, "prometheus exited (see the test output)");
            try
            {
                var targetsUp = await _prometheus.GetFromJsonAsync<JsonElement>("/api/v1/targets?state=active");
                var active = targetsUp.GetProperty("data").GetProperty("activeTargets").EnumerateArray().ToList();
                return active.Count == targets.Length && active.All(t => t.GetProperty("health").GetString() == "up");
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, Deadline, "prometheus scraping every service");
    }

    private void Log(string? line)
    {
        if (line is not null)
        {
            try
            {
                output.WriteLine("prometheus: " + line);
            }
            catch (InvalidOperationException)
            {
                // The test has finished; its output is closed.
            }
        }
    }

    private async Task<bool> ReturnsDataAsync(string query)
    {
        var answer = await _prometheus.GetFromJsonAsync<JsonElement>("/api/v1/query?query=" + Uri.EscapeDataString(query));
        Assert.Equal("success", answer.GetProperty("status").GetString());
        return answer.GetProperty("data").GetProperty("result").GetArrayLength() > 0;
    }

    private async Task<List<(string Name, string Type, string Query, string Health, string? LastError)>> RulesAsync()
    {
        var answer = await _prometheus.GetFromJsonAsync<JsonElement>("/api/v1/rules");
        return [.. answer.GetProperty("data").GetProperty("groups").EnumerateArray()
            .SelectMany(g => g.GetProperty("rules").EnumerateArray())
            .Select(r => (
                r.GetProperty("name").GetString()!,
                r.GetProperty("type").GetString()!,
                r.GetProperty("query").GetString()!,
                r.GetProperty("health").GetString()!,
                r.TryGetProperty("lastError", out var error) ? error.GetString() : null))];
    }

    /// <summary>Rules in the files, counted by their <c>- record:</c> and <c>- alert:</c> lines, to check Prometheus loaded them all.</summary>
    private static int RuleCount() =>
        new[] { "rules.yml", "alerts.yml" }.Sum(file => File.ReadLines(Path.Combine(Root, "infra", "prometheus", file))
            .Count(line => line.TrimStart().StartsWith("- record:", StringComparison.Ordinal) || line.TrimStart().StartsWith("- alert:", StringComparison.Ordinal)));

    private static List<(string Panel, string Query)> DashboardQueries()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "infra", "grafana", "platform.json")));
        return [.. dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => (p.GetProperty("title").GetString()!, t.GetProperty("expr").GetString()!)))];
    }

    private ServiceProcess Start(string name, string assembly)
    {
        var service = ServiceProcess.Start(name, assembly, new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = new NpgsqlConnectionStringBuilder(_database!.ConnectionString) { ApplicationName = name }.ConnectionString,
            ["ConnectionStrings__Redis"] = TestServers.Redis,
            ["ConnectionStrings__RabbitMq"] = TestServers.RabbitMq.ToString(),
            ["Bus__EntityPrefix"] = _busPrefix,
            ["Cache__KeyPrefix"] = _redisPrefix,
            ["Auth__ApiKeys__0__Name"] = "writer",
            ["Auth__ApiKeys__0__Key"] = WriterKey,
            ["Auth__ApiKeys__0__Scopes__0"] = "catalog:write",
        });
        _services.Add(service);
        return service;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Platform.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Platform.sln not found above " + AppContext.BaseDirectory);
    }
}
