using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Platform.Caching.L1;
using Platform.Caching.L2;
using StackExchange.Redis;

namespace Platform.Caching.Backplane;

/// <summary>
/// Applies other nodes' invalidations to this node in sequence order and loses none: messages arrive by
/// pub/sub, a gap in the sequence (or a periodic check against Redis's sequence, for a lost last message) or a
/// reconnect replays the stream from the last applied sequence; an epoch change (Redis lost its data) or a
/// stream trimmed past this node's position clears L1. One loop applies everything, so order is never mixed.
/// <para>
/// It also knows until when this node is sure it heard everything (<see cref="LastHeardMs"/>): every
/// <see cref="CacheOptions.HeartbeatInterval"/> the node publishes a heartbeat to itself through Redis, carrying Redis's
/// sequence at that moment. When it comes back within <see cref="CacheOptions.HeartbeatTimeout"/> and every
/// invalidation up to that sequence is applied, the node heard everything recorded before the heartbeat was sent. A
/// frozen Redis keeps its sockets open and raises no connection event, so this is the only signal that does not wait
/// for a client timeout.
/// </para>
/// </summary>
internal sealed class RedisBackplane : IAsyncDisposable
{
    private const int ReplayBatch = 1000;

    private readonly RedisLayer _l2;
    private readonly CacheOptions _options;
    private readonly string _nodeId;
    private readonly IInvalidationTarget _target;
    private readonly CacheStatistics _stats;
    private readonly CacheClock _clock;
    private readonly ILogger _logger;
    private readonly long _heartbeatTimeoutMs;
    private readonly Channel<object?> _inbox = Channel.CreateUnbounded<object?>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private Task _beats = Task.CompletedTask;
    private long _lastApplied;
    private string _epoch = "";
    private long _lastHeardMs;
    private long _trustFloorMs;
    private long _lastBeatReceivedMs;
    private long _lifeSeenMs;
    private long _l2FloorSeq;
    private long _redisFailures;
    private long _failuresCovered;
    private volatile bool _catchUpNeeded;
    private volatile bool _subscribed;
    private long _lastBeatArrivedMs;
    private long _lastBeatSentMs;
    private long _subscribedMs;
    private ChannelMessageQueue? _messages;

    public RedisBackplane(RedisLayer l2, CacheOptions options, string nodeId, IInvalidationTarget target, CacheStatistics stats, CacheClock clock, ILogger logger)
    {
        _l2 = l2;
        _options = options;
        _nodeId = nodeId;
        _target = target;
        _stats = stats;
        _clock = clock;
        _logger = logger;
        _heartbeatTimeoutMs = (long)options.HeartbeatTimeout.TotalMilliseconds;
    }

    /// <summary>
    /// True while this node has confirmed, within <see cref="CacheOptions.HeartbeatTimeout"/>, that it hears every
    /// invalidation; false (deaf) otherwise.
    /// </summary>
    public bool IsHearing => CacheClock.LiveMs - LastHeardMs <= _heartbeatTimeoutMs;

    /// <summary>
    /// <see cref="CacheClock.LiveMs"/> when the last confirmed heartbeat was sent: every invalidation Redis recorded
    /// before that moment has been applied here. 0 before the first contact.
    /// </summary>
    public long LastHeardMs => Volatile.Read(ref _lastHeardMs);

    /// <summary>
    /// L1 entries read before this moment (<see cref="CacheClock.LiveMs"/>) are not trusted: the node was deaf after
    /// them, and an invalidation it could not hear may never have reached Redis (a write's eviction that timed out).
    /// Read after <see cref="LastHeardMs"/> (it is written before it).
    /// </summary>
    public long TrustFloorMs => Volatile.Read(ref _trustFloorMs);

