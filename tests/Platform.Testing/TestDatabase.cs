using Npgsql;

namespace Platform.Testing;

/// <summary>
/// A PostgreSQL database of a test's own, dropped on dispose. <see cref="CreateEmptyAsync"/> gives a blank
/// database; <see cref="CreateMigratedAsync"/> clones the template that holds every service's schema.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private TestDatabase(string name)
    {
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(TestServers.PostgresAdmin)
        {
            Database = name,
            Pooling = true,
            MaxPoolSize = 20,
        }.ConnectionString;
        DataSource = NpgsqlDataSource.Create(ConnectionString);
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public NpgsqlDataSource DataSource { get; }

    /// <summary>Creates an empty database named <c>test_&lt;random&gt;</c>.</summary>
    public static async Task<TestDatabase> CreateEmptyAsync(CancellationToken cancellationToken = default)
    {
        var name = NewName();
        await ExecuteAdminAsync($"CREATE DATABASE \"{name}\"", cancellationToken);
        return new TestDatabase(name);
    }

    /// <summary>Clones the migrated template (built once per migration set, see <see cref="TemplateDatabase"/>).</summary>
    public static async Task<TestDatabase> CreateMigratedAsync(CancellationToken cancellationToken = default)
    {
        var template = await TemplateDatabase.EnsureAsync(cancellationToken);
        var name = NewName();
        await TemplateDatabase.CloneAsync(template, name, cancellationToken);
        return new TestDatabase(name);
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await ExecuteAdminAsync($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", CancellationToken.None);
    }

    internal static async Task ExecuteAdminAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(TestServers.PostgresAdmin);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string NewName() => "test_" + Guid.NewGuid().ToString("N")[..16];
}
