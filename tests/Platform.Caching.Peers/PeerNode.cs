using Platform.Testing;
using StackExchange.Redis;
using ZiggyCreatures.Caching.Fusion;

namespace Platform.Caching.Peers;

/// <summary>Which cache a node runs.</summary>
public enum PeerKind
{
    /// <summary>Our <see cref="TwoLevelCache"/>.</summary>
    Ours,

    /// <summary>FusionCache 2.9 as <see cref="FusionCacheNode"/> sets it up.</summary>
    FusionCache,
}

/// <summary>
/// One cache node of either kind, with its own Redis connection (through a <see cref="TcpProxy"/> when the scenario
/// cuts it): the few operations the coherence scenarios and the peer benchmark need, in each cache's own API.
/// </summary>
public sealed class PeerNode : IAsyncDisposable
{
    private static readonly CacheEntryOptions OurEntries = new() { Duration = PeerCluster.EntryDuration };

    private readonly ConnectionMultiplexer _connection;
    private readonly TcpProxy? _proxy;

    private PeerNode(PeerKind kind, ConnectionMultiplexer connection, TcpProxy? proxy, TwoLevelCache? ours, IFusionCache? fusion)
    {
        Kind = kind;
        _connection = connection;
        _proxy = proxy;
        Ours = ours;
        Fusion = fusion;
    }

    public PeerKind Kind { get; }

    /// <summary>Set when <see cref="Kind"/> is <see cref="PeerKind.Ours"/>.</summary>
    public TwoLevelCache? Ours { get; }

    /// <summary>Set when <see cref="Kind"/> is <see cref="PeerKind.FusionCache"/>.</summary>
    public IFusionCache? Fusion { get; }

    public TcpProxy Proxy => _proxy ?? throw new InvalidOperationException("this node was started without a proxy");

    public IConnectionMultiplexer Connection => _connection;

    /// <summary>
    /// Whether the node can hear invalidations again: ours reports it after its replay; FusionCache has no such signal,
    /// so its connection being up (the backplane resubscribes with it) is the nearest.
    /// </summary>
    public bool IsConnected => Ours?.IsBackplaneConnected ?? _connection.IsConnected;

    public static async Task<PeerNode> StartAsync(PeerKind kind, string redis, int redisPort, string prefix, bool viaProxy, Action<CacheOptions>? configure = null)
    {
        TcpProxy? proxy = null;
        // The same client settings for both caches: the platform's (fail fast while disconnected), 2 s timeouts.
        var configuration = Platform.Hosting.Connections.RedisConnection.CreateOptions(redis);
        if (viaProxy)
        {
            proxy = new TcpProxy(redisPort);
            configuration.EndPoints.Clear();
            configuration.EndPoints.Add("127.0.0.1", proxy.Port);
        }

        configuration.ConnectTimeout = 2000;
        configuration.SyncTimeout = 2000;
        configuration.AsyncTimeout = 2000;
        configuration.ConnectRetry = 1;
        var connection = await ConnectionMultiplexer.ConnectAsync(configuration);
        if (kind == PeerKind.Ours)
        {
            var options = new CacheOptions { KeyPrefix = prefix, GapCheckInterval = TimeSpan.FromMilliseconds(200) };
            configure?.Invoke(options);
            var cache = new TwoLevelCache(options, connection);
            await cache.StartAsync();
            return new PeerNode(kind, connection, proxy, cache, null);
        }

        return new PeerNode(kind, connection, proxy, null, FusionCacheNode.Create(connection, prefix, PeerCluster.EntryDuration));
    }

    public async ValueTask<string> GetOrSetAsync(string key, Func<CancellationToken, Task<string>> factory, string[]? tags = null) =>
        Ours is not null
            ? await Ours.GetOrSetAsync(key, factory, static (f, _, ct) => f(ct), OurEntries, tags)
            : await Fusion!.GetOrSetAsync<string>(key, (_, ct) => factory(ct), tags: tags);

    /// <summary>A read that never runs a factory: the value this node would serve, or null.</summary>
    public async ValueTask<string?> TryGetAsync(string key)
    {
        if (Ours is not null)
        {
            var found = await Ours.TryGetAsync<string>(key);
            return found.HasValue ? found.Value : null;
        }

        var maybe = await Fusion!.TryGetAsync<string>(key);
        return maybe.HasValue ? maybe.Value : null;
    }

