using Platform.Caching;
using Platform.Testing;
using Xunit.Abstractions;

namespace Platform.EndToEnd.Tests.Consistency;

/// <summary>
/// One checker run: the workload for <see cref="CheckerSettings.Duration"/> with the six faults injected one after
/// another (each followed by its recovery and a quiet period), then convergence and the event count.
/// </summary>
internal sealed class ConsistencyRun(ConsistencyCluster cluster, CheckerSettings settings, ITestOutputHelper output)
{
    private const int HotProducts = 8;
    // Generous: with a deep quorum-queue backlog MassTransit 8.5.12 needed up to 35 s to consume again after a RabbitMQ
    // restart (ADR 003), and a loaded machine adds to it; the readiness bodies are printed when it is not enough.
    private static readonly TimeSpan RecoveryDeadline = TimeSpan.FromSeconds(150);
    private static readonly TimeSpan ConvergenceDeadline = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan DrainDeadline = TimeSpan.FromSeconds(60);

    /// <summary>How long a deaf node serves an L1 entry past the last moment it heard (shared/caching README); reported, not a bound.</summary>
    public static TimeSpan DegradedL1Ttl { get; } = new CacheOptions().DegradedL1Ttl;

    private readonly ConsistencyHistory _history = new();

    public async Task<ConsistencyReport> RunAsync()
    {
        var hot = await HotSet.ChooseAsync(cluster, HotProducts);
        using var stop = new CancellationTokenSource();
        var workload = new Workload(cluster, _history, hot).RunAsync(stop.Token);
        var quiet = settings.QuietPeriod;
        double? baselineRate = null;
        try
        {
            var (runsBefore, before) = (await cluster.FactoryRunsAsync(), _history.NowMs);
            await QuietAsync(quiet);
            baselineRate = Rate(runsBefore, before, await cluster.FactoryRunsAsync(), _history.NowMs);
            var faults = Faults();
            // One cycle of all six faults at least; in long runs, another whenever one more (as long as the last) fits.
            var cycleMs = 0.0;
            while (cycleMs == 0 || _history.NowMs + cycleMs <= settings.Duration.TotalMilliseconds)
            {
                var cycleStarted = _history.NowMs;
                foreach (var (name, inject) in faults)
                {
                    await InjectAsync(name, inject);
                    await QuietAsync(quiet);
                }

                cycleMs = _history.NowMs - cycleStarted;
            }

            await QuietAsync(settings.Duration - TimeSpan.FromMilliseconds(_history.NowMs));
        }
        finally
        {
            await stop.CancelAsync();
            await workload;
        }

        var workloadMs = _history.NowMs;
        var (converged, convergenceMs) = await ConvergeAsync(hot);
        var events = await CountEventsAsync();
        var evaluation = _history.Evaluate(settings.Bound, baselineRate);
        return ConsistencyReport.Create(settings, _history, evaluation, events, workloadMs, converged, convergenceMs, hot, cluster.Replicated);
    }

    private List<(string Name, Func<FaultWindow, Task> Inject)> Faults() => cluster.Replicated ? ClusterFaults() : SingleServerFaults();

