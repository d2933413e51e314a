using System.Text.Json;
using Microsoft.Playwright;
using Platform.Caching;
using Platform.Testing;
using StackExchange.Redis;

namespace CacheInvalidator.Tests.OpsConsole;

/// <summary>
/// The real invalidator on Kestrel (bus, mover, cache, console) over this class's database, Redis prefix and bus prefix,
/// with a named ops key per test class, and Debian's Chromium driven by Playwright (<c>PLATFORM_CHROMIUM</c>, default
/// <c>/usr/bin/chromium</c>; <c>./platform</c> installs it). With <c>OPS_CONSOLE_SCREENSHOTS</c> set to a folder, each page
/// the tests visit is saved there (docs/ops-console holds a committed sample).
/// </summary>
public sealed class OpsConsoleFixture : ServiceFixture
{
    public const string WriterKey = "catalog-writer-key-0123456789abcdef";

    private ServiceHost<Program>? _host;
    private IPlaywright? _playwright;

    /// <summary>The ops key's name: what history and logs must show as the actor.</summary>
    public string ActorName { get; } = "alice";

    public string ActorKey { get; } = "ops-key-" + Guid.NewGuid().ToString("N");

    public Uri BaseAddress { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public IConnectionMultiplexer Redis { get; private set; } = null!;

    public string? ScreenshotFolder { get; } = Environment.GetEnvironmentVariable("OPS_CONSOLE_SCREENSHOTS") is { Length: > 0 } folder ? folder : null;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _host = new ServiceHost<Program>(new Dictionary<string, string?>(Settings)
        {
            ["Auth:ApiKeys:0:Name"] = ActorName,
            ["Auth:ApiKeys:0:Key"] = ActorKey,
            ["Auth:ApiKeys:0:Scopes:0"] = "ops:admin",
            ["Auth:ApiKeys:1:Name"] = "catalog-writer",
            ["Auth:ApiKeys:1:Key"] = WriterKey,
            ["Auth:ApiKeys:1:Scopes:0"] = "catalog:write",
            ["RateLimiting:OpsPermitsPerMinute"] = "100000",
            ["RateLimiting:OpsBurst"] = "100000",
        });
        _host.UseKestrel(0);
        _host.StartServer();
        using (var client = _host.CreateClient())
        {
            BaseAddress = client.BaseAddress!;
        }

        Redis = await ConnectionMultiplexer.ConnectAsync(TestServers.Redis);
        var chromium = Environment.GetEnvironmentVariable("PLATFORM_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";
        if (!File.Exists(chromium))
        {
            throw new InvalidOperationException($"no Chromium at {chromium}: run ./platform servers (installs Debian's chromium) or set PLATFORM_CHROMIUM");
        }

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = chromium, Headless = true });
    }

    /// <summary>A fresh browser context (its own cookies) on the console's address.</summary>
    public Task<IBrowserContext> NewContextAsync() =>
        Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseAddress.ToString(), ViewportSize = new ViewportSize { Width = 1360, Height = 900 } });

    /// <summary>Signs in on the login page with <paramref name="key"/> (the fixture's named ops key by default).</summary>
    public async Task<IPage> SignInAsync(IBrowserContext context, string? key = null)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync("/ops/console/login");
        await page.FillAsync("#key", key ?? ActorKey);
        await page.ClickAsync("button[type=submit]");
        return page;
    }

    /// <summary>Saves a screenshot of the whole page as <paramref name="name"/>.png when <see cref="ScreenshotFolder"/> is set.</summary>
    public async Task ScreenshotAsync(IPage page, string name)
    {
        if (ScreenshotFolder is { } folder)
        {
            Directory.CreateDirectory(folder);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = true });
        }
    }

    /// <summary>
    /// A stored dead letter: a valid <c>CacheInvalidationRequested</c> for <paramref name="key"/> in MassTransit's envelope, as
    /// if it had failed every retry while Redis was down, with the invalidator's queue as its original queue (so a replay is
    /// consumed for real). Returns its id.
    /// </summary>
    public async Task<long> StoreDeadLetterAsync(string key, string reason)
    {
        var messageId = Guid.NewGuid();
        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
        {
            ["messageId"] = messageId.ToString(),
            ["messageType"] = new[] { "urn:message:Platform.Contracts.Caching:CacheInvalidationRequested" },
            ["message"] = new Dictionary<string, object?> { ["keys"] = new[] { key }, ["tags"] = Array.Empty<string>(), ["reason"] = reason, ["source"] = "pricing-service" },
            ["sentTime"] = DateTimeOffset.UtcNow.AddMinutes(-5).ToString("O"),
            ["headers"] = new Dictionary<string, object?>(),
        });
        var queue = $"{BusPrefix}-cache-invalidator";
        await using var command = Database.DataSource.CreateCommand("""
            INSERT INTO invalidator.dead_letters
                (source_queue, original_queue, message_id, message_type, content_type, properties, headers, body, exception_type, exception_message,
                 exception_stack, consumer_type, fingerprint, status, first_failed_at, last_failed_at)
            VALUES (@source, @queue, @message_id, 'Platform.Contracts.Caching.CacheInvalidationRequested', 'application/vnd.masstransit+json',
                    jsonb_build_object('messageId', @message_id, 'contentType', 'application/vnd.masstransit+json'),
                    '{"MT-Fault-ExceptionType": "StackExchange.Redis.RedisConnectionException", "MT-Reason": "fault"}', @body,
                    'StackExchange.Redis.RedisConnectionException', 'No connection is active/available to service this operation: EVALSHA',
                    '   at Platform.Caching.L2.RedisLayer.InvalidateAsync()', 'CacheInvalidator.Invalidation.InvalidationConsumer', @fingerprint, 'stored',
                    now() - interval '12 minutes', now() - interval '10 minutes')
            RETURNING id
            """);
        command.Parameters.AddWithValue("source", queue + "_error");
        command.Parameters.AddWithValue("queue", queue);
        command.Parameters.AddWithValue("message_id", messageId.ToString());
        command.Parameters.AddWithValue("body", body);
        command.Parameters.AddWithValue("fingerprint", Guid.NewGuid().ToString("N")[..16]);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>A cache node of its own on this class's Redis prefix, as a catalog node is: L1 + L2 + backplane.</summary>
    public async Task<TwoLevelCache> StartCacheNodeAsync()
    {
        var node = new TwoLevelCache(new CacheOptions { KeyPrefix = RedisPrefix }, Redis);
        await node.StartAsync();
        return node;
    }

    public override async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        if (Redis is not null)
        {
            await Redis.DisposeAsync();
        }

        await base.DisposeAsync();
    }
}
