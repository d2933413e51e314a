using StackExchange.Redis;

namespace Platform.Benchmarks.Cache;

/// <summary>
/// The Redis the cache benchmarks run against: the local server of <c>./platform servers</c>, database 2 (db 1
/// belongs to the tests and is flushed by every <c>./platform test</c>), a key prefix of the run's own, removed
/// afterwards. <c>PLATFORM_REDIS</c> overrides the server as it does for the tests.
/// </summary>
internal static class BenchRedis
{
    public static string Configuration { get; } =
        (Environment.GetEnvironmentVariable("PLATFORM_REDIS") ?? "127.0.0.1:56379") + ",abortConnect=false,defaultDatabase=2";

    public static string NewPrefix(string what) => $"bench:{what}:{Guid.NewGuid().ToString("N")[..8]}:";

    public static async Task<ConnectionMultiplexer> ConnectAsync() => await ConnectionMultiplexer.ConnectAsync(Configuration);

    public static string Version(IConnectionMultiplexer connection) =>
        connection.GetServer(connection.GetEndPoints()[0]).Version.ToString();

    /// <summary>Deletes every key of <paramref name="prefix"/> (SCAN, so the shared server is never blocked).</summary>
    public static async Task DeleteAsync(IConnectionMultiplexer connection, string prefix)
    {
        var server = connection.GetServer(connection.GetEndPoints()[0]);
        var db = connection.GetDatabase();
        var keys = server.Keys(db.Database, prefix + "*", pageSize: 1000).ToArray();
        foreach (var chunk in keys.Chunk(1000))
        {
            await db.KeyDeleteAsync(chunk);
        }
    }
}
