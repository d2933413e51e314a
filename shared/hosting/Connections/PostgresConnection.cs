using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Hosting.Configuration;

namespace Platform.Hosting.Connections;

/// <summary>Registers the service's PostgreSQL data source, its validation and its readiness check.</summary>
public static class PostgresConnection
{
    /// <summary>
    /// Adds a singleton <see cref="NpgsqlDataSource"/> from <c>ConnectionStrings:Postgres</c> (validated at start)
    /// and a <c>postgres</c> readiness check.
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
        builder.Services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgres", tags: [HealthTags.Ready]);
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

    private sealed class PostgresHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await using var command = dataSource.CreateCommand("SELECT 1");
                await command.ExecuteScalarAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, $"PostgreSQL unreachable: {e.Message}");
            }
        }
    }
}
