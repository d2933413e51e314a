using System.Diagnostics;
using Platform.Testing;

namespace Platform.Caching.Peers;

/// <summary>What one scenario counted for one cache over its trials.</summary>
/// <param name="StaleTrials">Trials in which a node served the removed (or written-back) value when it should not have.</param>
/// <param name="StaleReads">Reads that returned it, of <paramref name="Reads"/>.</param>
/// <param name="MaxStaleMs">Longest time a node kept serving it, from the moment it should have stopped (see each scenario).</param>
/// <param name="StillStaleAtEnd">Trials whose node still served it when the observation window closed (so <paramref name="MaxStaleMs"/> is a lower bound).</param>
/// <param name="AcknowledgedWhileDown">Removes that returned without an error while Redis could not record them.</param>
public sealed record ScenarioCounts(
    string Scenario, PeerKind Kind, int Trials, int StaleTrials, int StaleReads, int Reads, double MaxStaleMs, int StillStaleAtEnd, int AcknowledgedWhileDown)
{
    public string Describe() =>
        $"{Scenario} [{Kind}]: {StaleTrials} of {Trials} trials stale, {StaleReads} of {Reads} reads returned the removed value, " +
        $"longest {MaxStaleMs:0} ms{(StillStaleAtEnd > 0 ? $" (still stale when the window closed in {StillStaleAtEnd} trials: a lower bound)" : "")}" +
        $"{(AcknowledgedWhileDown > 0 ? $", {AcknowledgedWhileDown} removes acknowledged while Redis could not record them" : "")}";
}

/// <summary>
/// The coherence scenarios the peer comparison counts, each run the same way on a cluster of our cache and on one of
/// FusionCache: <see cref="CutNodeAsync"/>, <see cref="WriteBackAsync"/>, <see cref="RedisRestartedAsync"/>,
/// <see cref="RedisFrozenAsync"/>. Gates (task completion sources) order the steps; the only timed part is the observation
/// window after a fault, during which a node is read every <see cref="Poll"/>. Used by <c>PeerCoherenceTests</c> (short
/// N, asserted) and the <c>fusion-peer</c> benchmark (long N, reported).
/// </summary>
public static class CoherenceScenarios
{
    public static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Node B's connection to Redis is cut (its own <see cref="TcpProxy"/>) while node A removes a key and invalidates a
    /// tag; after B's reconnect, B is read for <paramref name="window"/>. Stale: a read on B, after it is connected
    /// again, that returns the removed key's or the tagged entry's old value; time from the reconnect.
    /// </summary>
    public static async Task<ScenarioCounts> CutNodeAsync(PeerKind kind, string redis, int redisPort, int trials, TimeSpan window)
    {
        await using var cluster = await PeerCluster.StartAsync(kind, redis, redisPort, 2, viaProxy: [1], configure: o => o.DegradedL1Ttl = TimeSpan.FromMinutes(5));
        var (a, b) = (cluster[0], cluster[1]);
        var tally = new Tally();
        for (var t = 0; t < trials; t++)
        {
            string key = $"cut:{t}", tagged = $"cut-tagged:{t}", tag = $"cut-tag:{t}";
            await a.GetOrSetAsync(key, _ => Task.FromResult("old"));
            await a.GetOrSetAsync(tagged, _ => Task.FromResult("old"), [tag]);
            await b.GetOrSetAsync(key, _ => Task.FromResult("unused"));
            await b.GetOrSetAsync(tagged, _ => Task.FromResult("unused"), [tag]);

            b.Proxy.Cut();
            await Eventually.TrueAsync(() => Task.FromResult(!b.IsConnected), Deadline, $"{kind} node B notices the cut");
            await a.RemoveAsync(key);
            await a.RemoveByTagAsync(tag);
            b.Proxy.Restore();
            await Eventually.TrueAsync(() => Task.FromResult(b.IsConnected), Deadline, $"{kind} node B reconnects");
            var since = Stopwatch.StartNew();
            await tally.ObserveAsync(since, window, [() => b.TryGetAsync(key), () => b.TryGetAsync(tagged)], "old");
        }

        return tally.Result("cut node: removes while its connection is down", kind, trials);
    }

    /// <summary>
    /// A factory on node A starts, node B removes its key (<paramref name="byTag"/>: invalidates its tag), then the
    /// factory returns the value it read before. Stale: afterwards, a read on B or on A returns that value (it was
    /// written back). Ours refuses the write in Redis; FusionCache issues 535, 613, 625 describe the race.
    /// </summary>
    public static async Task<ScenarioCounts> WriteBackAsync(PeerKind kind, string redis, int redisPort, int trials, bool byTag)
    {
        await using var cluster = await PeerCluster.StartAsync(kind, redis, redisPort, 2);
        var (a, b) = (cluster[0], cluster[1]);
        var tally = new Tally();
        for (var t = 0; t < trials; t++)
        {
            string key = $"wb:{t}", tag = $"wb-tag:{t}";
            string[]? tags = byTag ? [tag] : null;
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            var slow = a.GetOrSetAsync(key, _ => { started.TrySetResult(); return release.Task; }, tags).AsTask();
            await started.Task.WaitAsync(Deadline);
            if (byTag)
            {
                await b.RemoveByTagAsync(tag);
            }
            else
            {
                await b.RemoveAsync(key);
            }

            release.SetResult("stale");
            await slow.WaitAsync(Deadline);

            // B never held the key in L1 after its remove: what it serves comes from L2, whatever the backplane's timing.
            var onB = await b.GetOrSetAsync(key, _ => Task.FromResult("fresh"), tags);
            var onA = await a.TryGetAsync(key);
            tally.Count(onB == "stale", onA == "stale");
        }

        return tally.Result(byTag ? "factory started before a tag invalidation" : "factory started before a remove", kind, trials);
    }

