using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.DeadLetters.Cli;
using Platform.DeadLetters.Operations;
using Platform.Hosting;
using Platform.Hosting.Connections;
using Platform.Hosting.Security;
using Platform.Messaging.Bus;
using Platform.Testing;
using RabbitMQ.Client;

namespace Platform.DeadLetters.Tests;

/// <summary>
/// One test's world: a database cloned from the migrated template, a bus prefix of its own, and intent-named helpers
/// to make real faults (a MassTransit consumer that throws, a raw non-JSON publish), run ops nodes, the CLI, and read
/// the store. Disposing it removes the test's queues and exchanges and drops the database.
/// </summary>
internal sealed class DeadLetterHarness : IAsyncDisposable
{
    public const string AdminKey = "ops-admin-key-0123456789abcdef";
    public const string WriterKey = "catalog-writer-key-0123456789abcdef";

    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly List<IAsyncDisposable> _owned = [];

    private DeadLetterHarness(TestDatabase database)
    {
        Database = database;
    }

    public TestDatabase Database { get; }

    public string Prefix { get; } = TestIsolation.NewPrefix();

    /// <summary>The invalidator's queue as the bus formatter names it under this prefix, and MassTransit's error queue for it.</summary>
    public string InputQueue => $"{Prefix}-cache-invalidator";

    public string ErrorQueue => InputQueue + "_error";

    public static async Task<DeadLetterHarness> CreateAsync() => new(await TestDatabase.CreateMigratedAsync());

    /// <summary>Settings of an ops node or the CLI; <paramref name="rabbitMq"/> lets a test put a proxy in front of the broker.</summary>
    public Dictionary<string, string?> Settings(Uri? rabbitMq = null) => new()
    {
        ["ConnectionStrings:Postgres"] = Database.ConnectionString,
        ["ConnectionStrings:RabbitMq"] = (rabbitMq ?? TestServers.RabbitMq).ToString(),
        ["Bus:EntityPrefix"] = Prefix,
        ["Auth:ApiKeys:0:Name"] = "ops",
        ["Auth:ApiKeys:0:Key"] = AdminKey,
        ["Auth:ApiKeys:0:Scopes:0"] = OpsScopes.Admin,
        ["Auth:ApiKeys:1:Name"] = "catalog-writer",
        ["Auth:ApiKeys:1:Key"] = WriterKey,
        ["Auth:ApiKeys:1:Scopes:0"] = "catalog:write",
        // Quick recovery and a fresh gauge, so tests wait on conditions for milliseconds, not the production seconds.
        ["DeadLetters:RetryBaseDelay"] = "00:00:00.100",
        ["DeadLetters:RetryMaxDelay"] = "00:00:01",
        ["DeadLetters:GaugeRefreshInterval"] = "00:00:00.200",
        ["DeadLetters:MissingQueuePollInterval"] = "00:00:00.100",
    };

    /// <summary>
    /// A node of the invalidator as far as dead letters go: platform defaults, PostgreSQL, API-key auth with the
    /// <c>ops:admin</c> policy, the dead-letter store and mover, the ops API, on the in-memory test server.
    /// </summary>
    /// <param name="beforeStart">Runs on the built, not yet started node (e.g. to listen to its meters from the first message).</param>
    public async Task<OpsNode> StartOpsNodeAsync(
        Action<IServiceCollection>? services = null, Uri? rabbitMq = null, bool withBus = true, Action<IServiceProvider>? beforeStart = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseTestServer();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(Settings(rabbitMq));
        builder.AddPlatformDefaults("cache-invalidator");
        builder.AddPlatformPostgres();
        if (withBus)
        {
            builder.AddPlatformBus();
        }

        builder.AddApiKeyAuthentication(OpsScopes.Admin);
        builder.AddDeadLetters();
        services?.Invoke(builder.Services);
        var app = builder.Build();
        app.UsePlatformDefaults();
        // As the invalidator does (MapCacheInvalidator): since UsePlatformDefaults routes (cf56925), the middleware
        // WebApplication would add by itself comes too late for the ops endpoints' authorization metadata.
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapDeadLetterOps();
        beforeStart?.Invoke(app.Services);
        await app.StartAsync();
        var node = new OpsNode(app);
        _owned.Add(node);
        return node;
    }