    /// <summary>
    /// L2 entries fresh as of a lower sequence are not used: set when hearing resumes after a spell in which Redis failed
    /// this node. A client that gave up on its connection during a long freeze fails the next commands at once, so a
    /// write's eviction may never have been sent and Redis still holds the old value until the invalidator's retry.
    /// Each key is then read from its source once and stored again.
    /// </summary>
    public long L2FloorSeq => Interlocked.Read(ref _l2FloorSeq);

    /// <summary>
    /// True from a failed Redis call of this node's backplane until hearing resumes past it (with
    /// <see cref="L2FloorSeq"/> raised if the node was deaf): L2 entries are then not used. Redis that answers again
    /// (restarted, unfrozen, or a replica just promoted by Sentinel) may still hold entries whose evictions failed while
    /// it was gone, and until the floor is set nothing tells those apart — found by the cluster checker, a read served
    /// from the promoted replica 1.5 s stale between its promotion and the node's resumption.
    /// </summary>
    public bool L2Suspect => Interlocked.Read(ref _redisFailures) != Interlocked.Read(ref _failuresCovered);

    public long LastApplied => Interlocked.Read(ref _lastApplied);

    public string Epoch => Volatile.Read(ref _epoch);

    public async Task StartAsync()
    {
        var started = CacheClock.LiveMs;
        _l2.Connection.ConnectionRestored += OnConnectionRestored;
        try
        {
            await SubscribeAsync();
            var (epoch, seq) = await _l2.HelloAsync();
            Volatile.Write(ref _epoch, epoch);
            Interlocked.Exchange(ref _lastApplied, seq);
            // Subscribed before reading the sequence: everything after it will be heard, and L1 is empty.
            Interlocked.Exchange(ref _lastHeardMs, started);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Redis is down at start: run deaf; the loop catches up (and clears L1) once it answers.
            _logger.LogWarning("Cache backplane could not reach Redis at start; running degraded: {Error}", e.Message);
        }

        _loop = Task.Run(LoopAsync);
        _beats = Task.Run(BeatAsync);
    }

    public async ValueTask DisposeAsync()
    {
        _l2.Connection.ConnectionRestored -= OnConnectionRestored;
        try
        {
            await UnsubscribeAsync();
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Shutting down anyway.
        }

        await _stop.CancelAsync();
        _inbox.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_loop, _beats);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    /// <summary>
    /// Subscribes to the channel and to this node's heartbeat channel. The client fails a command at once while it has
    /// no connection (fail-fast backlog), the subscription's own connection included, so a node that starts before
    /// Redis answers subscribes later from the loop; until then it is deaf.
    /// <para>
    /// Invalidations come through the client's message queue, which hands them over in the order they were read: a
    /// handler subscription runs its calls concurrently, so under a burst a message overtook the one before it and
    /// each such pair cost a gap and a replay from the stream (27 in 6,300 messages with 16 removes in flight). The
    /// heartbeat's handler only stamps and forwards; one out of order with the invalidations is caught up like a gap.
    /// </para>
    /// </summary>
    private async Task SubscribeAsync()
    {
        var subscriber = _l2.Connection.GetSubscriber();
        try
        {
            var messages = await subscriber.SubscribeAsync(_l2.Channel);
            _messages = messages;
            messages.OnMessage(OnMessage);
            await subscriber.SubscribeAsync(_l2.HeartbeatChannel, OnHeartbeat);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // The client keeps a queue or handler registered though SUBSCRIBE failed, and a queue it did not return
            // cannot be named: drop everything on this node's channels so a retry adds each once. The channel is this
            // cache's prefix, and one backplane runs per connection and prefix.
            _messages = null;
            try
            {
                subscriber.Unsubscribe(_l2.Channel, null, CommandFlags.FireAndForget);
                subscriber.Unsubscribe(_l2.HeartbeatChannel, OnHeartbeat, CommandFlags.FireAndForget);
            }
            catch (Exception inner) when (inner is RedisException or TimeoutException)
            {
                // Not connected either: nothing was subscribed on the server.
            }

            throw;
        }

        Interlocked.Exchange(ref _subscribedMs, CacheClock.LiveMs);
        _subscribed = true;
        _catchUpNeeded = true;
    }