    /// <summary>
    /// Both nodes hold a key in L1; Redis is killed, node B removes the key, Redis restarts empty (a private
    /// <see cref="RedisServer"/>). Ours throws while Redis is down, and the caller retries until it is recorded (what
    /// the invalidator's redelivery does); FusionCache returns and queues it for its auto-recovery. Stale: a read on A
    /// that returns the old value after B's remove returned without an error (also while Redis is still down, for a
    /// cache that returned without an error then); time from that return. A is read for <c>window</c> after Redis is back.
    /// </summary>
    public static Task<ScenarioCounts> RedisRestartedAsync(PeerKind kind, int trials, TimeSpan window, Action<CacheOptions>? configure = null) =>
        RedisFaultAsync(kind, trials, window, configure, "Redis restarted empty while a node removes", async redis =>
        {
            await redis.KillAsync();
            return redis.RestartAsync;
        });

    /// <summary>
    /// As <see cref="RedisRestartedAsync"/>, but Redis is frozen (SIGSTOP) for longer than the clients' 2 s timeouts
    /// while B removes the key, then resumed with its data.
    /// </summary>
    public static Task<ScenarioCounts> RedisFrozenAsync(PeerKind kind, int trials, TimeSpan window, Action<CacheOptions>? configure = null) =>
        RedisFaultAsync(kind, trials, window, configure, "Redis frozen past the timeouts while a node removes", async redis =>
        {
            await redis.PauseAsync();
            return redis.ResumeAsync;
        });

    private static async Task<ScenarioCounts> RedisFaultAsync(
        PeerKind kind, int trials, TimeSpan window, Action<CacheOptions>? configure, string name, Func<RedisServer, Task<Func<Task>>> fault)
    {
        await using var redis = await RedisServer.StartAsync();
        await using var cluster = await PeerCluster.StartAsync(kind, redis.Configuration, redis.Port, 2, configure: configure);
        var (a, b) = (cluster[0], cluster[1]);
        var tally = new Tally();
        for (var t = 0; t < trials; t++)
        {
            var key = $"fault:{t}";
            await Eventually.TrueAsync(() => Task.FromResult(a.IsConnected && b.IsConnected), Deadline, $"{kind} nodes connected before trial {t}");
            await a.GetOrSetAsync(key, _ => Task.FromResult("old"));
            await b.GetOrSetAsync(key, _ => Task.FromResult("unused"));

            var recover = await fault(redis);
            Stopwatch? acknowledged = null;
            try
            {
                await b.RemoveAsync(key);
                acknowledged = Stopwatch.StartNew();
                tally.AcknowledgedWhileDown++;
                // Read A while Redis still cannot tell it anything.
                tally.Count(await a.TryGetAsync(key) == "old", acknowledged);
            }
            catch (CacheUnavailableException)
            {
                // The caller knows: it retries once Redis is back (below).
            }

            await recover();
            if (acknowledged is null)
            {
                await Eventually.TrueAsync(async () =>
                {
                    try
                    {
                        await b.RemoveAsync(key);
                        return true;
                    }
                    catch (CacheUnavailableException)
                    {
                        return false;
                    }
                }, Deadline, $"{kind} node B records its remove once Redis is back");
                acknowledged = Stopwatch.StartNew();
            }

            await tally.ObserveAsync(acknowledged, window, [() => a.TryGetAsync(key)], "old");
        }

        return tally.Result(name, kind, trials);
    }

    /// <summary>Counts stale reads per trial.</summary>
    private sealed class Tally
    {
        private int _staleTrials;
        private int _staleReads;
        private int _reads;
        private int _stillStale;
        private double _maxStaleMs;
        private bool _trialStale;

        public int AcknowledgedWhileDown { get; set; }

        /// <summary>Reads every <see cref="Poll"/> for <paramref name="window"/> from now; a stale read's time is measured by <paramref name="since"/>.</summary>
        public async Task ObserveAsync(Stopwatch since, TimeSpan window, Func<ValueTask<string?>>[] reads, string old)
        {
            var lastRoundStale = false;
            var observing = Stopwatch.StartNew();
            while (observing.Elapsed < window)
            {
                lastRoundStale = false;
                foreach (var read in reads)
                {
                    var value = await read();
                    _reads++;
                    if (value == old)
                    {
                        _staleReads++;
                        _trialStale = true;
                        lastRoundStale = true;
                        _maxStaleMs = Math.Max(_maxStaleMs, since.Elapsed.TotalMilliseconds);
                    }
                }

                await Task.Delay(Poll);
            }

            if (lastRoundStale)
            {
                _stillStale++;
            }

            EndTrial();
        }

        public void Count(bool stale, Stopwatch since)
        {
            _reads++;
            if (stale)
            {
                _staleReads++;
                _trialStale = true;
                _maxStaleMs = Math.Max(_maxStaleMs, since.Elapsed.TotalMilliseconds);
            }
        }

        public void Count(params bool[] stale)
        {
            foreach (var s in stale)
            {
                _reads++;
                if (s)
                {
                    _staleReads++;
                    _trialStale = true;
                }
            }

            EndTrial();
        }

        public ScenarioCounts Result(string scenario, PeerKind kind, int trials) =>
            new(scenario, kind, trials, _staleTrials, _staleReads, _reads, _maxStaleMs, _stillStale, AcknowledgedWhileDown);

        private void EndTrial()
        {
            if (_trialStale)
            {
                _staleTrials++;
            }

            _trialStale = false;
        }
    }
}
