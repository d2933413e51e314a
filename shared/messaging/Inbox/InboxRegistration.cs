using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Hosting.Configuration;

namespace Platform.Messaging.Inbox;

/// <summary>Registers a schema's <see cref="Inbox"/> and its periodic cleanup.</summary>
public static class InboxRegistration
{
    /// <summary>
    /// Adds an <see cref="Inbox"/> for <paramref name="schema"/> (keyed by the schema) and a background cleanup that
    /// deletes records older than <see cref="InboxOptions.Retention"/>. Needs the service's <see cref="NpgsqlDataSource"/>.
    /// Cleanup runs on every node; concurrent deletes of the same old rows are harmless.
    /// </summary>
    public static IHostApplicationBuilder AddInbox(this IHostApplicationBuilder builder, string schema)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var inbox = new Inbox(schema);
        if (!builder.Services.Any(d => d.ServiceType == typeof(IValidateOptions<InboxOptions>)))
        {
            builder.Services.AddValidatedOptions<InboxOptions>(InboxOptions.Section);
            builder.Services.TryAddSingleton(TimeProvider.System);
        }

        builder.Services.AddKeyedSingleton(schema, inbox);
        builder.Services.AddSingleton<IHostedService>(sp => new InboxCleanupService(
            inbox,
            sp.GetRequiredService<NpgsqlDataSource>(),
            sp.GetRequiredService<IOptions<InboxOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<InboxCleanupService>>()));
        return builder;
    }
}

/// <summary>Deletes old inbox records every <see cref="InboxOptions.CleanupInterval"/>.</summary>
internal sealed partial class InboxCleanupService(
    Inbox inbox,
    NpgsqlDataSource dataSource,
    IOptions<InboxOptions> options,
    TimeProvider time,
    ILogger<InboxCleanupService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var deleted = await inbox.CleanupAsync(dataSource, settings.Retention, settings.CleanupBatchSize, stoppingToken);
                if (deleted > 0)
                {
                    LogCleanedUp(inbox.Schema, deleted);
                }

                await Task.Delay(settings.CleanupInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (NpgsqlException e)
            {
                // The next round retries; a missed cleanup only keeps rows a little longer.
                LogFailed(e, inbox.Schema);
                await Task.Delay(settings.CleanupInterval, time, stoppingToken);
            }
        }
    }

    [LoggerMessage(LogLevel.Information, "Inbox cleanup in schema {Schema} deleted {Count} records")]
    private partial void LogCleanedUp(string schema, long count);

    [LoggerMessage(LogLevel.Warning, "Inbox cleanup in schema {Schema} failed; retrying next interval")]
    private partial void LogFailed(Exception exception, string schema);
}