    /// <summary>
    /// The faults of servers run as a cluster (docs/scaling.md): a RabbitMQ node dies, a Redis primary dies and Sentinel
    /// promotes its replica (invalidations the replica had not received are lost: the nodes must notice and resync),
    /// a RabbitMQ node leaves the cluster's work and comes back.
    /// </summary>
    private List<(string Name, Func<FaultWindow, Task> Inject)> ClusterFaults() =>
    [
        ("rabbitmq kill -9 of the invalidator queue's leader + restart", async fault =>
        {
            var leader = await QueueLeaderAsync(null);
            await leader.KillAsync();
            var next = await QueueLeaderAsync(leader);
            fault.Detail = $"leader {leader.NodeName} killed, {next.NodeName} elected";
            await leader.RestartAsync();
        }),
        ("redis primary kill -9, Sentinel promotes the replica", async fault =>
        {
            var (killed, promoted, promotedAfterMs) = await cluster.ReplicatedRedis.KillPrimaryAsync();
            fault.Detail = $"primary :{killed} killed, :{promoted} promoted after {promotedAfterMs} ms; :{killed} back as its replica";
        }),
        ($"rabbitmq node of the queue's leader cut off (stop_app) {settings.RedisPause.TotalSeconds:0.#} s, start_app", async fault =>
        {
            var leader = await QueueLeaderAsync(null);
            await leader.StopAppAsync();
            try
            {
                // The fault's length, not a wait for a condition: the other two nodes carry on meanwhile.
                await Task.Delay(settings.RedisPause);
                fault.Detail = $"{leader.NodeName} stopped; leader meanwhile {(await cluster.InvalidatorQueueLeaderAsync())?.NodeName ?? "none"}";
            }
            finally
            {
                await leader.StartAppAsync();
            }
        }),
    ];

    /// <summary>The node leading the invalidator's queue; with <paramref name="other"/>, waits for a leader other than it.</summary>
    private async Task<RabbitMqServer> QueueLeaderAsync(RabbitMqServer? other)
    {
        RabbitMqServer? leader = null;
        await Eventually.TrueAsync(async () => (leader = await cluster.InvalidatorQueueLeaderAsync()) is not null && leader != other, RecoveryDeadline, "a leader of the invalidator's queue");
        return leader!;
    }

    private List<(string Name, Func<FaultWindow, Task> Inject)> SingleServerFaults() =>
    [
        ("redis kill -9 + restart", async fault =>
        {
            await cluster.Redis.KillAsync();
            await cluster.Redis.RestartAsync();
        }),
        ("rabbitmq kill -9 + restart", async fault =>
        {
            fault.Detail = $"beam.smp pid {cluster.RabbitMq.VmProcessId}";
            await cluster.RabbitMq.KillAsync();
            await cluster.RabbitMq.RestartAsync();
        }),
        ("invalidator kill -9 + restart", async fault =>
        {
            var invalidator = cluster.Invalidator!;
            await invalidator.KillAsync();
            await invalidator.RestartAsync();
            await invalidator.WaitReadyAsync(RecoveryDeadline);
        }),
        ("active relay node kill -9 + restart", async fault =>
        {
            var active = await ActiveRelayNodeAsync();
            await active.KillAsync();
            await active.RestartAsync();
            await active.WaitReadyAsync(RecoveryDeadline);
            fault.Detail = $"killed {active.Name}; relay lock now on {(await ActiveRelayNodeAsync()).Name}";
        }),
        ($"redis SIGSTOP {settings.RedisPause.TotalSeconds:0.#} s while writes continue, SIGCONT", async fault =>
        {
            var writes = _history.WritesCommitted;
            await cluster.Redis.PauseAsync();
            try
            {
                // The fault's length, not a wait for a condition: frozen well past the degraded TTL and the client timeout.
                await Task.Delay(settings.RedisPause);
            }
            finally
            {
                await cluster.Redis.ResumeAsync();
            }

            fault.Detail = $"{_history.WritesCommitted - writes} writes committed while frozen";
        }),
        ($"redis cut off from {ConsistencyCluster.ProxiedNode} only for {settings.RedisPause.TotalSeconds:0.#} s", async fault =>
        {
            cluster.RedisProxy.Cut();
            try
            {
                // The fault's length, as above; the other node, the invalidator and Redis itself carry on.
                await Task.Delay(settings.RedisPause);
            }
            finally
            {
                cluster.RedisProxy.Restore();
            }
        }),
    ];

