using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;
using Platform.Hosting.Configuration;
using StackExchange.Redis;

namespace Platform.Hosting.Connections;

/// <summary>Registers the service's Redis connection, its validation and its readiness check.</summary>
public static class RedisConnection
{
    /// <summary>
    /// Adds a singleton <see cref="IConnectionMultiplexer"/> from <c>ConnectionStrings:Redis</c> (validated at start,
    /// with <see cref="CreateOptions"/>: <c>abortConnect=false</c> forced so the service starts while Redis is down and
    /// reconnects by itself; <see cref="BacklogPolicy.FailFast"/> so a command made while Redis is unreachable fails at
    /// once instead of waiting in the client's backlog for the whole timeout — the cache then serves from its other
    /// layer or the database), a <c>redis</c> readiness check (PING) and, when tracing is on, a span per Redis command.
    /// </summary>
    public static IHostApplicationBuilder AddPlatformRedis(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ConnectionStringsOptions>().BindConfiguration(ConnectionStringsOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ConnectionStringsOptions>, Validator>();
        builder.Services.AddSingleton<IConnectionMultiplexer>(sp =>
        {
            var options = CreateOptions(sp.GetRequiredService<IOptions<ConnectionStringsOptions>>().Value.Redis!);
            return ConnectionMultiplexer.Connect(options);
        });
        // AspNetCore.HealthChecks.Redis: PING through the service's own connection, for every configured endpoint (and
        // CLUSTER INFO on a cluster) — what ours did, and a little more.
        builder.Services.AddHealthChecks().AddRedis(sp => sp.GetRequiredService<IConnectionMultiplexer>(), name: "redis");
        // Redis commands become spans (children of the cache's own spans) whenever tracing is on (an OTLP endpoint).
        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddRedisInstrumentation());
        return builder;
    }

    /// <summary>
    /// Parses a Redis configuration string with the settings every platform connection uses (services, cache nodes in
    /// tests, benchmarks): no abort on a failed first connect, <see cref="BacklogPolicy.FailFast"/>, a 1 s command
    /// timeout unless the string names one, a 250 ms client heartbeat and reconnect attempts 250 ms apart at first.
    /// </summary>
    public static ConfigurationOptions CreateOptions(string configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        // StackExchange.Redis 2+ waits 5 s for a reply by default (1.x: 1 s). A frozen Redis keeps its sockets open and
        // is noticed only when a call times out, so the longer default would stretch every Redis-fault bound by 4 s.
        if (!configuration.Contains("syncTimeout=", StringComparison.OrdinalIgnoreCase)
            && !configuration.Contains("asyncTimeout=", StringComparison.OrdinalIgnoreCase))
        {
            options.SyncTimeout = DefaultTimeoutMs;
            options.AsyncTimeout = DefaultTimeoutMs;
        }

        // The client looks for timed-out commands on its heartbeat (1 s by default), so a 1 s timeout could take 2 s
        // to fire; a 250 ms heartbeat keeps a frozen Redis's detection near the timeout itself.
        options.HeartbeatInterval = TimeSpan.FromMilliseconds(250);

        // The client gives a connect attempt that has not finished ReconnectRetryPolicy's time before it drops it and
        // tries again; the default, ExponentialRetry(ConnectTimeout / 2 = 2.5 s), made every client wait 2.6-2.9 s after
        // Redis was killed and restarted (its first attempt hangs), so a node that reconnected sooner re-cached a value
        // whose later writes could not record their evictions for 2 s: 74 reads past the 1 s bound in the long
        // consistency checker (ADR 013). 250 ms, growing by a tenth per failed attempt up to 2 s: 0.47-0.68 s.
        options.ReconnectRetryPolicy = new ExponentialRetry(ReconnectFirstRetryMs, ReconnectMaxRetryMs);

        return options;
    }

    /// <summary>Command timeout when the configuration string names none (the 1.x client's default).</summary>
    public const int DefaultTimeoutMs = 1000;

    /// <summary>How long an unfinished reconnect attempt may take before the next, at first and at most.</summary>
    public const int ReconnectFirstRetryMs = 250, ReconnectMaxRetryMs = 2000;

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
}
