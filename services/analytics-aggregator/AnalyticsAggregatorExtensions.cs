using AnalyticsAggregator.Ingest;
using AnalyticsAggregator.Retention;
using AnalyticsAggregator.Rollups;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Hosting;
using Platform.Hosting.Configuration;
using Platform.Hosting.Connections;
using Platform.Messaging.Bus;
using Platform.Messaging.Outbox;

namespace AnalyticsAggregator;

/// <summary>The analytics-aggregator service's wiring: its servers, ingest consumer, rollup loop and outbox relay.</summary>
public static class AnalyticsAggregatorExtensions
{
    public static WebApplicationBuilder AddAnalyticsAggregator(this WebApplicationBuilder builder)
    {
        builder.AddPlatformPostgres();
        // Pools opened before ready (no HTTP read path of its own to warm).
        builder.AddWarmUp();
        // MassTransit carries the outbox relay's publishes; the ingest queue is consumed by IngestService directly.
        builder.AddPlatformBus();
        builder.AddAnalyticsIngest();
        builder.AddOutboxRelay(AnalyticsAggregatorCommands.Schema);
        builder.AddAnalyticsCore();
        builder.Services.AddHostedService<RollupService>();
        return builder;
    }

    public static WebApplication MapAnalyticsAggregator(this WebApplication app) => app;

    /// <summary>
    /// The ingest consumer (<see cref="IngestService"/>) with its topology and readiness check <c>ingest</c>. Needs the
    /// platform bus options (<c>AddPlatformBus</c>: entity prefix, RabbitMQ connection string) and <see cref="AddAnalyticsCore"/>.
    /// </summary>
    public static IHostApplicationBuilder AddAnalyticsIngest(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton<RabbitMqConnector>();
        builder.Services.AddSingleton<IngestTopology>();
        builder.Services.AddSingleton<IngestStatus>();
        builder.Services.AddHealthChecks().AddCheck<IngestStatus>("ingest");
        builder.Services.AddHostedService<IngestService>();
        return builder;
    }

    /// <summary>
    /// What the service, its verbs and the benchmark share: options, metrics, the raw writer, partitions and the rollup
    /// job. Needs the service's <see cref="Npgsql.NpgsqlDataSource"/> (<c>AddPlatformPostgres</c>).
    /// </summary>
    public static IHostApplicationBuilder AddAnalyticsCore(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<AnalyticsOptions>(AnalyticsOptions.Section);
        if (!services.Any(d => d.ServiceType == typeof(TimeProvider)))
        {
            services.AddSingleton(TimeProvider.System);
        }

        services.AddSingleton<AnalyticsMetrics>();
        services.AddSingleton<RawEventPartitions>();
        services.AddSingleton<RawEventWriter>();
        services.AddSingleton<RollupJob>();
        // The service's relay registers this writer too (with the same schema); verbs have no relay.
        if (!services.Any(d => d.IsKeyedService && Equals(d.ServiceKey, AnalyticsAggregatorCommands.Schema) && d.ServiceType == typeof(OutboxWriter)))
        {
            services.AddKeyedSingleton(AnalyticsAggregatorCommands.Schema, (_, _) => new OutboxWriter(AnalyticsAggregatorCommands.Schema, AnalyticsAggregatorCommands.ServiceName));
        }

        return builder;
    }
}