    private async Task InjectAsync(string name, Func<FaultWindow, Task> inject)
    {
        var runs = await cluster.FactoryRunsAsync();
        var fault = _history.BeginFault(name);
        try
        {
            await inject(fault);
            fault.RecoveredMs = _history.NowMs;
            fault.ReadQueriesPerSecond = Rate(runs, fault.InjectedMs, await cluster.FactoryRunsAsync(), fault.RecoveredMs.Value);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Recorded, not thrown: the run goes on so the report shows the rest; the test fails on it.
            fault.Detail = $"{fault.Detail} FAILED: {e.GetType().Name}: {e.Message}".Trim();
        }

        if (await WithinAsync(cluster.AllHealthyAsync, RecoveryDeadline))
        {
            fault.HealthyMs = _history.NowMs;
        }
        else
        {
            // The evidence: what each service's readiness says it is still waiting for.
            foreach (var line in await cluster.ReadinessAsync())
            {
                output.WriteLine($"not healthy after {name}: {line}");
            }
        }

        output.WriteLine($"{fault.InjectedMs / 1000,7:0.0} s  {name}: down {((fault.RecoveredMs ?? _history.NowMs) - fault.InjectedMs) / 1000:0.0} s, all healthy after {((fault.HealthyMs ?? double.NaN) - fault.InjectedMs) / 1000:0.0} s {fault.Detail}");
    }

    // Null when a node did not answer its /metrics (the relay-node kill restarts one, resetting its counters).
    private static double? Rate(double? before, double beforeMs, double? after, double afterMs) =>
        before is { } b && after is { } a && a >= b ? Math.Round((a - b) / Math.Max(0.001, (afterMs - beforeMs) / 1000), 1) : null;

    private async Task<ServiceProcess> ActiveRelayNodeAsync()
    {
        ServiceProcess? active = null;
        await Eventually.TrueAsync(async () => (active = await cluster.ActiveRelayNodeAsync()) is not null, RecoveryDeadline, "a catalog node holding the relay lock");
        return active!;
    }

    /// <summary>Stops nothing: every node must serve the last committed version of every hot product, item and list.</summary>
    private async Task<(bool Converged, double Ms)> ConvergeAsync(HotSet hot)
    {
        var started = _history.NowMs;
        var converged = await WithinAsync(
            async () =>
            {
                // Read the truth each time: a write the workload gave up on when it stopped (its request cancelled
                // client-side) can still commit on the server a moment later.
                var truth = await hot.VersionsInDatabaseAsync(cluster);
                foreach (var node in cluster.CatalogNodes)
                {
                    if (!await hot.ServesAsync(node, truth))
                    {
                        return false;
                    }
                }

                return true;
            },
            ConvergenceDeadline);
        if (!converged)
        {
            // What each node still serves differently from the database: the evidence for whoever debugs it.
            var truth = await hot.VersionsInDatabaseAsync(cluster);
            foreach (var node in cluster.CatalogNodes)
            {
                foreach (var difference in await hot.DifferencesAsync(node, truth))
                {
                    output.WriteLine($"not converged: {node.Name} {difference}");
                }
            }
        }

        return (converged, _history.NowMs - started);
    }

