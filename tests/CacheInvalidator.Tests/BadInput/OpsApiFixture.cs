using Platform.Testing;

namespace CacheInvalidator.Tests.BadInput;

/// <summary>
/// The real invalidator on Kestrel (so body limits are real), with its mover off so the store changes only through the
/// API, over a database seeded with dead letters of every status — odd ones among them (a body that is not UTF-8,
/// unicode and control characters in headers) — and history entries.
/// </summary>
public sealed class OpsApiFixture : ServiceFixture
{
    public const string AdminKey = "ops-admin-key-0123456789abcdef";
    public const string WriterKey = "catalog-writer-key-0123456789abcdef";

    private ServiceHost<Program>? _host;

    public ServiceHost<Program> Host => _host ?? throw new InvalidOperationException("fixture not initialised");

    /// <summary>A client without default headers: every case sends the key it means to.</summary>
    public HttpClient Client { get; private set; } = null!;

    public IReadOnlyList<long> StoredIds { get; private set; } = [];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await SeedAsync();
        _host = new ServiceHost<Program>(new Dictionary<string, string?>(Settings)
        {
            ["DeadLetters:MoverEnabled"] = "false",
            ["Auth:ApiKeys:0:Name"] = "ops",
            ["Auth:ApiKeys:0:Key"] = AdminKey,
            ["Auth:ApiKeys:0:Scopes:0"] = "ops:admin",
            ["Auth:ApiKeys:1:Name"] = "catalog-writer",
            ["Auth:ApiKeys:1:Key"] = WriterKey,
            ["Auth:ApiKeys:1:Scopes:0"] = "catalog:write",
            // Hundreds of generated requests and wrong keys from one address: the limits have tests of their own.
            ["Auth:FailedKeyLimit"] = "1000000",
            ["RateLimiting:OpsPermitsPerMinute"] = "1000000",
            ["RateLimiting:OpsBurst"] = "1000000",
        });
        _host.UseKestrel(0);
        _host.StartServer();
        Client = _host.CreateClient();
    }

    /// <summary>A fingerprint of everything stored: every column of every dead letter and history entry.</summary>
    public async Task<string> SnapshotAsync()
    {
        await using var command = Database.DataSource.CreateCommand("""
            SELECT coalesce((SELECT md5(string_agg(d::text, '|' ORDER BY d.id)) FROM invalidator.dead_letters d), '')
                || '/' || coalesce((SELECT md5(string_agg(h::text, '|' ORDER BY h.id)) FROM invalidator.dead_letter_history h), '')
            """);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    public override async Task DisposeAsync()
    {
        Client?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        await base.DisposeAsync();
    }

    private async Task SeedAsync()
    {
        await using var command = Database.DataSource.CreateCommand("""
            INSERT INTO invalidator.dead_letters
                (source_queue, original_queue, message_id, message_type, content_type, properties, headers, body, exception_type, exception_message,
                 exception_stack, consumer_type, fingerprint, status, first_failed_at, last_failed_at, failure_count, replay_count, last_replayed_at,
                 last_replayed_by, purged_at, purged_by)
            VALUES
                ('cache-invalidator_error', 'cache-invalidator', 'm-1', 'Platform.Contracts.Catalog.ProductUpdated', 'application/vnd.masstransit+json',
                 '{"messageId": "m-1"}', '{"MT-Reason": "fault", "MT-Fault-Message": "eviction failed"}', '{"message": {"productId": 1}}'::bytea,
                 'System.TimeoutException', 'Redis did not answer', '   at X.Y()', 'InvalidationConsumer', '0123456789abcdef', 'stored',
                 now() - interval '2 days', now() - interval '1 day', 3, 0, NULL, NULL, NULL, NULL),
                ('cache-invalidator_error', 'cache-invalidator', 'sha256:00ff', NULL, 'application/octet-stream',
                 '{}', '{"x-odd": "ünïcödé 😀 \t tab", "nested": {"$base64": "AAEC"}}', '\xfffe006e6f74'::bytea,
                 'MassTransit.Serialization.SerializationException', 'not JSON: ''; DROP TABLE x; --', NULL, NULL, 'fedcba9876543210', 'stored',
                 now() - interval '1 hour', now() - interval '1 hour', 1, 0, NULL, NULL, NULL, NULL),
                ('analytics-aggregator_error', 'analytics-aggregator', 'm-3', 'Platform.Contracts.Catalog.ProductViewed', 'application/vnd.masstransit+json',
                 '{}', '{}', '{}'::bytea, 'System.InvalidOperationException', 'no message id', NULL, 'IngestConsumer', 'aaaaaaaaaaaaaaaa', 'replayed',
                 now() - interval '3 days', now() - interval '3 days', 1, 1, now() - interval '2 days', 'ops', NULL, NULL),
                ('cache-invalidator_error', 'cache-invalidator', 'm-4', 'Platform.Contracts.Caching.CacheInvalidationRequested', 'application/vnd.masstransit+json',
                 '{}', '{}', '{}'::bytea, 'CacheInvalidator.Invalidation.InvalidInvalidationRequestException', 'keys[0] is not a valid cache key', NULL,
                 'InvalidationConsumer', 'bbbbbbbbbbbbbbbb', 'purged', now() - interval '4 days', now() - interval '4 days', 1, 0, NULL, NULL, now() - interval '1 day', 'ops');
            INSERT INTO invalidator.dead_letter_history (actor, origin, action, selection, selected, succeeded, failed, dead_letter_ids, finished_at)
            VALUES ('ops', 'http', 'replay', '{"ids": [3]}', 1, 1, 0, '{3}', now() - interval '2 days'),
                   ('ops', 'cli', 'purge', '{"group": "bbbbbbbbbbbbbbbb"}', 1, 1, 0, '{4}', now() - interval '1 day');
            """);
        await command.ExecuteNonQueryAsync();
        StoredIds = [1, 2];
    }
}
