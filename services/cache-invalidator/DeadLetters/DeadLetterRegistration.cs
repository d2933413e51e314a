using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Hosting;
using Platform.Hosting.Configuration;
using Platform.Messaging.Bus;

[assembly: InternalsVisibleTo("CacheInvalidator.Tests")]

namespace CacheInvalidator.DeadLetters;

/// <summary>Wiring of the dead-letter store: mover, ops service, metrics, readiness, the <c>/ops</c> API.</summary>
public static class DeadLetterRegistration
{
    /// <summary>
    /// Adds the store and its operations, the mover that drains the error queues (<see cref="DeadLetterOptions.Queues"/>,
    /// bus entity prefix applied), the stored-count gauge and the <c>dead-letter-mover</c> readiness entry. Expects
    /// <c>AddPlatformPostgres</c> and <c>AddPlatformBus</c> (which validates <c>ConnectionStrings:RabbitMq</c>).
    /// </summary>
    public static IHostApplicationBuilder AddDeadLetters(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddDeadLetterOperations();
        builder.Services.TryAddSingleton<DeadLetterMoverHooks>();
        builder.Services.AddSingleton<DeadLetterMoverStatus>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DeadLetterGauge>());
        builder.Services.AddHostedService<DeadLetterMover>();
        builder.Services.TryAddSingleton<DeadLetterRetention>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DeadLetterRetention>());
        builder.Services.AddHealthChecks().AddCheck<DeadLetterMoverHealthCheck>("dead-letter-mover");
        return builder;
    }

    /// <summary>The ops API under <c>/ops/dead-letters</c>, every endpoint requiring the <c>ops:admin</c> policy.</summary>
    public static IEndpointRouteBuilder MapDeadLetterOps(this IEndpointRouteBuilder app) => DeadLetterEndpoints.Map(app);

    /// <summary>What the service and the <c>dlq</c> verbs share: store, replay publisher, ops service, metrics.</summary>
    internal static IHostApplicationBuilder AddDeadLetterOperations(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<DeadLetterOptions>(DeadLetterOptions.Section);
        // Bound here too (AddPlatformBus binds it as well) so queue names get the prefix wherever this runs.
        builder.Services.AddOptions<BusOptions>().BindConfiguration(BusOptions.Section);
        builder.Services.AddOptions<ConnectionStringsOptions>().BindConfiguration(ConnectionStringsOptions.Section);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddMetrics();
        builder.Services.TryAddSingleton<DeadLetterQueues>();
        builder.Services.TryAddSingleton<RabbitMqConnector>();
        builder.Services.TryAddSingleton<DeadLetterStore>();
        builder.Services.TryAddSingleton<DeadLetterPublisher>();
        builder.Services.TryAddSingleton<DeadLetterMetrics>();
        builder.Services.TryAddSingleton<DeadLetterGauge>();
        builder.Services.TryAddSingleton<DeadLetterService>();
        return builder;
    }
}
