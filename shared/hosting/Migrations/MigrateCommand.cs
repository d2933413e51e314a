using System.CommandLine;
using System.Reflection;
using Npgsql;
using Platform.Hosting.CommandLine;
using Platform.Hosting.Connections;

namespace Platform.Hosting.Migrations;

/// <summary>The <c>migrate</c> verb every service binary has: applies the service's embedded SQL migrations.</summary>
public static class MigrateCommand
{
    public static Command Create(string serviceName, string schema, Assembly migrations)
    {
        var command = new Command("migrate", $"Apply the '{schema}' schema's SQL migrations. Idempotent; several nodes may run it at once.");
        command.SetAction(async (_, cancellationToken) =>
        {
            var builder = PlatformCommandLine.CreateBuilder(serviceName);
            builder.AddPlatformPostgres();
            builder.Services.AddSingleton<SqlMigrator>();
            return await PlatformCommandLine.RunAsync(builder, async (services, ct) =>
            {
                try
                {
                    var result = await services.GetRequiredService<SqlMigrator>()
                        .MigrateAsync(schema, MigrationSource.FromAssembly(migrations), ct);
                    Console.WriteLine(result.Applied.Count == 0
                        ? $"{serviceName}: schema {schema} is up to date ({result.AlreadyApplied} migrations)"
                        : $"{serviceName}: schema {schema}: applied {string.Join(", ", result.Applied)}");
                    return 0;
                }
                catch (MigrationException e)
                {
                    await Console.Error.WriteLineAsync($"{serviceName} migrate: {e.Message}");
                    return 1;
                }
                catch (NpgsqlException e)
                {
                    await Console.Error.WriteLineAsync($"{serviceName} migrate: cannot reach PostgreSQL: {e.Message}");
                    return 1;
                }
            }, cancellationToken);
        });
        return command;
    }
}
