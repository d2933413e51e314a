using Platform.Hosting.Connections;
using Platform.Testing;
using StackExchange.Redis;

namespace Platform.Caching.Tests;

/// <summary>
/// Several cache instances acting as nodes of one cluster: each has its own Redis connection, all share a key
/// prefix of the test's own. <see cref="Redis"/> can be a private <see cref="RedisServer"/> or the shared one,
/// reached directly or through a <see cref="TcpProxy"/> per node to cut one node off.
/// </summary>
internal sealed class CacheCluster : IAsyncDisposable
{
    private readonly List<(TwoLevelCache Cache, ConnectionMultiplexer Connection, TcpProxy? Proxy)> _nodes = [];
    private readonly Action<CacheOptions>? _configure;
    private readonly string _redis;
    private readonly int _redisPort;

    private CacheCluster(string redis, int redisPort, Action<CacheOptions>? configure, TimeProvider? time)
    {
        _redis = redis;
        _redisPort = redisPort;
        _configure = configure;
        Time = time;
        Prefix = TestIsolation.NewPrefix() + ":";
    }

    public string Prefix { get; }

    public TimeProvider? Time { get; }

    public TwoLevelCache this[int index] => _nodes[index].Cache;

    /// <summary>Node <paramref name="index"/>'s own Redis connection.</summary>
    public ConnectionMultiplexer Connection(int index) => _nodes[index].Connection;

    public TcpProxy Proxy(int index) => _nodes[index].Proxy ?? throw new InvalidOperationException("node was started without a proxy");

    /// <summary>Nodes on the shared Redis server (database 1).</summary>
    public static Task<CacheCluster> StartAsync(int nodes, Action<CacheOptions>? configure = null, TimeProvider? time = null, bool viaProxy = false) =>
        StartAsync(TestServers.Redis, TestServers.RedisPort, nodes, configure, time, viaProxy);

    public static async Task<CacheCluster> StartAsync(string redis, int redisPort, int nodes, Action<CacheOptions>? configure = null, TimeProvider? time = null, bool viaProxy = false)
    {
        var cluster = new CacheCluster(redis, redisPort, configure, time);
        for (var i = 0; i < nodes; i++)
        {
            await cluster.AddNodeAsync(viaProxy);
        }

        return cluster;
    }

    public CacheOptions NewOptions()
    {
        var options = new CacheOptions { KeyPrefix = Prefix, GapCheckInterval = TimeSpan.FromMilliseconds(200) };
        _configure?.Invoke(options);
        return options;
    }

    public async Task<TwoLevelCache> AddNodeAsync(bool viaProxy = false)
    {
        TcpProxy? proxy = null;
        var configuration = RedisConnection.CreateOptions(_redis);
        if (viaProxy)
        {
            proxy = new TcpProxy(_redisPort);
            configuration.EndPoints.Clear();
            configuration.EndPoints.Add("127.0.0.1", proxy.Port);
        }

        configuration.ConnectTimeout = 2000;
        configuration.SyncTimeout = 2000;
        configuration.ConnectRetry = 1;
        var connection = await ConnectionMultiplexer.ConnectAsync(configuration);
        var cache = new TwoLevelCache(NewOptions(), connection, time: Time);
        await cache.StartAsync();
        _nodes.Add((cache, connection, proxy));

        // A node trusts what it reads only from its first confirmed heartbeat on (ADR 013), as a service reports ready
        // only then: a test that reads right after the start must not race that moment. Not a requirement (some tests
        // start nodes that cannot reach Redis), so a node still deaf after the wait is returned as it is.
        var until = DateTime.UtcNow.AddSeconds(5);
        while (!viaProxy && !cache.IsBackplaneConnected && DateTime.UtcNow < until)
        {
            await Task.Delay(10);
        }

        return cache;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (cache, connection, proxy) in _nodes)
        {
            await cache.DisposeAsync();
            await connection.DisposeAsync();
            if (proxy is not null)
            {
                await proxy.DisposeAsync();
            }
        }
    }
}

/// <summary>A factory that counts its runs and returns a value the test chooses.</summary>
internal sealed class CountingFactory<T>(Func<int, T> produce)
{
    private int _runs;

    public int Runs => Volatile.Read(ref _runs);

    public Task<T> RunAsync(CacheFactoryContext context, CancellationToken cancellationToken) =>
        Task.FromResult(produce(Interlocked.Increment(ref _runs)));
}
