using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Platform.Hosting.Migrations;

namespace Platform.Testing;

/// <summary>
/// The database every migrated test database is cloned from: each service's migrations applied by the
/// real <see cref="SqlMigrator"/>, named after a hash of the scripts so a changed script builds a new one.
/// </summary>
internal static class TemplateDatabase
{
    private const int CloneAttempts = 50;
    private const string SourceBusy = "55006";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? built;

    /// <summary>Builds the template once per process (and once per server across processes) and returns its name.</summary>
    public static async Task<string> EnsureAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref built) is { } name)
        {
            return name;
        }

        // A semaphore rather than a Lazy: a failed or cancelled build is retried by the next test instead of cached.
        await Gate.WaitAsync(cancellationToken);
        try
        {
            if (built is null)
            {
                var sources = LoadSources();
                var template = "template_" + Hash(sources)[..12];
                await BuildOnceAsync(template, sources, cancellationToken);
                Volatile.Write(ref built, template);
            }

            return built;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>Creates database <paramref name="name"/> as a copy of <paramref name="template"/>.</summary>
    public static async Task CloneAsync(string template, string name, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await TestDatabase.ExecuteAdminAsync($"CREATE DATABASE {Quote(name)} TEMPLATE {Quote(template)}", cancellationToken);
                return;
            }
            catch (PostgresException exception) when (exception.SqlState == SourceBusy && attempt < CloneAttempts)
            {
                // Another process's clone or a builder's last connection still touches the template; it lets go within moments.
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(20 * attempt, 250) + Random.Shared.Next(20)), cancellationToken);
            }
        }
    }

    private static async Task BuildOnceAsync(string template, List<(string Schema, IReadOnlyList<MigrationScript> Scripts)> sources, CancellationToken cancellationToken)
    {
        // Test processes start together; the lock on the maintenance database makes exactly one of them build.
        await using var admin = new NpgsqlConnection(TestServers.PostgresAdmin);
        await admin.OpenAsync(cancellationToken);
        var lockKey = LockKey(template);
        await ExecuteAsync(admin, "SELECT pg_advisory_lock(@key)", cancellationToken, ("key", lockKey));
        try
        {
            await using (var state = new NpgsqlCommand("SELECT datistemplate FROM pg_database WHERE datname = @name", admin))
            {
                state.Parameters.AddWithValue("name", template);
                switch (await state.ExecuteScalarAsync(cancellationToken))
                {
                    case true:
                        return;
                    case false:
                        // Left by a builder that died before marking it complete.
                        await ExecuteAsync(admin, $"DROP DATABASE {Quote(template)} WITH (FORCE)", cancellationToken);
                        break;
                }
            }

            await ExecuteAsync(admin, $"CREATE DATABASE {Quote(template)}", cancellationToken);

            // Unpooled, so disposing the data source really disconnects (nothing to ClearPool): CREATE DATABASE … TEMPLATE
            // refuses a template that anyone is connected to, and a pooled idle connection would stay connected.
            var connectionString = new NpgsqlConnectionStringBuilder(TestServers.PostgresAdmin) { Database = template, Pooling = false }.ConnectionString;
            await using (var dataSource = NpgsqlDataSource.Create(connectionString))
            {
                var migrator = new SqlMigrator(dataSource, NullLogger<SqlMigrator>.Instance);
                foreach (var (schema, scripts) in sources)
                {
                    await migrator.MigrateAsync(schema, scripts, cancellationToken);
                }
            }

            // The mark of a complete template, set only once every migration went through.
            await ExecuteAsync(admin, $"ALTER DATABASE {Quote(template)} WITH IS_TEMPLATE true", cancellationToken);
        }
        finally
        {
            await ExecuteAsync(admin, "SELECT pg_advisory_unlock(@key)", CancellationToken.None, ("key", lockKey));
        }
    }

    private static List<(string Schema, IReadOnlyList<MigrationScript> Scripts)> LoadSources()
    {
        var root = RepositoryRoot();
        var sources = new List<(string, IReadOnlyList<MigrationScript>)>();
        foreach (var (folder, schema) in ServiceList(root))
        {
            // A service with no scripts yet still gets its schema and history table, as `migrate` gives it in production.
            var directory = Path.Combine(root, folder);
            sources.Add((schema, Directory.Exists(directory) ? MigrationSource.FromDirectory(directory) : []));
        }

        return sources;
    }

    /// <summary>
    /// Each service project's Migrations folder and schema, from the one list of services (<c>infra/services.tsv</c>,
    /// which <c>./platform</c> reads too), in its order. Read from disk rather than from the service assemblies so
    /// this project needs no reference to the services.
    /// </summary>
    internal static IReadOnlyList<(string Folder, string Schema)> ServiceList(string root)
    {
        var list = new List<(string, string)>();
        foreach (var line in File.ReadLines(Path.Combine(root, "infra", "services.tsv")))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var columns = line.Split('\t');
            if (columns.Length < 5)
            {
                throw new InvalidOperationException($"infra/services.tsv: '{line}' needs 5 tab-separated columns (node, port, project folder, assembly, schema)");
            }

            var entry = (Path.Combine(columns[2], "Migrations"), columns[4]);
            if (!list.Contains(entry))
            {
                list.Add(entry);
            }
        }

        return list;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Platform.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no Platform.sln above {AppContext.BaseDirectory}; the template needs the services' Migrations folders");
    }

    private static string Hash(List<(string Schema, IReadOnlyList<MigrationScript> Scripts)> sources)
    {
        var text = new StringBuilder();
        foreach (var (schema, scripts) in sources)
        {
            text.Append("schema ").Append(schema).Append('\n');
            foreach (var script in scripts)
            {
                text.Append(script.Name).Append(' ').Append(script.Checksum).Append('\n');
            }
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static long LockKey(string template)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("platform.testing:" + template));
        return BitConverter.ToInt64(hash, 0);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        // Waiting for another process's build can outlast the 30 s default; a hung builder still fails the run in the end.
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 300 };
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
