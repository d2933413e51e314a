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
    private readonly Channel<InvalidationMessage?> _inbox = Channel.CreateUnbounded<InvalidationMessage?>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private long _lastApplied;
    private string _epoch = "";
    private volatile bool _connected;
    private long _disconnectedAtMs;
    private volatile bool _catchUpNeeded;
    private volatile bool _subscribed;

    public RedisBackplane(RedisLayer l2, CacheOptions options, string nodeId, IInvalidationTarget target, CacheStatistics stats, CacheClock clock, ILogger logger)
    {
        _l2 = l2;
        _options = options;
        _nodeId = nodeId;
        _target = target;
        _stats = stats;
        _clock = clock;
        _logger = logger;
    }

    /// <summary>True while this node is known to receive every invalidation.</summary>
    public bool IsConnected => _connected;

    /// <summary>Clock ms when the backplane was last lost (meaningful while <see cref="IsConnected"/> is false).</summary>
    public long DisconnectedAtMs => Interlocked.Read(ref _disconnectedAtMs);

    public long LastApplied => Interlocked.Read(ref _lastApplied);

    public string Epoch => Volatile.Read(ref _epoch);

    public async Task StartAsync()
    {
        var connection = _l2.Connection;
        connection.ConnectionFailed += OnConnectionFailed;
        connection.ConnectionRestored += OnConnectionRestored;
        try
        {
            await SubscribeAsync();
            var (epoch, seq) = await _l2.HelloAsync();
            Volatile.Write(ref _epoch, epoch);
            Interlocked.Exchange(ref _lastApplied, seq);
            _connected = connection.IsConnected;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Redis is down at start: run degraded; the loop catches up (and clears L1) once it answers.
            MarkDisconnected();
            _logger.LogWarning("Cache backplane could not reach Redis at start; running degraded: {Error}", e.Message);
        }

        _loop = Task.Run(LoopAsync);
    }

    public async ValueTask DisposeAsync()
    {
        _l2.Connection.ConnectionFailed -= OnConnectionFailed;
        _l2.Connection.ConnectionRestored -= OnConnectionRestored;
        try
        {
            await _l2.Connection.GetSubscriber().UnsubscribeAsync(_l2.Channel, OnMessage);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Shutting down anyway.
        }

        await _stop.CancelAsync();
        _inbox.Writer.TryComplete();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    /// <summary>
    /// Subscribes to the channel. The client fails a command at once while it has no connection (fail-fast backlog),
    /// the subscription's own connection included, so a node that starts before Redis answers subscribes later from
    /// the loop; until then it counts as disconnected.
    /// </summary>
    private async Task SubscribeAsync()
    {
        var subscriber = _l2.Connection.GetSubscriber();
        try
        {
            await subscriber.SubscribeAsync(_l2.Channel, OnMessage);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // The client may keep the handler registered though SUBSCRIBE failed: drop it so a retry adds it once.
            try
            {
                subscriber.Unsubscribe(_l2.Channel, OnMessage, CommandFlags.FireAndForget);
            }
            catch (Exception inner) when (inner is RedisException or TimeoutException)
            {
                // Not connected either: nothing was subscribed on the server.
            }

            throw;
        }

        _subscribed = true;
        _catchUpNeeded = true;
    }

    private void OnMessage(RedisChannel channel, RedisValue value)
    {
        if (InvalidationMessage.TryParse(value, out var message))
        {
            _inbox.Writer.TryWrite(message);
        }
        else
        {
            _logger.LogWarning("Ignored a malformed backplane message on {Channel}", (string?)channel);
        }
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (_connected)
        {
            _logger.LogWarning("Cache backplane lost Redis ({FailureType}); L1 entries now live at most {DegradedTtl}", e.FailureType, _options.DegradedL1Ttl);
        }

        MarkDisconnected();
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        // Catch up from the stream before trusting L1 again; the loop does it in order with live messages.
        _catchUpNeeded = true;
        _inbox.Writer.TryWrite(null);
    }

    /// <param name="sinceMs">
    /// When the call that failed was started: the last moment this node could still have heard everything. A frozen
    /// Redis is noticed only when that call times out; counting the degraded TTL from the failure instead would trust
    /// L1 for the timeout longer than promised.
    /// </param>
    private void MarkDisconnected(long? sinceMs = null)
    {
        if (_connected || Interlocked.Read(ref _disconnectedAtMs) == 0)
        {
            Interlocked.Exchange(ref _disconnectedAtMs, Math.Min(_clock.NowMs, sinceMs ?? long.MaxValue));
        }

        _connected = false;
        _catchUpNeeded = true;
    }

    private async Task LoopAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            long? attemptAt = null;
            try
            {
                using var tick = CancellationTokenSource.CreateLinkedTokenSource(token);
                tick.CancelAfter(_options.GapCheckInterval);
                InvalidationMessage? message = null;
                var gotMessage = false;
                try
                {
                    gotMessage = await _inbox.Reader.WaitToReadAsync(tick.Token) && _inbox.Reader.TryRead(out message);
                }
                catch (OperationCanceledException) when (!token.IsCancellationRequested)
                {
                    // Periodic check: compare with Redis's sequence, in case the last message was lost.
                    _catchUpNeeded = true;
                }

                attemptAt = _clock.NowMs;
                if (!_subscribed)
                {
                    await SubscribeAsync();
                }

                if (_catchUpNeeded || !_connected)
                {
                    await CatchUpAsync();
                }

                if (gotMessage && message is not null)
                {
                    await HandleAsync(message);
                }
            }
            catch (Exception e) when (e is RedisException or TimeoutException or RedisTimeoutException)
            {
                MarkDisconnected(attemptAt);
                await DelayAsync(TimeSpan.FromMilliseconds(200), token);
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

    private void Apply(InvalidationMessage message)
    {
        if (message.NodeId != _nodeId)
        {
            _target.Apply(message.Kind, message.Name, message.Seq);
            CacheMetrics.RecordApplyLag(Math.Max(0, _clock.UnixMs - message.SentUnixMs));
        }

        Interlocked.Exchange(ref _lastApplied, message.Seq);
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
                    Apply(entry);
                }
            }

            if (entries.Count < ReplayBatch)
            {
                break;
            }
        }

        if (!_connected && _l2.IsConnected)
        {
            _connected = true;
            _logger.LogInformation("Cache backplane caught up at sequence {Seq}", LastApplied);
        }
    }

    private void Resync(string epoch, long current, string reason)
    {
        _stats.Increment(ref _stats.BackplaneResyncs);
        _target.ClearLocal(reason);
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
}
