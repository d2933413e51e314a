using Npgsql;
using Platform.Testing;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using StackExchange.Redis;

namespace Platform.Hosting.Tests.Servers;

/// <summary>
/// The servers as <c>./platform</c> sets them up give each service its own user with only its own rights, and nobody
/// gets in without a password (issue #13 item 9, docs/security.md). Run against the servers of <c>./platform test</c>,
/// which exports the catalog's credentials (<c>PLATFORM_PG_CATALOG</c>, <c>PLATFORM_REDIS_CATALOG</c>,
/// <c>PLATFORM_RABBITMQ_CATALOG</c>) beside the admin ones.
/// </summary>
public sealed class LeastPrivilegeTests
{
    [Fact]
    public async Task TheCatalogsRoleCannotReadOrWriteTheInvalidatorsSchema()
    {
        // A table of the invalidator's (made here so the test needs no migrated platform database), owned by its role.
        var table = $"invalidator.least_privilege_{Guid.NewGuid():N}";
        var database = new NpgsqlConnectionStringBuilder(TestServers.ServiceCredentials("PG", "catalog")).Database;
        await using var adminSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(TestServers.PostgresAdmin) { Database = database }.ConnectionString);
        await ExecuteAsync(adminSource, $"CREATE TABLE {table} (id int); ALTER TABLE {table} OWNER TO invalidator");
        try
        {
            await using var catalog = NpgsqlDataSource.Create(TestServers.ServiceCredentials("PG", "catalog"));

            Assert.Equal("42501", (await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(catalog, $"INSERT INTO {table} VALUES (1)"))).SqlState);
            Assert.Equal("42501", (await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(catalog, $"SELECT * FROM {table}"))).SqlState);
            Assert.Equal("42501", (await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(catalog, $"DROP TABLE {table}"))).SqlState);
            Assert.Equal("42501", (await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(catalog, "CREATE TABLE invalidator.planted (id int)"))).SqlState);
            Assert.Equal("42501", (await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(catalog, "CREATE ROLE intruder"))).SqlState);
            await using var command = catalog.CreateCommand("SELECT rolsuper FROM pg_roles WHERE rolname = current_user");
            Assert.Equal(false, await command.ExecuteScalarAsync());
        }
        finally
        {
            await ExecuteAsync(adminSource, $"DROP TABLE IF EXISTS {table}");
        }
    }

    [Fact]
    public async Task PostgresRefusesAWrongPassword()
    {
        var wrong = new NpgsqlConnectionStringBuilder(TestServers.ServiceCredentials("PG", "catalog")) { Password = "not-the-password", Pooling = false };
        await using var connection = new NpgsqlConnection(wrong.ConnectionString);

        var refused = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());

        Assert.Equal("28P01", refused.SqlState);
    }

    [Fact]
    public async Task RedisRefusesAWrongPasswordAndConfinesAServiceToItsKeys()
    {
        var own = ConfigurationOptions.Parse(TestServers.ServiceCredentials("REDIS", "catalog"));
        var wrong = own.Clone();
        wrong.Password = "not-the-password";
        wrong.AbortOnConnectFail = true;
        var anonymous = own.Clone();
        anonymous.User = null;
        anonymous.Password = null;
        anonymous.AbortOnConnectFail = true;

        var refused = await Assert.ThrowsAsync<RedisConnectionException>(() => ConnectionMultiplexer.ConnectAsync(wrong));
        Assert.Equal(ConnectionFailureType.AuthenticationFailure, refused.FailureType);
        await Assert.ThrowsAsync<RedisConnectionException>(() => ConnectionMultiplexer.ConnectAsync(anonymous));

        // Admin mode only lifts the client's own guard: the server must refuse admin commands to this user itself.
        own.AllowAdmin = true;
        using var catalog = await ConnectionMultiplexer.ConnectAsync(own);
        var db = catalog.GetDatabase();
        var key = $"platform:least-privilege:{Guid.NewGuid():N}";
        Assert.True(await db.StringSetAsync(key, "1", TimeSpan.FromMinutes(1)));
        await db.KeyDeleteAsync(key);
        Assert.Contains("NOPERM", (await Assert.ThrowsAsync<RedisServerException>(() => db.StringSetAsync($"elsewhere:{Guid.NewGuid():N}", "1"))).Message, StringComparison.Ordinal);
        Assert.Contains("NOPERM", (await Assert.ThrowsAsync<RedisServerException>(() => db.ExecuteAsync("FLUSHALL"))).Message, StringComparison.Ordinal);
        Assert.Contains("NOPERM", (await Assert.ThrowsAsync<RedisServerException>(() => db.ExecuteAsync("CONFIG", "GET", "maxmemory"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RabbitMqHasNoGuestUser()
    {
        var own = new Uri(TestServers.ServiceCredentials("RABBITMQ", "catalog"));
        var guest = new UriBuilder(own) { UserName = "guest", Password = "guest" }.Uri;
        var wrong = new UriBuilder(own) { Password = "not-the-password" }.Uri;

        var noGuest = await Assert.ThrowsAsync<BrokerUnreachableException>(() => new ConnectionFactory { Uri = guest }.CreateConnectionAsync());
        Assert.IsType<AuthenticationFailureException>(noGuest.InnerException);
        var noWrong = await Assert.ThrowsAsync<BrokerUnreachableException>(() => new ConnectionFactory { Uri = wrong }.CreateConnectionAsync());
        Assert.IsType<AuthenticationFailureException>(noWrong.InnerException);
        await using var connection = await new ConnectionFactory { Uri = own }.CreateConnectionAsync();
        Assert.True(connection.IsOpen);
    }

    [Fact]
    public async Task RabbitMqConfinesEachServiceToItsOwnExchangesAndQueues()
    {
        // Declaring an existing exchange with its own arguments needs configure on it; a basic.get needs read on the
        // queue; each refusal closes the channel (403), so each try gets its own. Nothing is created or taken.
        await using var catalog = await ConnectAsync("catalog");
        await using var analytics = await ConnectAsync("analytics");
        await using var invalidator = await ConnectAsync("invalidator");

        // Allowed: the relay declares its events' exchanges; the invalidator the contracts it binds and its own queue's.
        await DeclareExchangeAsync(catalog, "Platform.Contracts.Catalog:ProductUpdated");
        await DeclareExchangeAsync(invalidator, "Platform.Contracts.Catalog:ProductUpdated");
        await DeclareExchangeAsync(invalidator, "cache-invalidator");
        await DeclareExchangeAsync(analytics, "analytics-aggregator");

        // Refused: another service's queue or exchange, and forging another service's events.
        await AssertRefusedAsync(catalog, channel => channel.ExchangeDeclareAsync("cache-invalidator", ExchangeType.Fanout, durable: true));
        await AssertRefusedAsync(catalog, channel => channel.BasicGetAsync("cache-invalidator", autoAck: false));
        await AssertRefusedAsync(catalog, channel => channel.QueueDeclareAsync("anything-" + Guid.NewGuid().ToString("N"), durable: false, exclusive: true, autoDelete: true));
        await AssertRefusedAsync(analytics, channel => channel.BasicGetAsync("cache-invalidator", autoAck: false));
        await AssertRefusedAsync(analytics, channel => channel.ExchangeDeclareAsync("Platform.Contracts.Caching:CacheInvalidationRequested", ExchangeType.Fanout, durable: true));
        await AssertRefusedAsync(invalidator, channel => channel.BasicGetAsync("analytics-aggregator", autoAck: false));
        await AssertRefusedAsync(invalidator, channel => channel.ExchangeBindAsync("analytics-aggregator", "Platform.Contracts.Catalog:ProductUpdated", ""));
    }

    private static Task<IConnection> ConnectAsync(string user) =>
        new ConnectionFactory { Uri = new Uri(TestServers.ServiceCredentials("RABBITMQ", user)) }.CreateConnectionAsync();

    private static async Task DeclareExchangeAsync(IConnection connection, string name)
    {
        await using var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync(name, ExchangeType.Fanout, durable: true);
    }

    private static async Task AssertRefusedAsync(IConnection connection, Func<IChannel, Task> operation)
    {
        await using var channel = await connection.CreateChannelAsync();
        var refused = await Assert.ThrowsAsync<OperationInterruptedException>(() => operation(channel));
        Assert.Equal((ushort)Constants.AccessRefused, refused.ShutdownReason?.ReplyCode);
    }

    private static async Task ExecuteAsync(NpgsqlDataSource source, string sql)
    {
        await using var command = source.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
