using System.CommandLine;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.DeadLetters.Cli;
using Platform.DeadLetters.Http;
using Platform.DeadLetters.Monitoring;
using Platform.DeadLetters.Mover;
using Platform.DeadLetters.Operations;
using Platform.DeadLetters.Storage;
using Platform.Hosting.Configuration;
using Platform.Messaging.Bus;

namespace Platform.DeadLetters;

/// <summary>
/// How a service hosts the dead-letter store, one call per phase of its host: <see cref="AddDeadLetters"/> on the
/// builder (store, mover, retention, metrics, readiness), <see cref="MapDeadLetterOps"/> on the built app, after its
/// authentication and authorization middleware (the ops API), and <see cref="DeadLetterVerbs"/> on its command line
/// (the <c>dlq</c> verbs, which run without the web host). The tables live in the host's schema migration
/// (services/cache-invalidator/Migrations/0001_create_dead_letters.sql).
/// </summary>
public static class DeadLetterHosting
{
    /// <summary>
    /// Adds the store and its operations, the mover that drains the error queues (<see cref="DeadLetterOptions.Queues"/>,
    /// bus entity prefix applied), retention, the stored-count gauge and the <c>dead-letter-mover</c> readiness entry.
    /// Expects <c>AddPlatformPostgres</c>, <c>AddPlatformBus</c> (which validates <c>ConnectionStrings:RabbitMq</c>) and
    /// API-key authentication with the <see cref="OpsScopes.Admin"/> scope.
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

    /// <summary>The ops API under <c>/ops/dead-letters</c>, every endpoint requiring the <see cref="OpsScopes.Admin"/> policy.</summary>
    public static IEndpointRouteBuilder MapDeadLetterOps(this IEndpointRouteBuilder app) => DeadLetterEndpoints.Map(app);

    /// <summary>
    /// The <c>dlq</c> verb and its subverbs, for the root command of <paramref name="serviceName"/>'s binary (its name
    /// starts every error line and names its configuration).
    /// </summary>
    public static Command DeadLetterVerbs(string serviceName) => DeadLetterCommands.Create(serviceName);

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
        builder.Services.TryAddSingleton<ReplayDestinations>();
        builder.Services.TryAddSingleton<DeadLetterMetrics>();
        builder.Services.TryAddSingleton<DeadLetterGauge>();
        builder.Services.TryAddSingleton<DeadLetterService>();
        return builder;
    }
}
