using Npgsql;
using Platform.Testing;

namespace Platform.Messaging.Tests.Migrations;

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
