using System.Text;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Platform.Caching;
using Platform.Contracts.Analytics;
using Platform.Contracts.Caching;
using Platform.Contracts.Catalog;
using Platform.Messaging.Wire;
using Platform.Testing;
using Platform.Testing.BadInput;
using StackExchange.Redis;

namespace CacheInvalidator.Tests.BadInput;

/// <summary>
/// The invalidator's queue as a poison sender sees it: the real service (retries shortened) consuming
/// <c>{prefix}-cache-invalidator</c>, a raw RabbitMQ connection to send anything to it, a watch on its error queue,
/// and a cache node to prove a valid invalidation still evicts. <see cref="MoverEnabled"/> decides whether failed
/// messages stay in the error queue or are drained into the dead-letter store.
/// </summary>
public class InvalidatorQueueFixture : ServiceFixture
{
    public static readonly TimeSpan Deadline = BadInputSettings.Deadline(TimeSpan.FromSeconds(30));

    /// <summary>Everything the invalidator's queue consumes, and what it must refuse, as poison is generated from it.</summary>
    public static readonly QueueContract Contract = new(
        "cache-invalidator",
        [
            CatalogMessageContracts.ProductCreated,
            CatalogMessageContracts.ProductUpdated,
            CatalogMessageContracts.ProductDeleted,
            CatalogMessageContracts.ProductPriceChanged,
            CatalogMessageContracts.CategoryChanged,
            new(MessageUrns.For<AnalyticsRollupCompleted>(),
                [("categoryIds", FieldKind.LongList), ("days", FieldKind.DateList), ("watermark", FieldKind.Long), ("completedAt", FieldKind.Time)]),
            Invalidation,
        ],
        [MessageUrns.For<ProductViewed>()])
    {
        InvalidValues = BadInvalidationRequest,
    };

    private static MessageContract Invalidation =>
        new(MessageUrns.For<CacheInvalidationRequested>(),
            [("keys", FieldKind.TextList), ("tags", FieldKind.TextList), ("reason", FieldKind.Text), ("source", FieldKind.Text)]);

    private ServiceHost<Program>? _host;
    private TwoLevelCache? _cache;
    private ConnectionMultiplexer? _redis;

    protected virtual bool MoverEnabled => false;

    public string Queue => $"{BusPrefix}-cache-invalidator";

    /// <summary>A marker of this fixture's run, in every poison message's marker header.</summary>
    public string RunMarker { get; } = TestIsolation.NewPrefix();

    public RawBroker Broker { get; private set; } = null!;

    public ErrorQueueWatch Watch { get; private set; } = null!;

