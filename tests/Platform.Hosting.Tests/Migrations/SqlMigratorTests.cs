using System.Collections.Concurrent;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Runtime.Loader;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;
using Platform.Hosting.Migrations;
using Platform.Testing;

namespace Platform.Hosting.Tests.Migrations;

public sealed class SqlMigratorTests
{
    private const string Schema = "demo";

    private static readonly MigrationScript CreateItems = Script(1, "0001_create_items", "CREATE TABLE demo.items (id int PRIMARY KEY, sku text NOT NULL);");
    private static readonly MigrationScript AddPrice = Script(2, "0002_add_price", "ALTER TABLE demo.items ADD COLUMN price numeric(10, 2);");
    private static readonly MigrationScript SeedItem = Script(3, "0003_seed_item", "INSERT INTO demo.items (id, sku, price) VALUES (1, 'A-1', 9.99);");

    [Fact]
    public async Task AppliesScriptsInVersionOrder()
    {
        await using var db = await TestDatabase.CreateEmptyAsync();

        // Each script needs the one before it, so any other order would fail.
        var result = await Migrator(db.DataSource).MigrateAsync(Schema, [SeedItem, CreateItems, AddPrice]);

        Assert.Equal(["0001_create_items", "0002_add_price", "0003_seed_item"], result.Applied);
        Assert.Equal(0, result.AlreadyApplied);
        Assert.Equal(Schema, result.Schema);
        var history = await HistoryAsync(db.DataSource);
        Assert.Equal(
            [(1, "0001_create_items", CreateItems.Checksum), (2, "0002_add_price", AddPrice.Checksum), (3, "0003_seed_item", SeedItem.Checksum)],
            history.Select(row => (row.Version, row.Name, row.Checksum)));
        Assert.All(history, row => Assert.True(row.ExecutionMs >= 0));
        Assert.Equal(9.99m, await ScalarAsync<decimal>(db.DataSource, "SELECT price FROM demo.items WHERE id = 1"));
    }

    [Fact]
    public async Task SecondRunAppliesNothing()
    {
        await using var db = await TestDatabase.CreateEmptyAsync();
        MigrationScript[] scripts = [CreateItems, AddPrice, SeedItem];
        await Migrator(db.DataSource).MigrateAsync(Schema, scripts);

        var again = await Migrator(db.DataSource).MigrateAsync(Schema, scripts);

        Assert.Empty(again.Applied);
        Assert.Equal(3, again.AlreadyApplied);
        Assert.Equal(1L, await ScalarAsync<long>(db.DataSource, "SELECT count(*) FROM demo.items"));
    }

    [Fact]
    public async Task NewScriptsAreAppliedAfterTheOnesAlreadyApplied()
    {
        await using var db = await TestDatabase.CreateEmptyAsync();
        await Migrator(db.DataSource).MigrateAsync(Schema, [CreateItems]);

        var result = await Migrator(db.DataSource).MigrateAsync(Schema, [CreateItems, AddPrice, SeedItem]);

        Assert.Equal(["0002_add_price", "0003_seed_item"], result.Applied);
        Assert.Equal(1, result.AlreadyApplied);
    }

    [Fact]
    public async Task RefusesAnAppliedScriptThatWasEditedAndAppliesNothingNew()
    {
        await using var db = await TestDatabase.CreateEmptyAsync();
        await Migrator(db.DataSource).MigrateAsync(Schema, [CreateItems, AddPrice]);
        var edited = AddPrice with { Sql = "ALTER TABLE demo.items ADD COLUMN price numeric(12, 2);" };

        var error = await Assert.ThrowsAsync<MigrationException>(
            () => Migrator(db.DataSource).MigrateAsync(Schema, [CreateItems, edited, SeedItem]));

        Assert.Equal("0002_add_price", error.Script);
        Assert.Contains("migration 0002_add_price in schema demo was edited after it was applied", error.Message, StringComparison.Ordinal);
        Assert.Contains("add a new migration instead", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, (await HistoryAsync(db.DataSource)).Count);
        Assert.Equal(0L, await ScalarAsync<long>(db.DataSource, "SELECT count(*) FROM demo.items"));
    }

