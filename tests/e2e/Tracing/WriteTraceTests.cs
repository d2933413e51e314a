extern alias catalog;
extern alias invalidator;

using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Platform.Testing;
using Xunit.Abstractions;
using CatalogProgram = catalog::Program;
using DemoSeeder = catalog::Catalog.Api.Seeding.DemoSeeder;
using InvalidatorProgram = invalidator::Program;

namespace Platform.EndToEnd.Tests.Tracing;

/// <summary>
/// One write, one trace, across processes: the catalog API (its own binary, relay included) and the cache invalidator
/// (its own binary) export OTLP http/protobuf to a collector in the test, which decodes what arrived. The PUT carries a
/// <c>traceparent</c> with a trace id the test chose; every hop must continue that trace.
/// </summary>
public sealed class WriteTraceTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string WriterKey = "e2e-trace-writer-key-0123456789";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly string _busPrefix = TestIsolation.NewPrefix();
    private readonly string _redisPrefix = TestIsolation.NewPrefix() + ":";
    private readonly List<ServiceProcess> _services = [];
    private TestDatabase? _database;
    private OtlpCollector? _collector;

    private OtlpCollector Collector => _collector ?? throw new InvalidOperationException("not initialised");

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateMigratedAsync();
        await new DemoSeeder(_database.DataSource, NullLogger<DemoSeeder>.Instance).SeedAsync(2, 20, CancellationToken.None);
        _collector = await OtlpCollector.StartAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var service in _services)
        {
            await service.DisposeAsync();
        }

        if (_collector is not null)
        {
            await _collector.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    [Fact]
    public async Task OneTraceRunsFromTheCatalogPutThroughTheOutboxAndRabbitMqToTheInvalidatorsEviction()
    {
        // The invalidator first: its queue must be bound before the event is published.
        var invalidator = Start("cache-invalidator", typeof(InvalidatorProgram).Assembly.Location);
        await invalidator.WaitReadyAsync(Deadline);
        var catalog = Start("catalog-api", typeof(CatalogProgram).Assembly.Location);
        await catalog.WaitReadyAsync(Deadline);

        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        var callerSpanId = ActivitySpanId.CreateRandom().ToHexString();
        var product = await catalog.Client.GetFromJsonAsync<JsonElement>("/api/products/3");
        using var put = new HttpRequestMessage(HttpMethod.Put, "/api/products/3")
        {
            // The whole state as read but the name: the same price makes one event (ProductUpdated), so one chain to follow.
            Content = JsonContent.Create(new
            {
                name = "Traced end to end",
                description = product.GetProperty("description").GetString(),
                categoryId = product.GetProperty("categoryId").GetInt64(),
                price = product.GetProperty("price").GetDecimal(),
                currency = product.GetProperty("currency").GetString(),
                status = "active",
            }),
        };
        put.Headers.IfMatch.ParseAdd($"\"v{product.GetProperty("version").GetInt32()}\"");
        put.Headers.Add("X-Api-Key", WriterKey);
        put.Headers.Add("traceparent", $"00-{traceId}-{callerSpanId}-01");
        using var response = await catalog.Client.SendAsync(put);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        // Spans leave each process in batches, in any order: wait until the chain from the invalidator's eviction up to
        // the caller's span has arrived whole.
        List<OtlpSpan>? chain = null;
        await Eventually.TrueAsync(
            () => Task.FromResult((chain = ChainFromTheInvalidatorsEviction(traceId, callerSpanId)) is not null),
            Deadline,
            "every span from the catalog PUT to the invalidator's eviction at the collector");
        // The eviction's own work: Redis commands, spans of the Redis instrumentation, children of the eviction span.
        var eviction = chain![0];
        await Eventually.TrueAsync(
            () => Task.FromResult(Collector.Spans.Any(s => s.ParentSpanId == eviction.SpanId && s is { Service: "cache-invalidator", Kind: 3 } && s.Scope.Contains("StackExchangeRedis", StringComparison.Ordinal))),
            Deadline,
            "a Redis command span under the invalidator's eviction");
        foreach (var span in Collector.Spans.Where(s => s.TraceId == traceId))
        {
            output.WriteLine($"{span.Service,-18} {span.Scope,-26} kind {span.Kind} {span.SpanId} <- {span.ParentSpanId,-16} {span.Name}");
        }

        // From the last hop up to the first, each the parent of the one before.
        Assert.Collection(
            chain,
            s => Assert.True(s is { Service: "cache-invalidator", Scope: "Platform.Caching", Name: "cache evict" }, $"eviction: {s}"),
            s => Assert.True(s is { Service: "cache-invalidator", Scope: "MassTransit", Kind: 5 } && s.Name.EndsWith(" process", StringComparison.Ordinal), $"consume: {s}"),
            s => Assert.True(s is { Service: "cache-invalidator", Scope: "MassTransit", Kind: 5 } && s.Name.EndsWith(" receive", StringComparison.Ordinal), $"receive from RabbitMQ: {s}"),
            // The relay publishes over AMQP itself (issue #16): its span is the producer the consumer continues from.
            s => Assert.True(s is { Service: "catalog-api", Scope: "Platform.Messaging.Outbox", Name: "outbox publish", Kind: 4 }, $"relay: {s}"),
            s => Assert.True(s is { Service: "catalog-api", Scope: "Microsoft.AspNetCore", Kind: 2 } && s.Name.StartsWith("PUT /api/products/{id", StringComparison.Ordinal), $"request: {s}"));
    }

    /// <summary>
    /// The invalidator's eviction span of <paramref name="traceId"/> and its ancestors, nearest first, once every one of
    /// them has arrived and the oldest is the caller's child; null until then.
    /// </summary>
    private List<OtlpSpan>? ChainFromTheInvalidatorsEviction(string traceId, string callerSpanId)
    {
        var trace = Collector.Spans.Where(s => s.TraceId == traceId).ToList();
        var byId = trace.GroupBy(s => s.SpanId).ToDictionary(g => g.Key, g => g.First());
        var chain = new List<OtlpSpan>();
        for (var span = trace.FirstOrDefault(s => s is { Service: "cache-invalidator", Name: "cache evict" }); span is not null; span = byId.GetValueOrDefault(span.ParentSpanId))
        {
            chain.Add(span);
            if (span.ParentSpanId == callerSpanId)
            {
                return chain;
            }
        }

        return null;
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
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Collector.Endpoint.ToString(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            // Export finished spans within a fraction of a second instead of the default 5 s.
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        });
        _services.Add(service);
        return service;
    }
}
