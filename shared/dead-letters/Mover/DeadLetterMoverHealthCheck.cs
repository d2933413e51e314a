using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Platform.DeadLetters.Mover;

/// <summary>
/// <c>dead-letter-mover</c> readiness entry. Degraded, never unhealthy, while the mover is not consuming: the node
/// still invalidates caches, and the dead letters wait safely in their queues until it reconnects. Ours rather than
/// AspNetCore.HealthChecks.Rabbitmq: it reports which error queues are consumed and which do not exist yet, not just
/// that the broker answers.
/// </summary>
internal sealed class DeadLetterMoverHealthCheck(DeadLetterMoverStatus status, IOptions<DeadLetterOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!options.Value.MoverEnabled)
        {
            return Task.FromResult(HealthCheckResult.Healthy("mover disabled on this node (DeadLetters:MoverEnabled=false)"));
        }

        var (problem, since, consuming, waiting) = status.Snapshot();
        if (problem is not null)
        {
            return Task.FromResult(HealthCheckResult.Degraded($"not consuming since {since:O}: {problem}"));
        }

        // A queue that does not exist yet is not a problem: MassTransit creates it at the first fault there.
        var description = $"consuming {(consuming.Count == 0 ? "no queue yet" : string.Join(", ", consuming))}";
        return Task.FromResult(HealthCheckResult.Healthy(waiting.Count == 0
            ? description
            : $"{description}; not created yet (no fault there so far): {string.Join(", ", waiting)}"));
    }
}
