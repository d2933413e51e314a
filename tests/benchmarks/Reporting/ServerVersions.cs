using System.Diagnostics;
using System.Text;
using Npgsql;
using RabbitMQ.Client;
using StackExchange.Redis;

namespace Platform.Benchmarks.Reporting;

/// <summary>
/// What the report says the run ran on, asked of the servers themselves (PostgreSQL's <c>server_version</c>, Redis's
/// INFO, the broker's AMQP server properties), of the SDK and of git. Anything that does not answer is "unknown".
/// </summary>
internal sealed record ServerVersions(string DotnetSdk, string Postgresql, string Redis, string Rabbitmq, string Erlang, string GitCommit, bool GitDirty)
{
    public static async Task<ServerVersions> ReadAsync(string root)
    {
        var pg = Environment.GetEnvironmentVariable("PLATFORM_PG") ?? "Host=127.0.0.1;Port=55432;Username=postgres";
        var redis = Environment.GetEnvironmentVariable("PLATFORM_REDIS") ?? "127.0.0.1:56379";
        var rabbit = Environment.GetEnvironmentVariable("PLATFORM_RABBITMQ") ?? "amqp://guest:guest@127.0.0.1:56720/";
        var (rabbitmq, erlang) = await RabbitAsync(rabbit);
        var status = await CommandAsync(root, "git", "status", "--porcelain");
        return new ServerVersions(
            await CommandAsync(root, "dotnet", "--version") ?? "unknown",
            await PostgresAsync(pg),
            await RedisAsync(redis),
            rabbitmq,
            erlang,
            await CommandAsync(root, "git", "rev-parse", "HEAD") ?? "unknown",
            !string.IsNullOrEmpty(status));
    }

    private static async Task<string> PostgresAsync(string connectionString)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SHOW server_version", connection);
            return ((string?)await command.ExecuteScalarAsync())?.Split(' ')[0] ?? "unknown";
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            return "unknown";
        }
    }

    private static async Task<string> RedisAsync(string configuration)
    {
        try
        {
            await using var connection = await ConnectionMultiplexer.ConnectAsync(configuration);
            return connection.GetServers().FirstOrDefault()?.Version.ToString() ?? "unknown";
        }
        catch (RedisException)
        {
            return "unknown";
        }
    }

    private static async Task<(string Rabbitmq, string Erlang)> RabbitAsync(string uri)
    {
        try
        {
            await using var connection = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
            string Property(string name) =>
                connection.ServerProperties?.TryGetValue(name, out var value) == true && value is byte[] bytes ? Encoding.UTF8.GetString(bytes) : "unknown";
            return (Property("version"), Property("platform"));
        }
        catch (Exception e) when (e is RabbitMQ.Client.Exceptions.BrokerUnreachableException or IOException)
        {
            return ("unknown", "unknown");
        }
    }

    private static async Task<string?> CommandAsync(string directory, string file, params string[] arguments)
    {
        try
        {
            var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory };
            using var process = Process.Start(start)!;
            var output = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            return process.ExitCode == 0 ? output.Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
