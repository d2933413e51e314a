using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Hosting.Configuration;

namespace Platform.Hosting.Connections;

/// <summary>Registers the service's PostgreSQL data source, its validation and its readiness check.</summary>
public static class PostgresConnection
{
    /// <summary>
    /// Adds a singleton <see cref="NpgsqlDataSource"/> from <c>ConnectionStrings:Postgres</c> (validated at start)
    /// and a <c>postgres</c> readiness check (<c>SELECT 1</c>).
    /// </summary>
    public static IHostApplicationBuilder AddPlatformPostgres(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ConnectionStringsOptions>().BindConfiguration(ConnectionStringsOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ConnectionStringsOptions>, Validator>();
        builder.Services.AddSingleton(sp =>
        {
            var connectionString = sp.GetRequiredService<IOptions<ConnectionStringsOptions>>().Value.Postgres!;
            var dataSource = new NpgsqlDataSourceBuilder(connectionString);
            dataSource.UseLoggerFactory(sp.GetRequiredService<ILoggerFactory>());
            // Names the pool in Npgsql's metrics; otherwise the label is the connection string.
            dataSource.Name = sp.GetService<ServiceName>()?.Value ?? "postgres";
            return dataSource.Build();
        });
        // AspNetCore.HealthChecks.NpgSql: SELECT 1 on a connection of the service's own data source (what ours did).
        builder.Services.AddHealthChecks().AddNpgSql(sp => sp.GetRequiredService<NpgsqlDataSource>(), name: "postgres");
        return builder;
    }

    internal sealed class Validator : IValidateOptions<ConnectionStringsOptions>
    {
        public ValidateOptionsResult Validate(string? name, ConnectionStringsOptions options)
        {
            const string key = ConnectionStringsOptions.Section + ":Postgres";
            if (string.IsNullOrWhiteSpace(options.Postgres))
            {
                return ValidateOptionsResult.Fail($"{key} is required (an Npgsql connection string)");
            }

            try
            {
                var parsed = new NpgsqlConnectionStringBuilder(options.Postgres);
                if (string.IsNullOrEmpty(parsed.Host))
                {
                    return ValidateOptionsResult.Fail($"{key} has no Host");
                }

                if (string.IsNullOrEmpty(parsed.Database))
                {
                    return ValidateOptionsResult.Fail($"{key} has no Database");
                }
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
            {
                return ValidateOptionsResult.Fail($"{key} is not a valid PostgreSQL connection string: {e.Message}");
            }

            return ValidateOptionsResult.Success;
        }
    }
}
