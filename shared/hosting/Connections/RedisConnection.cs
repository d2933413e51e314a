using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Platform.Hosting.Configuration;
using StackExchange.Redis;

namespace Platform.Hosting.Connections;

/// <summary>Registers the service's Redis connection, its validation and its readiness check.</summary>
public static class RedisConnection
{
    /// <summary>
    /// Adds a singleton <see cref="IConnectionMultiplexer"/> from <c>ConnectionStrings:Redis</c> (validated at start,
    /// <c>abortConnect=false</c> forced so the service starts while Redis is down and reconnects by itself;
    /// <see cref="BacklogPolicy.FailFast"/> so a command made while Redis is unreachable fails at once instead of
    /// waiting in the client's backlog for the whole timeout — the cache then serves from its other layer or the database)
    /// and a <c>redis</c> readiness check.
    /// </summary>
    public static IHostApplicationBuilder AddPlatformRedis(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ConnectionStringsOptions>().BindConfiguration(ConnectionStringsOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ConnectionStringsOptions>, Validator>();
        builder.Services.AddSingleton<IConnectionMultiplexer>(sp =>
        {
            var options = ConfigurationOptions.Parse(sp.GetRequiredService<IOptions<ConnectionStringsOptions>>().Value.Redis!);
            ApplyPlatformDefaults(options);
            return ConnectionMultiplexer.Connect(options);
        });
        builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", tags: [HealthTags.Ready]);
        return builder;
    }

    /// <summary>The client settings every platform connection uses (services, cache nodes in tests, benchmarks).</summary>
    public static ConfigurationOptions ApplyPlatformDefaults(ConfigurationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        return options;
    }

    internal sealed class Validator : IValidateOptions<ConnectionStringsOptions>
    {
        public ValidateOptionsResult Validate(string? name, ConnectionStringsOptions options)
        {
            const string key = ConnectionStringsOptions.Section + ":Redis";
            if (string.IsNullOrWhiteSpace(options.Redis))
            {
                return ValidateOptionsResult.Fail($"{key} is required (e.g. 127.0.0.1:56379,abortConnect=false)");
            }

            try
            {
                var parsed = ConfigurationOptions.Parse(options.Redis);
                if (parsed.EndPoints.Count == 0)
                {
                    return ValidateOptionsResult.Fail($"{key} names no endpoint (host:port)");
                }
            }
            catch (Exception e) when (e is ArgumentException or FormatException or RedisConnectionException)
            {
                return ValidateOptionsResult.Fail($"{key} is not a valid Redis configuration: {e.Message}");
            }

            return ValidateOptionsResult.Success;
        }
    }

    private sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            if (!redis.IsConnected)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, "Redis not connected");
            }

            try
            {
                var latency = await redis.GetDatabase().PingAsync();
                return HealthCheckResult.Healthy($"ping {latency.TotalMilliseconds:0.0} ms");
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, $"Redis unreachable: {e.Message}");
            }
        }
    }
}