    /// <summary>
    /// Every committed catalog event must reach the broker and be consumed by the invalidator. Waits (bounded) for the
    /// relay and the invalidator to drain, then counts what did not make it.
    /// </summary>
    private async Task<EventCounts> CountEventsAsync()
    {
        List<Guid> committed = [];
        Dictionary<string, long> queues = [];
        await WithinAsync(
            async () =>
            {
                committed = await cluster.OutboxMessageIdsAsync();
                if (await cluster.ScalarAsync("SELECT count(*) FROM catalog.outbox WHERE dispatched_at IS NULL AND failed_at IS NULL") > 0
                    || !committed.All(cluster.Audit.Received.Contains))
                {
                    return false;
                }

                queues = await cluster.InvalidatorQueueDepthsAsync();
                return queues.GetValueOrDefault("cache-invalidator") == 0;
            },
            DrainDeadline);
        queues = await cluster.InvalidatorQueueDepthsAsync();
        return new EventCounts(
            Committed: committed.Count,
            NotDispatched: await cluster.ScalarAsync("SELECT count(*) FROM catalog.outbox WHERE dispatched_at IS NULL"),
            MovedAside: await cluster.ScalarAsync("SELECT count(*) FROM catalog.outbox WHERE failed_at IS NOT NULL"),
            NotReachedBroker: committed.Count(id => !cluster.Audit.Received.Contains(id)),
            LeftInInvalidatorQueue: queues.GetValueOrDefault("cache-invalidator"),
            InErrorQueue: queues.GetValueOrDefault("cache-invalidator_error") + queues.GetValueOrDefault("cache-invalidator_skipped"),
            DeadLettered: await cluster.ScalarAsync("SELECT count(*) FROM invalidator.dead_letters"),
            DeliveredTwice: cluster.Audit.Received.Total - cluster.Audit.Received.Distinct);
    }

    private async Task QuietAsync(TimeSpan period)
    {
        // The workload runs meanwhile: this is observation time, not a wait for something to happen.
        if (period > TimeSpan.Zero)
        {
            await Task.Delay(period);
        }
    }

    private static async Task<bool> WithinAsync(Func<Task<bool>> condition, TimeSpan deadline)
    {
        try
        {
            await Eventually.TrueAsync(condition, deadline);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}

/// <summary>Committed catalog events and where each one that did not reach the invalidator's effect ended.</summary>
internal sealed record EventCounts(long Committed, long NotDispatched, long MovedAside, long NotReachedBroker, long LeftInInvalidatorQueue, long InErrorQueue, long DeadLettered, long DeliveredTwice)
{
    /// <summary>Not published (so not in the audit queue), or routed to the invalidator and not applied by it.</summary>
    public long Lost => NotReachedBroker + LeftInInvalidatorQueue + InErrorQueue + DeadLettered;
}

/// <summary>The knobs of a run, from the environment (<c>./platform bench --long</c> sets them).</summary>
internal sealed record CheckerSettings(TimeSpan Duration, TimeSpan Bound, string? ReportPath)
{
    public const string SecondsVariable = "PLATFORM_CONSISTENCY_SECONDS";
    public const string BoundVariable = "PLATFORM_CONSISTENCY_BOUND_MS";
    public const string ReportVariable = "PLATFORM_CONSISTENCY_REPORT";

    /// <summary>Short mode (inside <c>./platform test</c>): 30 s of workload, the six faults once, 5 s quiet after each.</summary>
    public static readonly TimeSpan ShortDuration = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Redis stays frozen (or cut off from one node) this long: past the degraded TTL, the client's 1 s timeout, and the ~5 s
    /// after which the client gives up on a frozen connection (then evictions fail at once and never reach Redis).
    /// </summary>
    public TimeSpan RedisPause => TimeSpan.FromSeconds(7);

    /// <summary>Observation time before the first fault and after each recovery: a sixth of the run, 5 to 60 s.</summary>
    public TimeSpan QuietPeriod => TimeSpan.FromTicks(Math.Clamp(Duration.Ticks / 6, TimeSpan.FromSeconds(5).Ticks, TimeSpan.FromSeconds(60).Ticks));

    public static CheckerSettings FromEnvironment() => new(
        Environment.GetEnvironmentVariable(SecondsVariable) is { Length: > 0 } seconds ? TimeSpan.FromSeconds(double.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture)) : ShortDuration,
        Environment.GetEnvironmentVariable(BoundVariable) is { Length: > 0 } bound ? TimeSpan.FromMilliseconds(double.Parse(bound, System.Globalization.CultureInfo.InvariantCulture)) : TimeSpan.FromSeconds(1),
        Environment.GetEnvironmentVariable(ReportVariable) is { Length: > 0 } path ? path : null);
}