    public async ValueTask SetAsync(string key, string value, string[]? tags = null)
    {
        if (Ours is not null)
        {
            await Ours.SetAsync(key, value, OurEntries, tags);
            return;
        }

        await Fusion!.SetAsync(key, value, tags: tags);
    }

    /// <summary>Ours throws <see cref="CacheUnavailableException"/> when Redis could not record it; FusionCache never throws here.</summary>
    public ValueTask RemoveAsync(string key) => Ours is not null ? Ours.RemoveAsync(key) : Fusion!.RemoveAsync(key);

    /// <inheritdoc cref="RemoveAsync"/>
    public ValueTask RemoveByTagAsync(string tag) => Ours is not null ? Ours.RemoveByTagAsync(tag) : Fusion!.RemoveByTagAsync(tag);

    public async ValueTask DisposeAsync()
    {
        if (Ours is not null)
        {
            await Ours.DisposeAsync();
        }

        Fusion?.Dispose();
        await _connection.CloseAsync(allowCommandsToComplete: false);
        _connection.Dispose();
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }
    }
}

/// <summary>Nodes of one kind sharing a prefix of their own (keys, channel, cache name).</summary>
public sealed class PeerCluster : IAsyncDisposable
{
    /// <summary>Long enough that no scenario's outcome is decided by an entry expiring.</summary>
    public static readonly TimeSpan EntryDuration = TimeSpan.FromMinutes(10);

    private readonly List<PeerNode> _nodes = [];

    private PeerCluster(PeerKind kind, string redis, int redisPort, Action<CacheOptions>? configure, string? prefix)
    {
        Kind = kind;
        Redis = redis;
        RedisPort = redisPort;
        Configure = configure;
        Prefix = prefix ?? TestIsolation.NewPrefix() + (kind == PeerKind.Ours ? "o:" : "f:");
    }

    public PeerKind Kind { get; }

    public string Prefix { get; }

    private string Redis { get; }

    private int RedisPort { get; }

    private Action<CacheOptions>? Configure { get; }

    public PeerNode this[int index] => _nodes[index];

    public int Count => _nodes.Count;

    /// <summary>
    /// <paramref name="viaProxy"/> puts node i behind a proxy of its own when it is in the set. <paramref name="configure"/>
    /// changes our nodes' options (FusionCache's are fixed by <see cref="FusionCacheNode"/>). <paramref name="prefix"/>: a
    /// new unique one when null.
    /// </summary>
    public static async Task<PeerCluster> StartAsync(
        PeerKind kind, string redis, int redisPort, int nodes, int[]? viaProxy = null, Action<CacheOptions>? configure = null, string? prefix = null)
    {
        var cluster = new PeerCluster(kind, redis, redisPort, configure, prefix);
        for (var i = 0; i < nodes; i++)
        {
            await cluster.AddNodeAsync(viaProxy?.Contains(i) == true);
        }

        return cluster;
    }

    public async Task<PeerNode> AddNodeAsync(bool viaProxy = false)
    {
        var node = await PeerNode.StartAsync(Kind, Redis, RedisPort, Prefix, viaProxy, Configure);
        _nodes.Add(node);
        return node;
    }

    public async ValueTask DisposeAsync()
    {
        if (_nodes.Count > 0)
        {
            await DeleteKeysAsync(_nodes[0].Connection);
        }

        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }

    // Every Redis key of either cache starts with the prefix (ours: KeyPrefix; FusionCache: InstanceName, and its lock
    // names through CacheKeyPrefix). SCAN, so a shared server is never blocked; a server already gone is fine.
    private async Task DeleteKeysAsync(IConnectionMultiplexer connection)
    {
        try
        {
            var server = connection.GetServer(connection.GetEndPoints()[0]);
            var db = connection.GetDatabase();
            foreach (var chunk in server.Keys(db.Database, Prefix + "*", pageSize: 1000).Chunk(1000))
            {
                await db.KeyDeleteAsync(chunk);
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
        }
    }
}
