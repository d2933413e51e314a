using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Platform.Messaging.Bus;

namespace CacheInvalidator.DeadLetters;

/// <summary>The error queues of this deployment as declared on the broker (bus entity prefix applied).</summary>
internal sealed class DeadLetterQueues(IOptions<DeadLetterOptions> options, IOptions<BusOptions> bus)
{
    public IReadOnlyList<string> Names { get; } = DeadLetterOptions.Prefixed(options.Value.EffectiveQueues, bus.Value.EntityPrefix);
}

/// <summary>Test seam: runs after a delivery's row is committed and before it is acked (to kill the mover right there).</summary>
internal sealed class DeadLetterMoverHooks
{
    public Func<DeadLetterRecord, CancellationToken, Task>? AfterCommitAsync { get; init; }
}

/// <summary>What the mover last reported, for the readiness check.</summary>
internal sealed class DeadLetterMoverStatus(TimeProvider time)
{
    private readonly Lock _gate = new();
    private string? _problem = "starting";
    private DateTimeOffset _since = time.GetUtcNow();
    private IReadOnlyList<string> _consuming = [];
    private IReadOnlyList<string> _waiting = [];

    /// <summary>Connected, and consuming every error queue that exists.</summary>
    public bool IsConnected
    {
        get
        {
            lock (_gate)
            {
                return _problem is null;
            }
        }
    }

    public IReadOnlyList<string> Consuming
    {
        get
        {
            lock (_gate)
            {
                return _consuming;
            }
        }
    }

    public void Connected(IReadOnlyList<string> consuming, IReadOnlyList<string> waiting)
    {
        lock (_gate)
        {
            if (_problem is not null)
            {
                _since = time.GetUtcNow();
            }

            (_problem, _consuming, _waiting) = (null, consuming, [.. waiting]);
        }
    }

    public void Disconnected(string problem)
    {
        lock (_gate)
        {
            if (_problem is null)
            {
                _since = time.GetUtcNow();
            }

            (_problem, _consuming) = (problem, []);
        }
    }

    public (string? Problem, DateTimeOffset Since, IReadOnlyList<string> Consuming, IReadOnlyList<string> Waiting) Snapshot()
    {
        lock (_gate)
        {
            return (_problem, _since, _consuming, _waiting);
        }
    }
}

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