    /// <summary>A MassTransit host consuming the invalidator's queue with <see cref="FlakyConsumer"/> (no retry).</summary>
    public async Task<ConsumerHost> StartConsumerAsync(bool failing = true)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Critical);
        builder.Configuration["ConnectionStrings:RabbitMq"] = TestServers.RabbitMq.ToString();
        builder.Configuration["Bus:EntityPrefix"] = Prefix;
        var behaviour = new ConsumerBehaviour { Fail = failing };
        builder.Services.AddSingleton(behaviour);
        // An explicit endpoint name is used as is (the formatter's prefix does not apply), so it carries the prefix itself.
        // Quorum, as the invalidator's endpoint is by default: MassTransit gives the error queue the same arguments.
        builder.AddPlatformBus(x =>
        {
            x.AddConsumer<FlakyConsumer>().Endpoint(e => e.Name = InputQueue);
            x.AddConfigureEndpointsCallback((_, endpoint) => (endpoint as IRabbitMqReceiveEndpointConfigurator)?.SetQuorumQueue());
        });
        var host = builder.Build();
        await host.StartAsync();
        await host.Services.GetRequiredService<IBusControl>().WaitForHealthStatus(BusHealthStatus.Healthy, Patience);
        var consumer = new ConsumerHost(host, behaviour);
        _owned.Add(consumer);
        return consumer;
    }

    /// <summary>Publishes a body that is not JSON at all straight to the input queue: MassTransit faults on deserializing it.</summary>
    public async Task PublishRawAsync(byte[] body, string contentType = "text/plain")
    {
        await using var connection = await new ConnectionFactory { Uri = TestServers.RabbitMq }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        await channel.BasicPublishAsync("", InputQueue, true, new BasicProperties { ContentType = contentType }, body);
    }

    /// <summary>Ready messages in a queue of this test (0 when it does not exist).</summary>
    public async Task<uint> QueueDepthAsync(string queue)
    {
        await using var connection = await new ConnectionFactory { Uri = TestServers.RabbitMq }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0;
        }
    }

    /// <summary>Declares <paramref name="queue"/> as a classic durable queue; the broker refuses if it exists with other arguments.</summary>
    public async Task DeclareClassicAsync(string queue)
    {
        await using var connection = await new ConnectionFactory { Uri = TestServers.RabbitMq }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
    }

    public async Task DeleteQueueAsync(string queue)
    {
        await using var connection = await new ConnectionFactory { Uri = TestServers.RabbitMq }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeleteAsync(queue);
    }

    public Task WaitForStoredAsync(int count, string status = DeadLetterStatus.Stored) =>
        Eventually.TrueAsync(async () => await CountAsync(status) == count, Patience, $"{count} dead letters with status {status}");

    public Task<long> CountAsync(string status = DeadLetterStatus.Stored) =>
        ScalarAsync<long>($"SELECT count(*) FROM invalidator.dead_letters WHERE status = '{status}'");

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = Database.DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var command = Database.DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<StoredRow> RowAsync(string messageId)
    {
        await using var command = Database.DataSource.CreateCommand(
            "SELECT id, status, failure_count, replay_count, first_failed_at, last_failed_at, last_replayed_by FROM invalidator.dead_letters WHERE message_id = @id");
        command.Parameters.AddWithValue("id", messageId);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), $"no dead letter with message id {messageId}");
        return new StoredRow(
            reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3),
            reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<DateTimeOffset>(5), reader.IsDBNull(6) ? null : reader.GetString(6));
    }

    /// <summary>Runs <c>dlq …</c> in process, against this test's settings, capturing what it prints.</summary>
    public async Task<CliResult> CliAsync(params string[] args) => await CliAsync(Settings(), args);

    public static async Task<CliResult> CliAsync(IReadOnlyDictionary<string, string?> settings, params string[] args)
    {
        var root = new RootCommand("test") { DeadLetterCommands.Create("cache-invalidator", b => b.Configuration.AddInMemoryCollection(settings)) };
        using var output = new StringWriter(CultureInfo.InvariantCulture);
        using var error = new StringWriter(CultureInfo.InvariantCulture);
        var exit = await root.Parse(["dlq", .. args]).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return new CliResult(exit, output.ToString(), error.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        await RemoveBrokerEntitiesAsync();
        await Database.DisposeAsync();
    }

    private async Task RemoveBrokerEntitiesAsync()
    {
        await using var connection = await new ConnectionFactory { Uri = TestServers.RabbitMq }.CreateConnectionAsync();
        string[] queues = [InputQueue, ErrorQueue, $"{Prefix}-analytics-aggregator_error", $"{Prefix}-cache-invalidator_skipped"];
        string[] messages = ["Platform.Contracts.Catalog:ProductUpdated", "Platform.Contracts.Caching:CacheInvalidationRequested"];
        string[] exchanges =
        [
            InputQueue, ErrorQueue, $"{Prefix}-MassTransit:Fault", $"{Prefix}-MassTransit:ReceiveFault",
            .. messages.Select(m => $"{Prefix}-{m}"), .. messages.Select(m => $"{Prefix}-MassTransit:Fault--{m}--"),
        ];
        foreach (var queue in queues)
        {
            await using var channel = await connection.CreateChannelAsync();
            await channel.QueueDeleteAsync(queue);
        }

        foreach (var exchange in exchanges)
        {
            await using var channel = await connection.CreateChannelAsync();
            await channel.ExchangeDeleteAsync(exchange);
        }
    }
}

internal sealed record StoredRow(long Id, string Status, int FailureCount, int ReplayCount, DateTimeOffset FirstFailedAt, DateTimeOffset LastFailedAt, string? LastReplayedBy);

internal sealed record CliResult(int ExitCode, string Output, string Error)
{
    public JsonElement Json() => JsonDocument.Parse(Output).RootElement;
}