    /// <summary>
    /// True when this node's heartbeats have stopped arriving for <see cref="CacheOptions.ResubscribeAfter"/> (counted
    /// from the later of the last arrival and the last subscribe) while Redis took the last one sent: the connection
    /// works and the subscription does not. A Redis that does not answer (down, frozen, cut off) fails the sends instead.
    /// </summary>
    private bool SubscriptionLost()
    {
        var now = CacheClock.LiveMs;
        var quietSince = Math.Max(Interlocked.Read(ref _lastBeatArrivedMs), Interlocked.Read(ref _subscribedMs));
        var sentAgo = now - Interlocked.Read(ref _lastBeatSentMs);
        return now - quietSince > (long)_options.ResubscribeAfter.TotalMilliseconds && sentAgo <= _heartbeatTimeoutMs;
    }

    private async Task ResubscribeAsync()
    {
        _logger.LogWarning("Cache backplane: no heartbeat of this node arrived for {Seconds:0.#} s while Redis took them; subscribing again", _options.ResubscribeAfter.TotalSeconds);
        _stats.Increment(ref _stats.BackplaneResubscribes);
        _subscribed = false;
        await UnsubscribeAsync();
        await SubscribeAsync();
    }

    private async Task UnsubscribeAsync()
    {
        var subscriber = _l2.Connection.GetSubscriber();
        if (Interlocked.Exchange(ref _messages, null) is { } messages)
        {
            await messages.UnsubscribeAsync();
        }

        await subscriber.UnsubscribeAsync(_l2.HeartbeatChannel, OnHeartbeat);
    }

    private void OnMessage(ChannelMessage delivered)
    {
        if (InvalidationMessage.TryParse(delivered.Message, out var message))
        {
            _inbox.Writer.TryWrite(message);
        }
        else
        {
            _logger.LogWarning("Ignored a malformed backplane message on {Channel}", (string?)delivered.Channel);
        }
    }

