using System.Collections.Concurrent;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Platform.Hosting.Security;

/// <summary>
/// Health answers are served to whoever reaches a node's port, so a check that is not healthy keeps its status there but
/// not its words: a failure's description and exception text (server addresses, connection strings, server messages)
/// go to this service's log instead — once per change of a check's state, not at every probe. Wraps every registered
/// check, whoever registered it (ours, a package's, MassTransit's).
/// </summary>
internal sealed partial class HealthDisclosure(HealthDisclosure.Causes causes) : IPostConfigureOptions<HealthCheckServiceOptions>
{
    /// <summary>What a check that is not healthy says on the health endpoints.</summary>
    public const string Redacted = "see this service's log for the cause";

    public void PostConfigure(string? name, HealthCheckServiceOptions options)
    {
        foreach (var registration in options.Registrations)
        {
            var factory = registration.Factory;
            registration.Factory = services => new Check(factory(services), causes);
        }
    }

    private sealed class Check(IHealthCheck inner, Causes causes) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            HealthCheckResult result;
            try
            {
                result = await inner.CheckHealthAsync(context, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                result = new HealthCheckResult(context.Registration.FailureStatus, e.Message, e);
            }

            causes.Observe(context.Registration.Name, result);
            return result.Status == HealthStatus.Healthy ? result : new HealthCheckResult(result.Status, Redacted, null, result.Data);
        }
    }

    /// <summary>The last cause logged per check, so each change is logged once.</summary>
    internal sealed partial class Causes(ILogger<HealthDisclosure> logger)
    {
        private readonly ConcurrentDictionary<string, (HealthStatus Status, string? Description)> _last = new(StringComparer.Ordinal);

        public void Observe(string check, HealthCheckResult result)
        {
            if (result.Status == HealthStatus.Healthy)
            {
                _last.TryRemove(check, out _);
                return;
            }

            var now = (result.Status, result.Description);
            var previous = _last.TryGetValue(check, out var seen) ? seen : (HealthStatus.Healthy, null);
            if (previous != now)
            {
                _last[check] = now;
                LogCause(logger, check, result.Status, previous.Status, result.Description ?? result.Exception?.Message ?? "(no description)", result.Exception);
            }
        }

        [LoggerMessage(Level = LogLevel.Warning, Message = "Health check {Check} is {Status} (was {Previous}): {Cause}")]
        private static partial void LogCause(ILogger logger, string check, HealthStatus status, HealthStatus previous, string cause, Exception? exception);
    }
}