    [Fact]
    public async Task LineEndingsDoNotCountAsAnEdit()
    {
        await using var db = await TestDatabase.CreateEmptyAsync();
        var multiLine = Script(1, "0001_create_items", "CREATE TABLE demo.items (\n    id int PRIMARY KEY\n);\n");
        await Migrator(db.DataSource).MigrateAsync(Schema, [multiLine]);

        var result = await Migrator(db.DataSource).MigrateAsync(Schema, [multiLine with { Sql = multiLine.Sql.Replace("\n", "\r\n", StringComparison.Ordinal) }]);

        Assert.Equal(1, result.AlreadyApplied);
    }

    [Fact]
    public async Task AppliedScriptMissingFromTheListIsOnlyLogged()
    {
        await using var db = await TestDatabase.CreateEmptyAsync();
        await Migrator(db.DataSource).MigrateAsync(Schema, [CreateItems, AddPrice]);
        var logger = new ListLogger();

        var result = await new SqlMigrator(db.DataSource, logger).MigrateAsync(Schema, [CreateItems]);

        Assert.Empty(result.Applied);
        Assert.Equal(1, result.AlreadyApplied);
        Assert.Contains(logger.Entries, entry => entry.Level == LogLevel.Warning && entry.Message.Contains("0002_add_price", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MigratorsStartedTogetherRunEachScriptOnce()
    {
        await using var db = await TestDatabase.CreateEmptyAsync();
        MigrationScript[] scripts = [CreateItems, AddPrice, SeedItem];
        var dataSources = Enumerable.Range(0, 4).Select(_ => NpgsqlDataSource.Create(db.ConnectionString)).ToList();
        try
        {
            // Separate data sources stand for separate nodes; without the lock they would race on CREATE SCHEMA and the inserts.
            var results = await Task.WhenAll(dataSources.Select(dataSource => Migrator(dataSource).MigrateAsync(Schema, scripts)));

            Assert.Equal(3, results.Sum(result => result.Applied.Count));
            Assert.Single(results, result => result.Applied.Count > 0);
            Assert.Equal(1L, await ScalarAsync<long>(db.DataSource, "SELECT count(*) FROM demo.items"));
            Assert.Equal(3, (await HistoryAsync(db.DataSource)).Count);
        }
        finally
        {
            foreach (var dataSource in dataSources)
            {
                await dataSource.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task SecondMigratorWaitsForTheFirstAndFindsEverythingApplied()
    {
        await using var db = await TestDatabase.CreateEmptyAsync();
        await ExecuteAsync(db.DataSource, "CREATE TABLE public.gate (id int)");
        var blocked = Script(1, "0001_create_items", "CREATE TABLE demo.items (id int PRIMARY KEY, sku text NOT NULL);\nSELECT count(*) FROM public.gate;");
        MigrationScript[] scripts = [blocked, AddPrice, SeedItem];

        // The test holds the gate table, so the first migrator stops inside its first script while holding the migration lock.
        await using var gate = await db.DataSource.OpenConnectionAsync();
        await using var gateTransaction = await gate.BeginTransactionAsync();
        await ExecuteAsync(gate, "LOCK TABLE public.gate IN ACCESS EXCLUSIVE MODE");
        await using var first = NpgsqlDataSource.Create(db.ConnectionString);
        await using var second = NpgsqlDataSource.Create(db.ConnectionString);
        var secondLogger = new ListLogger();

        var firstRun = Migrator(first).MigrateAsync(Schema, scripts);
        await Eventually.TrueAsync(() => WaitingAsync(db.DataSource, "relation"), TimeSpan.FromSeconds(10), "first migrator blocked on the gate");
        var secondRun = new SqlMigrator(second, secondLogger).MigrateAsync(Schema, scripts);
        await Eventually.TrueAsync(() => WaitingAsync(db.DataSource, "advisory"), TimeSpan.FromSeconds(10), "second migrator waiting for the lock");
        await gateTransaction.CommitAsync();
        var results = await Task.WhenAll(firstRun, secondRun);

        Assert.Equal(3, results[0].Applied.Count);
        Assert.Empty(results[1].Applied);
        Assert.Equal(3, results[1].AlreadyApplied);
        Assert.Equal(1L, await ScalarAsync<long>(db.DataSource, "SELECT count(*) FROM demo.items"));
        Assert.Contains(secondLogger.Entries, entry => entry.Message.Contains("Waiting for the migration lock", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NoTransactionScriptCanCreateAnIndexConcurrently()
    {
        await using var db = await TestDatabase.CreateEmptyAsync();
        using var folder = new ScriptFolder();
        folder.Write("0001_create_items.sql", CreateItems.Sql);
        folder.Write(
            "0002_index_sku.sql",
            "\n-- migrate:no-transaction\n-- Concurrently, so a large table stays writable.\nCREATE INDEX CONCURRENTLY IF NOT EXISTS items_sku ON demo.items (sku);\n-- trailing comment\n");
        var scripts = MigrationSource.FromDirectory(folder.Path);

        var result = await Migrator(db.DataSource).MigrateAsync(Schema, scripts);

        Assert.False(scripts[1].Transactional);
        Assert.Equal(["0001_create_items", "0002_index_sku"], result.Applied);
        Assert.True(await ScalarAsync<bool>(db.DataSource, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'demo.items_sku'::regclass"));
        Assert.Equal(2, (await HistoryAsync(db.DataSource)).Count);
    }

    [Fact]
    public async Task CreateIndexConcurrentlyFailsInATransactionalScript()
    {
        await using var db = await TestDatabase.CreateEmptyAsync();
        var withoutMarker = Script(2, "0002_index_sku", "CREATE INDEX CONCURRENTLY IF NOT EXISTS items_sku ON demo.items (sku);");

        var error = await Assert.ThrowsAsync<MigrationException>(
            () => Migrator(db.DataSource).MigrateAsync(Schema, [CreateItems, withoutMarker]));

        Assert.Equal("0002_index_sku", error.Script);
        Assert.Contains("SQLSTATE 25001", error.Message, StringComparison.Ordinal);
        Assert.Null(await ScalarAsync<string>(db.DataSource, "SELECT to_regclass('demo.items_sku')::text"));
        Assert.Equal([1], (await HistoryAsync(db.DataSource)).Select(row => row.Version));
    }

    [Fact]
    public async Task NoTransactionScriptWithSeveralStatementsIsRefused()
    {
        await using var db = await TestDatabase.CreateEmptyAsync();
        var twoStatements = Script(
            2,
            "0002_indexes",
            "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY a ON demo.items (sku);\nCREATE INDEX CONCURRENTLY b ON demo.items (id, sku);\n",
            transactional: false);

        var error = await Assert.ThrowsAsync<MigrationException>(
            () => Migrator(db.DataSource).MigrateAsync(Schema, [CreateItems, twoStatements]));

        Assert.Contains("0002_indexes", error.Message, StringComparison.Ordinal);
        Assert.Contains("exactly one statement", error.Message, StringComparison.Ordinal);
        Assert.Equal([1], (await HistoryAsync(db.DataSource)).Select(row => row.Version));
    }

    [Fact]
    public async Task FailingScriptRollsBackAndIsNamedInTheError()
    {
        await using var db = await TestDatabase.CreateEmptyAsync();
        var failing = Script(
            2,
            "0002_create_orders",
            "CREATE TABLE demo.orders (id int PRIMARY KEY);\nINSERT INTO demo.orders VALUES (1);\nINSERT INTO demo.missing VALUES (1);\n");

        var error = await Assert.ThrowsAsync<MigrationException>(
            () => Migrator(db.DataSource).MigrateAsync(Schema, [CreateItems, failing, SeedItem]));

        Assert.Equal("0002_create_orders", error.Script);
        Assert.Contains("migration 0002_create_orders in schema demo failed", error.Message, StringComparison.Ordinal);
        Assert.Contains("SQLSTATE 42P01", error.Message, StringComparison.Ordinal);
        Assert.Contains("line 3", error.Message, StringComparison.Ordinal);
        Assert.IsType<PostgresException>(error.InnerException);
        Assert.Null(await ScalarAsync<string>(db.DataSource, "SELECT to_regclass('demo.orders')::text"));
        Assert.Equal([1], (await HistoryAsync(db.DataSource)).Select(row => row.Version));
    }

    [Fact]
    public async Task SemicolonsInsideQuotesCommentsAndFunctionBodiesDoNotEndAStatement()
    {
        await using var db = await TestDatabase.CreateEmptyAsync();
        var tricky = Script(
            2,
            "0002_tricky",
            """
            /* a comment; /* nested; */ still a comment; */
            INSERT INTO demo.items (id, sku) VALUES (1, 'semi;colon'), (2, E'it\'s;'), (3, $q$dollar;quoted$q$);
            -- a line comment;
            CREATE FUNCTION demo.touch() RETURNS int LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE demo.items SET sku = sku || ';';
                RETURN 1;
            END;
            $$;
            CREATE TABLE demo."odd;name" (id int);
            """);

        await Migrator(db.DataSource).MigrateAsync(Schema, [CreateItems, tricky]);

        Assert.Equal(3L, await ScalarAsync<long>(db.DataSource, "SELECT count(*) FROM demo.items WHERE sku LIKE '%;%'"));
        Assert.Equal(1, await ScalarAsync<int>(db.DataSource, "SELECT demo.touch()"));
        Assert.NotNull(await ScalarAsync<string>(db.DataSource, "SELECT to_regclass('demo.\"odd;name\"')::text"));
    }

    [Fact]
    public async Task FailedRunCanBeRetriedOnceTheScriptIsFixed()
    {
        await using var db = await TestDatabase.CreateEmptyAsync();
        var failing = Script(2, "0002_create_orders", "CREATE TABLE demo.orders (id int PRIMARY KEY, item int REFERENCES demo.nope (id));");
        await Assert.ThrowsAsync<MigrationException>(() => Migrator(db.DataSource).MigrateAsync(Schema, [CreateItems, failing]));

        var result = await Migrator(db.DataSource).MigrateAsync(
            Schema, [CreateItems, failing with { Sql = "CREATE TABLE demo.orders (id int PRIMARY KEY, item int REFERENCES demo.items (id));" }]);

        Assert.Equal(["0002_create_orders"], result.Applied);
    }

    [Theory]
    [InlineData("Catalog")]
    [InlineData("cat-alog")]
    [InlineData("demo; DROP SCHEMA public")]
    [InlineData("")]
    public async Task RefusesASchemaNameThatIsNotALowercaseIdentifier(string schema)
    {
        await using var dataSource = NpgsqlDataSource.Create(TestServers.PostgresAdmin);

        await Assert.ThrowsAsync<ArgumentException>(() => Migrator(dataSource).MigrateAsync(schema, [CreateItems]));
    }

    [Fact]
    public async Task RefusesTwoScriptsWithTheSameVersion()
    {
        await using var dataSource = NpgsqlDataSource.Create(TestServers.PostgresAdmin);
        var clash = Script(1, "01_create_other", "SELECT 1;");

        var error = await Assert.ThrowsAsync<MigrationException>(() => Migrator(dataSource).MigrateAsync(Schema, [CreateItems, clash]));

        Assert.Contains("0001_create_items", error.Message, StringComparison.Ordinal);
        Assert.Contains("01_create_other", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusesAScriptWhoseNameDoesNotStartWithItsVersion()
    {
        await using var dataSource = NpgsqlDataSource.Create(TestServers.PostgresAdmin);

        var unnumbered = await Assert.ThrowsAsync<MigrationException>(
            () => Migrator(dataSource).MigrateAsync(Schema, [Script(1, "create_items", "SELECT 1;")]));
        var mismatched = await Assert.ThrowsAsync<MigrationException>(
            () => Migrator(dataSource).MigrateAsync(Schema, [Script(2, "0001_create_items", "SELECT 1;")]));

        Assert.Contains("create_items", unnumbered.Message, StringComparison.Ordinal);
        Assert.Contains("0001_create_items", mismatched.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusesATransactionalFlagThatContradictsTheMarker()
    {
        await using var dataSource = NpgsqlDataSource.Create(TestServers.PostgresAdmin);
        var marked = Script(2, "0002_index_sku", "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY i ON demo.items (sku);", transactional: true);
        var unmarked = Script(2, "0002_index_sku", "CREATE INDEX CONCURRENTLY i ON demo.items (sku);", transactional: false);

        var markedError = await Assert.ThrowsAsync<MigrationException>(() => Migrator(dataSource).MigrateAsync(Schema, [CreateItems, marked]));
        var unmarkedError = await Assert.ThrowsAsync<MigrationException>(() => Migrator(dataSource).MigrateAsync(Schema, [CreateItems, unmarked]));

        Assert.Equal("0002_index_sku", markedError.Script);
        Assert.Equal("0002_index_sku", unmarkedError.Script);
    }

    [Fact]
    public void FromDirectoryReadsVersionAndNameFromTheFileName()
    {
        using var folder = new ScriptFolder();
        folder.Write("0002_index_sku.sql", "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS items_sku ON demo.items (sku);\n");
        folder.Write("0001_create_items.sql", CreateItems.Sql);
        folder.Write("10_seed.sql", SeedItem.Sql);
        folder.Write("README.md", "not a migration");
        folder.Write("nested/0003_ignored.sql", "SELECT 1;");

        var scripts = MigrationSource.FromDirectory(folder.Path);

        Assert.Equal([1, 2, 10], scripts.Select(script => script.Version));
        Assert.Equal(["0001_create_items", "0002_index_sku", "10_seed"], scripts.Select(script => script.Name));
        Assert.Equal([true, false, true], scripts.Select(script => script.Transactional));
        Assert.Equal(CreateItems.Sql, scripts[0].Sql);
    }

    [Fact]
    public void FromDirectoryRefusesAFileWithoutAVersion()
    {
        using var folder = new ScriptFolder();
        folder.Write("0001_create_items.sql", CreateItems.Sql);
        folder.Write("create_orders.sql", "SELECT 1;");

        var error = Assert.Throws<MigrationException>(() => MigrationSource.FromDirectory(folder.Path));

        Assert.Contains("create_orders.sql", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromDirectoryRefusesTwoFilesWithTheSameVersion()
    {
        using var folder = new ScriptFolder();
        folder.Write("0001_create_items.sql", CreateItems.Sql);
        folder.Write("1_create_orders.sql", "SELECT 1;");

        var error = Assert.Throws<MigrationException>(() => MigrationSource.FromDirectory(folder.Path));

        Assert.Contains("0001_create_items.sql", error.Message, StringComparison.Ordinal);
        Assert.Contains("1_create_orders.sql", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromAssemblyReadsTheSqlResourcesOfTheMigrationsFolder()
    {
        var assembly = ResourceAssembly.Load(
            ("Fake.Service.Migrations.0002_add_price.sql", AddPrice.Sql),
            ("Fake.Service.Migrations.0001_create_items.sql", CreateItems.Sql),
            ("Fake.Service.Migrations.0003_index.v2.sql", "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY i ON demo.items (sku);"),
            ("Fake.Service.Migrations.notes.txt", "not a migration"),
            ("Fake.Service.Seed.0001_seed.sql", SeedItem.Sql));

        var scripts = MigrationSource.FromAssembly(assembly);

        Assert.Equal(["0001_create_items", "0002_add_price", "0003_index.v2"], scripts.Select(script => script.Name));
        Assert.Equal([1, 2, 3], scripts.Select(script => script.Version));
        Assert.Equal([true, true, false], scripts.Select(script => script.Transactional));
        Assert.Equal(AddPrice.Checksum, scripts[1].Checksum);
        Assert.Equal(["0001_seed"], MigrationSource.FromAssembly(assembly, ".Seed.").Select(script => script.Name));
    }

    [Fact]
    public void FromAssemblyRefusesAResourceWithoutAVersion()
    {
        var assembly = ResourceAssembly.Load(("Fake.Service.Migrations.create_items.sql", CreateItems.Sql));

        var error = Assert.Throws<MigrationException>(() => MigrationSource.FromAssembly(assembly));

        Assert.Contains("Fake.Service.Migrations.create_items.sql", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ChecksumIsTheSha256OfTheTextWithUnixLineEndings()
    {
        var unix = Script(1, "0001_x", "SELECT 1;\nSELECT 2;\n");
        var windows = unix with { Sql = "SELECT 1;\r\nSELECT 2;\r\n" };

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData("SELECT 1;\nSELECT 2;\n"u8)), unix.Checksum);
        Assert.Equal(unix.Checksum, windows.Checksum);
        Assert.NotEqual(unix.Checksum, (unix with { Sql = "SELECT 1;\nSELECT 3;\n" }).Checksum);
    }

    private static MigrationScript Script(int version, string name, string sql, bool transactional = true) => new(version, name, sql, transactional);

    private static SqlMigrator Migrator(NpgsqlDataSource dataSource) => new(dataSource, new ListLogger());

    private static async Task<List<(int Version, string Name, string Checksum, int ExecutionMs)>> HistoryAsync(NpgsqlDataSource dataSource)
    {
        var rows = new List<(int, string, string, int)>();
        await using var command = dataSource.CreateCommand("SELECT version, name, checksum, execution_ms FROM demo.schema_migrations ORDER BY version");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetInt32(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3)));
        }

        return rows;
    }

    private static async Task<T?> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return await command.ExecuteScalarAsync() is T value ? value : default;
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static Task<bool> WaitingAsync(NpgsqlDataSource dataSource, string lockType) =>
        ScalarAsync<bool>(
            dataSource,
            $"SELECT EXISTS (SELECT FROM pg_locks WHERE locktype = '{lockType}' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))");

    /// <summary>Keeps what the migrator logs, to check the lines that matter.</summary>
    private sealed class ListLogger : ILogger<SqlMigrator>
    {
        private readonly ConcurrentQueue<(LogLevel Level, string Message)> entries = new();

        public IReadOnlyCollection<(LogLevel Level, string Message)> Entries => entries;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue((logLevel, formatter(state, exception)));
    }

    private sealed class ScriptFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("migrations-").FullName;

        public void Write(string name, string text)
        {
            var file = System.IO.Path.Combine(Path, name);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
            File.WriteAllText(file, text);
        }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }

    /// <summary>
    /// A real assembly with embedded resources, emitted in memory, so FromAssembly is tested against the runtime's
    /// resource lookup without a test project that embeds SQL files.
    /// </summary>
    private static class ResourceAssembly
    {
        public static Assembly Load(params (string Name, string Text)[] resources)
        {
            var builder = new PersistedAssemblyBuilder(new AssemblyName("Fake.Service." + Guid.NewGuid().ToString("N")), typeof(object).Assembly);
            builder.DefineDynamicModule("Fake.Service");
            var metadata = builder.GenerateMetadata(out var il, out var fieldData);
            var blob = new BlobBuilder();
            foreach (var (name, text) in resources)
            {
                var offset = blob.Count;
                var bytes = Encoding.UTF8.GetBytes(text);
                blob.WriteInt32(bytes.Length);
                blob.WriteBytes(bytes);
                blob.Align(8);
                metadata.AddManifestResource(ManifestResourceAttributes.Public, metadata.GetOrAddString(name), default, (uint)offset);
            }

            var pe = new ManagedPEBuilder(PEHeaderBuilder.CreateLibraryHeader(), new MetadataRootBuilder(metadata), il, fieldData, managedResources: blob);
            var image = new BlobBuilder();
            pe.Serialize(image);
            using var stream = new MemoryStream();
            image.WriteContentTo(stream);
            stream.Position = 0;
            return new AssemblyLoadContext(name: null, isCollectible: true).LoadFromStream(stream);
        }
    }
}
