using StackExchange.Redis;

namespace Platform.Testing;

/// <summary>One Redis connection per test process (multiplexers are meant to be shared), on the test database.</summary>
public static class TestRedis
{
    private static readonly Lazy<ConnectionMultiplexer> Shared = new(() => ConnectionMultiplexer.Connect(TestServers.Redis));

    public static IConnectionMultiplexer Connection => Shared.Value;

    public static IDatabase Database => Shared.Value.GetDatabase();

    /// <summary>A new, unshared connection: for tests that need to disconnect or watch one connection's state.</summary>
    public static Task<ConnectionMultiplexer> ConnectNewAsync() => ConnectionMultiplexer.ConnectAsync(TestServers.Redis);
}
