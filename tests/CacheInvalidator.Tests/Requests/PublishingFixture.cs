using System.Text;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Caching;
using Platform.Testing;
using Platform.Testing.BadInput;
using RabbitMQ.Client;
using StackExchange.Redis;

namespace CacheInvalidator.Tests.Requests;

/// <summary>
/// The invalidator as another team's service meets it: the real service (mover on, so refused messages become stored
/// dead letters) on real RabbitMQ, Redis and PostgreSQL; a raw RabbitMQ connection publishing to the public request
/// exchange like a publisher without MassTransit; a cache node whose entries must go; an HTTP client with two keys
/// (ops and invalidate-only); and readers of the dead-letter store and the request record.
/// </summary>
public sealed class PublishingFixture : ServiceFixture
{
    public const string OpsKey = "ops-alice-key-0123456789abcdef";
    public const string InvalidateKey = "pricing-key-0123456789abcdef01";
    public const string MarkerHeader = "x-test-marker";
    public static readonly TimeSpan Deadline = BadInputSettings.Deadline(TimeSpan.FromSeconds(30));

    private ServiceHost<Program>? _host;
    private TwoLevelCache? _cache;
    private ConnectionMultiplexer? _redis;

    public ServiceHost<Program> Host => _host ?? throw new InvalidOperationException("fixture not initialised");

    public RawBroker Broker { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    /// <summary>The exchange MassTransit publishes <c>CacheInvalidationRequested</c> to, with this fixture's prefix.</summary>
    public string PublicExchange => $"{BusPrefix}-Platform.Contracts.Caching:CacheInvalidationRequested";

    public string Queue => $"{BusPrefix}-cache-invalidator";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Broker = await RawBroker.ConnectAsync();
        _host = new ServiceHost<Program>(new Dictionary<string, string?>(Settings)
        {
            ["Invalidator:ImmediateRetries"] = "1",
            ["Invalidator:ExponentialRetries"] = "1",
            ["Invalidator:MinRetryInterval"] = "00:00:00.050",
            // One message at a time, in order: a test can tell a redelivery was handled once the message after it was.
            ["Invalidator:PrefetchCount"] = "1",
            ["Invalidator:ConcurrencyLimit"] = "1",
            ["DeadLetters:MissingQueuePollInterval"] = "00:00:00.100",
            ["DeadLetters:RetryBaseDelay"] = "00:00:00.100",
            ["DeadLetters:RetryMaxDelay"] = "00:00:01",
            ["Auth:ApiKeys:0:Name"] = "alice",
            ["Auth:ApiKeys:0:Key"] = OpsKey,
            ["Auth:ApiKeys:0:Scopes:0"] = "ops:admin",
            ["Auth:ApiKeys:1:Name"] = "pricing-service",
            ["Auth:ApiKeys:1:Key"] = InvalidateKey,
            ["Auth:ApiKeys:1:Scopes:0"] = "cache:invalidate",
            ["RateLimiting:OpsPermitsPerMinute"] = "1000000",
            ["RateLimiting:OpsBurst"] = "1000000",
        });
        Client = _host.CreateClient();
        await _host.Services.GetRequiredService<IBusControl>().WaitForHealthStatus(BusHealthStatus.Healthy, Deadline);
        await Broker.WaitForConsumerAsync(Queue, Deadline);
        _redis = await ConnectionMultiplexer.ConnectAsync(TestServers.Redis);
        _cache = new TwoLevelCache(new CacheOptions { KeyPrefix = RedisPrefix, GapCheckInterval = TimeSpan.FromMilliseconds(200) }, _redis);
        await _cache.StartAsync();
    }

    /// <summary>A key of the test's own, cached on the node.</summary>
    public async Task<string> CachedKeyAsync(string name)
    {
        var key = $"test:{name}:{Guid.NewGuid():N}";
        await _cache!.GetOrSetAsync(key, (_, _) => Task.FromResult("v1"));
        return key;
    }

    public Task WaitUntilEvictedAsync(string key) =>
        Eventually.TrueAsync(() => Task.FromResult(!_cache!.IsFreshInL1(key)), Deadline, $"{key} evicted on the cache node");

    public bool IsCached(string key) => _cache!.IsFreshInL1(key);

    /// <summary>Publishes <paramref name="body"/> to the public request exchange as plain RabbitMQ would, marked with <paramref name="marker"/>.</summary>
    public Task PublishAsync(string body, string marker, string contentType = "application/json", string? type = null, string? messageId = null) =>
        Broker.PublishToExchangeAsync(PublicExchange, "", Encoding.UTF8.GetBytes(body), new BasicProperties
        {
            ContentType = contentType,
            Type = type,
            MessageId = messageId,
            DeliveryMode = DeliveryModes.Persistent,
            Headers = new Dictionary<string, object?> { [MarkerHeader] = marker },
        });

    /// <summary>The stored dead letter carrying <paramref name="marker"/>: its message type, exception type and message.</summary>
    public Task<DeadLetterRow> DeadLetterAsync(string marker) =>
        Eventually.ReturnsAsync(async () =>
        {
            await using var command = Database.DataSource.CreateCommand(
                "SELECT message_type, exception_type, exception_message, source_queue FROM invalidator.dead_letters WHERE headers->>@header = @marker");
            command.Parameters.AddWithValue("header", MarkerHeader);
            command.Parameters.AddWithValue("marker", marker);
            await using var reader = await command.ExecuteReaderAsync();
            return await reader.ReadAsync()
                ? new DeadLetterRow(Text(reader, 0), Text(reader, 1), Text(reader, 2), reader.GetString(3))
                : (DeadLetterRow?)null;
        }, Deadline, $"a dead letter marked {marker}");

    /// <summary>The recorded requests whose reason is <paramref name="reason"/> (tests make their reasons unique).</summary>
    public async Task<List<RecordRow>> RecordsAsync(string reason)
    {
        await using var command = Database.DataSource.CreateCommand(
            "SELECT channel, message_id, actor, source, keys, tags FROM invalidator.invalidation_requests WHERE reason = @reason ORDER BY id");
        command.Parameters.AddWithValue("reason", reason);
        var rows = new List<RecordRow>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new RecordRow(reader.GetString(0), Text(reader, 1), Text(reader, 2), reader.GetString(3), reader.GetFieldValue<string[]>(4), reader.GetFieldValue<string[]>(5)));
        }

        return rows;
    }

    public async Task<RecordRow> RecordAsync(string reason)
    {
        await Eventually.TrueAsync(async () => (await RecordsAsync(reason)).Count > 0, Deadline, $"a record with reason '{reason}'");
        return Assert.Single(await RecordsAsync(reason));
    }

    public HttpRequestMessage Request(HttpMethod method, string path, string key, string? json = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-Api-Key", key);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        return request;
    }

    public override async Task DisposeAsync()
    {
        Client?.Dispose();
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
            string[] queues = [Queue, Queue + "_error", Queue + "_skipped"];
            await Broker.DeleteAsync(queues, [.. queues, .. types.Select(t => $"{BusPrefix}-Platform.Contracts.{t}")]);
            await Broker.DisposeAsync();
        }

        await base.DisposeAsync();
    }

    private static string? Text(NpgsqlDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.GetString(column);
}

public readonly record struct DeadLetterRow(string? MessageType, string? ExceptionType, string? ExceptionMessage, string SourceQueue);

public sealed record RecordRow(string Channel, string? MessageId, string? Actor, string Source, string[] Keys, string[] Tags);
