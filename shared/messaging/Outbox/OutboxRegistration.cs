using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Hosting;
using Platform.Hosting.Configuration;
using Platform.Messaging.Bus;

namespace Platform.Messaging.Outbox;

/// <summary>Registers a schema's outbox relay, writer, metrics and readiness check.</summary>
public static class OutboxRegistration
{
    /// <summary>
    /// Runs the outbox relay of <paramref name="schema"/> in this process (every node runs it; one is active).
    /// Needs the service's <see cref="NpgsqlDataSource"/> (<c>AddPlatformPostgres</c>) and bus (<c>AddPlatformBus</c>).
    /// Binds <see cref="OutboxOptions"/> to the <c>Outbox</c> section (validated at start) and applies
    /// <paramref name="configure"/> after it. Also registers, keyed by the schema, an <see cref="OutboxWriter"/>
    /// (source header: the application name) and the <see cref="OutboxRelayStatus"/>, and a readiness check
    /// <c>outbox-&lt;schema&gt;</c> that reports Degraded when events stop flowing.
    /// </summary>
    public static IHostApplicationBuilder AddOutboxRelay(this IHostApplicationBuilder builder, string schema, Action<OutboxOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        OutboxSchema.Validate(schema);
        var services = builder.Services;
        if (!services.Any(d => d.ServiceType == typeof(OutboxMetrics)))
        {
            // Once per process however many schemas it relays: the options section is shared.
            services.AddValidatedOptions<OutboxOptions>(OutboxOptions.Section);
            services.AddSingleton<OutboxMetrics>();
            services.TryAddSingleton(TimeProvider.System);
            services.TryAddSingleton<RabbitMqConnector>();
        }

        if (configure is not null)
        {
            services.PostConfigure(configure);
        }

        var source = builder.Environment.ApplicationName;
        services.AddKeyedSingleton(schema, (_, _) => new OutboxWriter(schema, source));
        services.AddKeyedSingleton(schema, (sp, _) =>
        {
            var status = new OutboxRelayStatus(schema);
            sp.GetRequiredService<OutboxMetrics>().Track(status);
            return status;
        });
        services.AddSingleton<IHostedService>(sp => new OutboxRelay(
            schema,
            sp.GetRequiredService<NpgsqlDataSource>(),
            sp.GetRequiredService<IBusControl>(),
            sp.GetRequiredService<RabbitMqConnector>(),
            sp.GetRequiredService<IOptions<OutboxOptions>>(),
            sp.GetRequiredService<OutboxMetrics>(),
            sp.GetRequiredKeyedService<OutboxRelayStatus>(schema),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<OutboxRelay>>()));
        services.AddHealthChecks().Add(new HealthCheckRegistration(
            $"outbox-{schema}",
            sp => new OutboxHealthCheck(
                sp.GetRequiredKeyedService<OutboxRelayStatus>(schema),
                sp.GetRequiredService<IOptions<OutboxOptions>>(),
                sp.GetRequiredService<TimeProvider>()),
            HealthStatus.Degraded,
            tags: null));
        return builder;
    }
}
