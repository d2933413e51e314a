using Npgsql;

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
