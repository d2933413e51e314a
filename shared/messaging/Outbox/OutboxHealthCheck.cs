using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Platform.Messaging.Outbox;

/// <summary>
/// Readiness from the relay's last observation: events stop flowing when the oldest undispatched row grows older
/// than <see cref="OutboxOptions.ReadinessMaxAge"/>, or when no relay loop observed the outbox for that long.
/// Registered with failure status Degraded: the node still serves reads, while the status names the problem.
/// </summary>
internal sealed class OutboxHealthCheck(OutboxRelayStatus status, IOptions<OutboxOptions> options, TimeProvider time) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var threshold = options.Value.ReadinessMaxAge;
        var snapshot = status.Read();
        var data = new Dictionary<string, object>
        {
            ["schema"] = status.Schema,
            ["active"] = snapshot.Active,
            ["depth"] = snapshot.Depth,
            ["oldestAgeSeconds"] = Math.Round(snapshot.OldestAge.TotalSeconds, 1),
        };
        if (snapshot.ObservedAt is not { } observedAt)
        {
            return Task.FromResult(HealthCheckResult.Healthy($"outbox {status.Schema}: not observed yet", data));
        }

        var sinceObserved = time.GetUtcNow() - observedAt;
        if (sinceObserved > threshold)
        {
            return Task.FromResult(new HealthCheckResult(
                context.Registration.FailureStatus,
                $"outbox {status.Schema}: relay has not observed the outbox for {Seconds(sinceObserved)} s (threshold {Seconds(threshold)} s)",
                data: data));
        }

        if (snapshot.OldestAge > threshold)
        {
            return Task.FromResult(new HealthCheckResult(
                context.Registration.FailureStatus,
                $"outbox {status.Schema}: oldest undispatched message is {Seconds(snapshot.OldestAge)} s old (threshold {Seconds(threshold)} s), {snapshot.Depth} waiting",
                data: data));
        }

        return Task.FromResult(HealthCheckResult.Healthy($"outbox {status.Schema}: {snapshot.Depth} waiting, oldest {Seconds(snapshot.OldestAge)} s", data));
    }

    private static string Seconds(TimeSpan value) => value.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);
}
