using Npgsql;
using StackExchange.Redis;

namespace Platform.Testing;

/// <summary>
/// Where the real servers started by <c>./platform</c> listen. <c>./platform test</c> exports the
/// variables; the defaults are the fixed loopback ports, so an IDE run works after <c>./platform servers</c>.
/// </summary>
public static class TestServers
{
    /// <summary>Connection string of the server's maintenance database, for creating and dropping test databases.</summary>
    public static string PostgresAdmin { get; } = AdminConnectionString();

    /// <summary>Redis configuration string. Tests use database 1 and a key prefix per test class.</summary>
    public static string Redis { get; } =
        (Environment.GetEnvironmentVariable("PLATFORM_REDIS") ?? "127.0.0.1:56379,abortConnect=false") + ",defaultDatabase=1";

    /// <summary>RabbitMQ URI of the test virtual host (recreated by each <c>./platform test</c>).</summary>
    public static Uri RabbitMq { get; } =
        new(Environment.GetEnvironmentVariable("PLATFORM_RABBITMQ_TEST") ?? "amqp://guest:guest@127.0.0.1:56720/platform-test");

    /// <summary>
    /// Every node of the RabbitMQ cluster as <c>host:port,…</c> (<c>ConnectionStrings:RabbitMqNodes</c>) when
    /// <c>./platform</c> runs one (<c>up --cluster</c>); null on a single node.
    /// </summary>
    public static string? RabbitMqNodes { get; } = Environment.GetEnvironmentVariable("PLATFORM_RABBITMQ_NODES") is { Length: > 0 } nodes ? nodes : null;

    /// <summary>
    /// Connection string of a service's own user on server <paramref name="server"/> (<c>PG</c>, <c>REDIS</c>,
    /// <c>RABBITMQ</c>), as <c>./platform</c> exports it (<c>PLATFORM_PG_CATALOG</c> …) for the least-privilege tests.
    /// </summary>
    public static string ServiceCredentials(string server, string user)
    {
        var name = $"PLATFORM_{server}_{user.ToUpperInvariant()}";
        return Environment.GetEnvironmentVariable(name)
            ?? throw new InvalidOperationException($"{name} is not set: run the tests with ./platform test (or source .platform/env and export it)");
    }

    /// <summary>
    /// <see cref="Redis"/> (its user and password kept) reached through a proxy on <paramref name="port"/>, with short
    /// timeouts: for tests that cut the connection.
    /// </summary>
    public static string RedisVia(int port)
    {
        var options = ConfigurationOptions.Parse(Redis);
        options.EndPoints.Clear();
        options.EndPoints.Add("127.0.0.1", port);
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = 1000;
        options.SyncTimeout = 1000;
        return options.ToString(includePassword: true);
    }

    /// <summary>The Redis server's port (from <see cref="Redis"/>), for tests that put a proxy in front of it.</summary>
    public static int RedisPort => ConfigurationOptions.Parse(Redis).EndPoints.OfType<System.Net.DnsEndPoint>().Select(e => e.Port)
        .Concat(ConfigurationOptions.Parse(Redis).EndPoints.OfType<System.Net.IPEndPoint>().Select(e => e.Port)).First();

    private static string AdminConnectionString()
    {
        var builder = new NpgsqlConnectionStringBuilder(
            Environment.GetEnvironmentVariable("PLATFORM_PG") ?? "Host=127.0.0.1;Port=55432;Username=postgres")
        {
            Database = "postgres",
            Pooling = false,
        };
        return builder.ConnectionString;
    }
}
