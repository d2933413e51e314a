using Xunit;

namespace Platform.Testing;

/// <summary>
/// Per test class: a migrated database of its own, a Redis key prefix and a bus entity prefix. Hand its
/// <see cref="Settings"/> to a service host (see <see cref="ServiceHost{TProgram}"/>) so the service under test
/// uses exactly these, and nothing another test class can see.
/// </summary>
public class ServiceFixture : IAsyncLifetime
{
    private TestDatabase? _database;

    public TestDatabase Database => _database ?? throw new InvalidOperationException("fixture not initialised");

    /// <summary>Prefix for every Redis key and channel this class's services use.</summary>
    public string RedisPrefix { get; } = TestIsolation.NewPrefix() + ":";

    /// <summary>Prefix for every queue and exchange this class's services declare.</summary>
    public string BusPrefix { get; } = TestIsolation.NewPrefix();

    /// <summary>Configuration for a service under test, as configuration keys.</summary>
    public IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["ConnectionStrings:Postgres"] = Database.ConnectionString,
        ["ConnectionStrings:Redis"] = TestServers.Redis,
        ["ConnectionStrings:RabbitMq"] = TestServers.RabbitMq.ToString(),
        ["ConnectionStrings:RabbitMqNodes"] = TestServers.RabbitMqNodes,
        ["Bus:EntityPrefix"] = BusPrefix,
        ["Cache:KeyPrefix"] = RedisPrefix,
    };

    public virtual async Task InitializeAsync() => _database = await TestDatabase.CreateMigratedAsync();

    public virtual async Task DisposeAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