    // Stamped on arrival, not when the loop gets to it: a loop busy replaying must not make a timely heartbeat look late.
    private void OnHeartbeat(RedisChannel channel, RedisValue value)
    {
        Interlocked.Exchange(ref _lastBeatArrivedMs, CacheClock.LiveMs);
        var parts = ((string?)value)?.Split('|');
        if (parts is { Length: 3 }
            && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var seq)
            && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var sent))
        {
            _inbox.Writer.TryWrite(new Heartbeat(seq, parts[1], sent, CacheClock.LiveMs));
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        // Catch up from the stream at once; the loop does it in order with live messages.
        _catchUpNeeded = true;
        _inbox.Writer.TryWrite(null);
    }

    /// <summary>Publishes a heartbeat every <see cref="CacheOptions.HeartbeatInterval"/> (real time), never waiting for one to finish.</summary>
    private async Task BeatAsync()
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                if (_subscribed)
                {
                    _ = SendHeartbeatAsync();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task SendHeartbeatAsync()
    {
        try
        {
            await _l2.HeartbeatAsync(CacheClock.LiveMs);
            Interlocked.Exchange(ref _lastBeatSentMs, CacheClock.LiveMs);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            // Its absence is the signal: the node turns deaf when no heartbeat comes back in time.
            Interlocked.Increment(ref _redisFailures);
        }
    }

    private async Task LoopAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                using var tick = CancellationTokenSource.CreateLinkedTokenSource(token);
                tick.CancelAfter(_options.GapCheckInterval);
                object? item = null;
                try
                {
                    if (await _inbox.Reader.WaitToReadAsync(tick.Token))
                    {
                        _inbox.Reader.TryRead(out item);
                    }
                }
                catch (OperationCanceledException) when (!token.IsCancellationRequested)
                {
                    // Periodic check: compare with Redis's sequence, in case the last message was lost.
                    _catchUpNeeded = true;
                }

                if (!_subscribed)
                {
                    await SubscribeAsync();
                }
                else if (SubscriptionLost())
                {
                    await ResubscribeAsync();
                }

                if (_catchUpNeeded)
                {
                    await CatchUpAsync();
                }

                switch (item)
                {
                    case InvalidationMessage message:
                        await HandleAsync(message);
                        break;
                    case Heartbeat beat:
                        await HandleAsync(beat);
                        break;
                }
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                _catchUpNeeded = true;
                Interlocked.Increment(ref _redisFailures);
                await DelayAsync(TimeSpan.FromMilliseconds(100), token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task HandleAsync(InvalidationMessage message)
    {
        _stats.Increment(ref _stats.BackplaneReceived);
        if (message.Epoch != Epoch)
        {
            await CatchUpAsync();
            if (message.Epoch != Epoch)
            {
                return;
            }
        }

        var last = LastApplied;
        if (message.Seq <= last)
        {
            return;
        }

        if (message.Seq > last + 1)
        {
            _stats.Increment(ref _stats.BackplaneGaps);
            await CatchUpAsync();
            if (message.Seq <= LastApplied)
            {
                return;
            }
        }

        Apply(message);
    }

    /// <summary>
    /// Confirms hearing up to the heartbeat's send time once every invalidation up to its sequence is applied. After a
    /// deaf spell, the first heartbeat back (the first after a silence longer than the timeout) only shows that Redis
    /// answers again: a frozen Redis runs what it held in no particular order across clients, so that heartbeat, and the
    /// others it held, may run before evictions other clients sent earlier. Hearing resumes with a heartbeat sent after
    /// that first sign of life, and L1 entries read before the resumption lose their trust.
    /// </summary>
    private async Task HandleAsync(Heartbeat beat)
    {
        var previousReceived = Interlocked.Exchange(ref _lastBeatReceivedMs, beat.ReceivedMs);
        var heard = LastHeardMs;
        if (beat.SentMs <= heard)
        {
            return;
        }

        var deaf = beat.ReceivedMs - heard > _heartbeatTimeoutMs;
        if (deaf)
        {
            if (_lifeSeenMs == 0 || beat.ReceivedMs - previousReceived > _heartbeatTimeoutMs)
            {
                _lifeSeenMs = beat.ReceivedMs;
                return;
            }

            if (beat.SentMs < _lifeSeenMs)
            {
                return;
            }
        }

        // A heartbeat behind what this node applied may only be late (a replay ran past it), or Redis's sequence went
        // back: a replica promoted after a fail-over lacks the primary's last writes. The catch-up reads the current
        // sequence and tells the two apart.
        if (beat.Epoch != Epoch || LastApplied != beat.Seq)
        {
            await CatchUpAsync();
            if (beat.Epoch != Epoch || LastApplied < beat.Seq)
            {
                return;
            }
        }

        // Covered only once the floor is in place: until then L2 stays suspect (a resync just reset the floor to 0).
        var failures = Interlocked.Read(ref _redisFailures);
        var redisFailed = failures != Interlocked.Read(ref _failuresCovered);
        if (deaf)
        {
            if (redisFailed)
            {
                // A sequence step of its own: every L2 entry stored before has a lower one, every value read after a
                // higher or equal one, whether or not anything else was invalidated meanwhile.
                var (seq, _) = await _l2.InvalidateAsync(InvalidationKind.Remove, "resumed:" + _nodeId, _clock.UnixMs);
                Interlocked.Exchange(ref _l2FloorSeq, seq);
            }

            // Before the new hearing moment: a reader that sees it also sees the floor.
            Interlocked.Exchange(ref _trustFloorMs, CacheClock.LiveMs);
            _lifeSeenMs = 0;
            _stats.Increment(ref _stats.BackplaneResumes);
            if (heard > 0)
            {
                _logger.LogWarning("Cache backplane heard nothing confirmed for {GapMs} ms; hearing again at sequence {Seq}, L1 entries read before now are no longer served", beat.ReceivedMs - heard, LastApplied);
            }
        }

        Interlocked.Exchange(ref _lastHeardMs, beat.SentMs);
        if (redisFailed)
        {
            Interlocked.Exchange(ref _failuresCovered, failures);
        }
    }

    private void Apply(InvalidationMessage message, bool replayed = false)
    {
        if (message.NodeId != _nodeId)
        {
            using var activity = StartApplyActivity(message, _nodeId, replayed);
            _target.Apply(message.Kind, message.Name, message.Seq);
            var lag = Math.Max(0, _clock.UnixMs - message.SentUnixMs);
            CacheMetrics.RecordApplyLag(lag);
            activity?.SetTag("platform.cache.apply_lag_ms", lag);
        }

        Interlocked.Exchange(ref _lastApplied, message.Seq);
    }

    // Only invalidations made inside a trace get a span: an untraced one would start a root trace per message per node.
    private static Activity? StartApplyActivity(InvalidationMessage message, string nodeId, bool replayed)
    {
        if (message.TraceParent is null || !ActivityContext.TryParse(message.TraceParent, null, out var parent))
        {
            return null;
        }

        var activity = CacheInvalidationExtensions.Source.StartActivity(CacheInvalidationExtensions.ApplyActivityName, ActivityKind.Consumer, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("platform.cache.op", message.Kind.ToString());
            activity.SetTag("platform.cache.seq", message.Seq);
            activity.SetTag("platform.cache.sender", message.NodeId);
            activity.SetTag("platform.cache.node", nodeId);
            activity.SetTag("platform.cache.replayed", replayed);
        }

        return activity;
    }

    /// <summary>Replays the stream from the last applied sequence up to Redis's current one; resyncs when that is impossible.</summary>
    private async Task CatchUpAsync()
    {
        _catchUpNeeded = false;
        while (true)
        {
            var from = LastApplied + 1;
            var (epoch, current, entries) = await _l2.ReplayAsync(from, ReplayBatch);
            if (epoch != Epoch)
            {
                Resync(epoch, current, Epoch.Length == 0 ? "first contact with Redis after a degraded start" : "Redis lost its data (new epoch)");
                break;
            }

            if (current < from - 1)
            {
                // Redis's sequence is below what this node applied: it lost acknowledged invalidations (a fail-over to a
                // replica that had not received them, or a restore from an older snapshot). Sequences from here on repeat
                // ones already applied and would be dropped as duplicates, and what was lost cannot be replayed.
                Resync(epoch, current, $"Redis's sequence went back from {from - 1} to {current} (fail-over or restore lost writes)");
                break;
            }

            if (current < from)
            {
                break;
            }

            if (entries.Count == 0 || entries[0].Seq > from)
            {
                Resync(epoch, current, $"stream no longer holds sequence {from}");
                break;
            }

            foreach (var entry in entries)
            {
                if (entry.Seq == LastApplied + 1)
                {
                    _stats.Increment(ref _stats.BackplaneReplayed);
                    Apply(entry, replayed: true);
                }
            }

            if (entries.Count < ReplayBatch)
            {
                break;
            }
        }
    }

    private void Resync(string epoch, long current, string reason)
    {
        _stats.Increment(ref _stats.BackplaneResyncs);
        _target.ClearLocal(reason);
        // A new epoch starts its sequence again, and its L2 holds nothing from before.
        Interlocked.Exchange(ref _l2FloorSeq, 0);
        Volatile.Write(ref _epoch, epoch);
        Interlocked.Exchange(ref _lastApplied, current);
    }

    private static async Task DelayAsync(TimeSpan delay, CancellationToken token)
    {
        try
        {
            await Task.Delay(delay, token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>This node's heartbeat as it came back: Redis's sequence and epoch when it ran, sent and received on <see cref="CacheClock.LiveMs"/>.</summary>
    private sealed record Heartbeat(long Seq, string Epoch, long SentMs, long ReceivedMs);
}
