using System.Diagnostics;
using System.Globalization;
using System.Net;
using Platform.Testing;
using StackExchange.Redis;

namespace Platform.EndToEnd.Tests.Consistency;

/// <summary>
/// Redis as <c>./platform up --cluster</c> runs it (docs/scaling.md), all of it the checker's own: a primary, one
/// replica and three Sentinels (quorum 2, a primary is down after 2 s without an answer). The services find the
/// primary through the Sentinels (<see cref="Configuration"/>).
/// </summary>
internal sealed class ReplicatedRedis : IAsyncDisposable
{
    public const string ServiceName = "checker";
    private static readonly TimeSpan DownAfter = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly List<RedisServer> _servers = [];
    private readonly List<RedisSentinel> _sentinels = [];
    private ConnectionMultiplexer? _sentinelConnection;

    private ReplicatedRedis()
    {
    }

    /// <summary>The services' <c>ConnectionStrings:Redis</c>: every Sentinel and the service name.</summary>
    public string Configuration =>
        string.Join(',', _sentinels.Select(s => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{s.Port}"))) + $",serviceName={ServiceName},abortConnect=false";

    public IEnumerable<int> Ports => _servers.Select(s => s.Port);

    public static async Task<ReplicatedRedis> StartAsync()
    {
        var redis = new ReplicatedRedis();
        try
        {
            var primary = await RedisServer.StartAsync();
            redis._servers.Add(primary);
            redis._servers.Add(await RedisServer.StartAsync("--replicaof", "127.0.0.1", primary.Port.ToString(CultureInfo.InvariantCulture)));
            await WaitReplicatingAsync(redis._servers[1].Port);
            for (var i = 0; i < 3; i++)
            {
                redis._sentinels.Add(await RedisSentinel.StartAsync(primary.Port, ServiceName, quorum: 2, DownAfter));
            }

            redis._sentinelConnection = await ConnectionMultiplexer.SentinelConnectAsync(
                string.Join(',', redis._sentinels.Select(s => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{s.Port}"))) + ",abortConnect=false");
            // A fail-over needs every Sentinel to know the replica and the other Sentinels (they find each other through the primary).
            await Eventually.TrueAsync(redis.SentinelsAgreeAsync, Deadline, "every Sentinel seeing 1 replica and 2 other Sentinels");
            return redis;
        }
        catch
        {
            await redis.DisposeAsync();
            throw;
        }
    }

    /// <summary>The primary's port as the Sentinels report it (the first that answers).</summary>
    public async Task<int?> PrimaryPortAsync()
    {
        foreach (var endpoint in _sentinelConnection!.GetEndPoints())
        {
            try
            {
                if (await _sentinelConnection.GetServer(endpoint).SentinelGetMasterAddressByNameAsync(ServiceName) is IPEndPoint primary)
                {
                    return primary.Port;
                }
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                // The next one.
            }
        }

        return null;
    }

    /// <summary>
    /// kill -9 of the primary. Returns once the Sentinels promoted the replica (the time that took) and the killed
    /// server is back, empty, as the replica of the promoted one and in sync with it.
    /// </summary>
    public async Task<(int Killed, int Promoted, double PromotedAfterMs)> KillPrimaryAsync()
    {
        var killedPort = await Eventually.ReturnsAsync(PrimaryPortAsync, Deadline, "the primary's port from the Sentinels");
        var killed = _servers.Single(s => s.Port == killedPort);
        var clock = Stopwatch.StartNew();
        await killed.KillAsync();
        var promoted = await Eventually.ReturnsAsync(
            async () => await PrimaryPortAsync() is { } port && port != killedPort && await RoleAsync(port) == "master" ? port : (int?)null,
            Deadline,
            "a replica promoted by the Sentinels");
        var promotedAfter = clock.Elapsed.TotalMilliseconds;
        await killed.RestartAsync("--replicaof", "127.0.0.1", promoted.ToString(CultureInfo.InvariantCulture));
        await WaitReplicatingAsync(killed.Port);
        return (killedPort, promoted, Math.Round(promotedAfter));
    }

    public async ValueTask DisposeAsync()
    {
        _sentinelConnection?.Dispose();
        foreach (var sentinel in _sentinels)
        {
            await sentinel.DisposeAsync();
        }

        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }
    }

    private async Task<bool> SentinelsAgreeAsync()
    {
        foreach (var endpoint in _sentinelConnection!.GetEndPoints())
        {
            try
            {
                var primary = (await _sentinelConnection.GetServer(endpoint).SentinelMasterAsync(ServiceName)).ToDictionary(p => p.Key, p => p.Value);
                if (primary.GetValueOrDefault("num-slaves") != "1" || primary.GetValueOrDefault("num-other-sentinels") != "2")
                {
                    return false;
                }
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                return false;
            }
        }

        return true;
    }

    private static async Task WaitReplicatingAsync(int port) =>
        await Eventually.TrueAsync(async () => await ReplicationFieldAsync(port, "master_link_status") == "up", Deadline, $"redis {port} replicating");

    private static Task<string?> RoleAsync(int port) => ReplicationFieldAsync(port, "role");

    private static async Task<string?> ReplicationFieldAsync(int port, string field)
    {
        try
        {
            using var connection = await ConnectionMultiplexer.ConnectAsync(string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{port},connectTimeout=1000,abortConnect=true,allowAdmin=true"));
            var info = await connection.GetServer("127.0.0.1", port).InfoRawAsync("replication");
            return info?.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal))?[(field.Length + 1)..];
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return null;
        }
    }
}
