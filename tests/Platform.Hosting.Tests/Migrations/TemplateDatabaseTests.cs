using Npgsql;
using Platform.Testing;

namespace Platform.Hosting.Tests.Migrations;

public sealed class TemplateDatabaseTests
{
    [Fact]
    public async Task MigratedDatabasesCreatedTogetherAreIndependent()
    {
        var created = await Task.WhenAll(TestDatabase.CreateMigratedAsync(), TestDatabase.CreateMigratedAsync());
        await using var first = created[0];
        await using var second = created[1];

        await ExecuteAsync(first.DataSource, "CREATE TABLE public.probe (id int PRIMARY KEY); INSERT INTO public.probe VALUES (1), (2);");
        await ExecuteAsync(second.DataSource, "CREATE TABLE public.probe (id int PRIMARY KEY);");

        Assert.NotEqual(first.Name, second.Name);
        Assert.Equal(2L, await CountAsync(first.DataSource));
        Assert.Equal(0L, await CountAsync(second.DataSource));
    }

    [Fact]
    public async Task AMigratedDatabaseHoldsTheSchemaOfEveryServiceInTheServiceList()
    {
        await using var database = await TestDatabase.CreateMigratedAsync();
        await using var command = database.DataSource.CreateCommand("SELECT nspname FROM pg_namespace");
        var schemas = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                schemas.Add(reader.GetString(0));
            }
        }

        // infra/services.tsv, the list ./platform migrates from: its last column is the schema each service owns.
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Platform.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("no Platform.sln above the test binary");
        }

        var listed = File.ReadLines(Path.Combine(root, "infra", "services.tsv"))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('\t')[4])
            .Distinct()
            .ToList();
        Assert.Equal(["catalog", "invalidator", "analytics"], listed);
        Assert.All(listed, schema => Assert.Contains(schema, schemas));
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> CountAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM public.probe");
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