    public ServiceHost<Program> Host => _host ?? throw new InvalidOperationException("fixture not initialised");

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Broker = await RawBroker.ConnectAsync();
        Watch = new ErrorQueueWatch(Broker, Queue);
        _host = new ServiceHost<Program>(new Dictionary<string, string?>(Settings)
        {
            ["Invalidator:ImmediateRetries"] = "1",
            ["Invalidator:ExponentialRetries"] = "1",
            ["Invalidator:MinRetryInterval"] = "00:00:00.050",
            ["DeadLetters:MoverEnabled"] = MoverEnabled ? "true" : "false",
            ["DeadLetters:MissingQueuePollInterval"] = "00:00:00.100",
            ["DeadLetters:RetryBaseDelay"] = "00:00:00.100",
            ["DeadLetters:RetryMaxDelay"] = "00:00:01",
        });
        _ = _host.Services;
        await _host.Services.GetRequiredService<IBusControl>().WaitForHealthStatus(BusHealthStatus.Healthy, Deadline);
        await Broker.WaitForConsumerAsync(Queue, Deadline);
        _redis = await ConnectionMultiplexer.ConnectAsync(TestServers.Redis);
        _cache = new TwoLevelCache(new CacheOptions { KeyPrefix = RedisPrefix, GapCheckInterval = TimeSpan.FromMilliseconds(200) }, _redis);
        await _cache.StartAsync();
    }

    /// <summary>Publishes every one of <paramref name="poison"/> to the queue, raw.</summary>
    public async Task SendAsync(IEnumerable<PoisonMessage> poison)
    {
        foreach (var p in poison)
        {
            await Broker.PublishAsync(Queue, p.Body, p.Properties());
        }
    }

    /// <summary>
    /// The service still works: a valid <see cref="CacheInvalidationRequested"/>, sent raw like the poison, evicts an
    /// entry a cache node holds.
    /// </summary>
    public async Task AssertAValidInvalidationStillEvictsAsync()
    {
        var key = "badinput:alive:" + Guid.NewGuid().ToString("N");
        await _cache!.GetOrSetAsync(key, (_, _) => Task.FromResult("v1"));
        var message = BadInputGenerator.Object([("keys", $"[\"{key}\"]"), ("tags", "[]"), ("reason", "\"bad-input suite\""), ("source", "\"tests\"")]);
        var body = Encoding.UTF8.GetBytes(PoisonMessages.Envelope(Invalidation.Urn, message, Guid.NewGuid()));
        await Broker.PublishAsync(Queue, body, new RabbitMQ.Client.BasicProperties { ContentType = PoisonMessages.EnvelopeContentType });
        await Eventually.TrueAsync(() => Task.FromResult(!_cache.IsFreshInL1(key)), Deadline, "a valid invalidation after the poison evicts its key");
    }

    public override async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        if (_cache is not null)
        {
            await _cache.DisposeAsync();
        }

        _redis?.Dispose();
        if (Broker is not null)
        {
            string[] types =
            [
                "Catalog:ProductCreated", "Catalog:ProductUpdated", "Catalog:ProductDeleted", "Catalog:ProductPriceChanged", "Catalog:CategoryChanged",
                "Analytics:AnalyticsRollupCompleted", "Caching:CacheInvalidationRequested",
            ];
            await Broker.DeleteAsync(
                [Queue, Watch.ErrorQueue, Watch.SkippedQueue],
                [Queue, Watch.ErrorQueue, Watch.SkippedQueue, .. types.Select(t => $"{BusPrefix}-Platform.Contracts.{t}")]);
            await Broker.DisposeAsync();
        }

        await base.DisposeAsync();
    }


    /// <summary>Well-typed invalidation requests the invalidator must refuse: names too long, odd characters, too many, none, no source.</summary>
    private static (string Urn, string MessageJson, bool WithMessageId) BadInvalidationRequest(BadInputGenerator g)
    {
        static string List(IEnumerable<string> names) => "[" + string.Join(',', names.Select(n => System.Text.Json.JsonSerializer.Serialize(n))) + "]";
        var good = List(["badinput:key"]);
        var bad = g.Random.Next(7) switch
        {
            0 => List([new string('k', CacheNames.MaxLength + 1 + g.Random.Next(1000))]),
            1 => List([g.Pick(["has space", "tab\there", "new\nline", "ünïcödé", "😀", "nul\u0000", "\u007f", ""])]),
            2 => List(Enumerable.Range(0, 101 + g.Random.Next(5000)).Select(i => $"k:{i}")),
            3 => List(["ok:1", g.Text() is { } t && !CacheNames.IsValidKey(t) ? t : " "]),
            4 => "null",
            _ => "[]",
        };
        var (keys, tags) = g.OneIn(2) ? (bad, g.OneIn(2) ? "[]" : good) : (g.OneIn(2) ? "[]" : good, bad);
        if (bad == "[]")
        {
            (keys, tags) = ("[]", "[]");
        }

        var source = g.Random.Next(5) switch
        {
            0 => "null",
            1 => "\"\"",
            2 => "\"   \"",
            3 => System.Text.Json.JsonSerializer.Serialize(new string('s', 101)),
            _ => "\"tests\"",
        };
        var reason = g.OneIn(4) ? System.Text.Json.JsonSerializer.Serialize(new string('r', 501)) : "\"bad-input suite\"";
        return (Invalidation.Urn, BadInputGenerator.Object([("keys", keys), ("tags", tags), ("reason", reason), ("source", source)]), true);
    }
}

/// <summary>The same, with the dead-letter mover draining the error queue into the store.</summary>
public sealed class InvalidatorWithMoverFixture : InvalidatorQueueFixture
{
    protected override bool MoverEnabled => true;
}
