using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Caching.Backplane;
using Platform.Caching.L1;
using Platform.Caching.L2;
using StackExchange.Redis;

namespace Platform.Caching;

/// <summary>
/// The platform's <see cref="ITwoLevelCache"/>: one instance per node. See <c>shared/caching/README.md</c>
/// for what it guarantees. Start it with <see cref="StartAsync"/> (the DI registration does) before use.
/// </summary>
public sealed partial class TwoLevelCache : ITwoLevelCache, IInvalidationTarget, IAsyncDisposable
{
    private readonly CacheOptions _options;
    private readonly MemoryLayer _l1;
    private readonly RedisLayer? _l2;
    private readonly RedisBackplane? _backplane;
    private readonly ICacheSerializer _serializer;
    private readonly CacheClock _clock;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Flight> _flights = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _tagVersions = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _disposing = new();
    private readonly long _degradedTtlMs;
    private long _tagEpoch;
    private long _localSeq;
    private long _lastL2ErrorLogMs = long.MinValue;
    private long _l2PausedUntilMs;

    // One second: during an outage one wave of requests per second pays the call timeout, and after it L2 is used again soon.
    private const long L2PauseMs = 1000;
    private int _disposed;

    public TwoLevelCache(CacheOptions options, IConnectionMultiplexer? redis, ILogger<TwoLevelCache>? logger = null, TimeProvider? time = null, ICacheSerializer? serializer = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        // The same check a host runs at start (AddPlatformCache), for a cache built directly: a heartbeat timeout past
        // ResubscribeAfter, say, would otherwise resubscribe a healthy node over and over instead of failing here.
        var validation = new CacheOptionsValidator().Validate(Options.DefaultName, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(CacheOptions), validation.Failures);
        }

        _options = options;
        _logger = logger ?? NullLogger<TwoLevelCache>.Instance;
        _clock = new CacheClock(time ?? TimeProvider.System);
        _serializer = serializer ?? new JsonCacheSerializer();
        _l1 = new MemoryLayer(options.L1SizeLimitBytes);
        _degradedTtlMs = (long)options.DegradedL1Ttl.TotalMilliseconds;
        NodeId = Guid.NewGuid().ToString("N")[..12];
        if (options.UseRedis)
        {
            ArgumentNullException.ThrowIfNull(redis);
            _l2 = new RedisLayer(redis, options, NodeId);
            _backplane = new RedisBackplane(_l2, options, NodeId, this, Statistics, _clock, _logger);
        }

        CacheMetrics.Register(Statistics);
    }

    /// <summary>Identifies this instance on the backplane (its own messages are skipped).</summary>
    public string NodeId { get; }

    public CacheStatistics Statistics { get; } = new();

    /// <summary>
    /// False while this node is deaf: no heartbeat confirmed within <see cref="CacheOptions.HeartbeatTimeout"/>, so it may be
    /// missing invalidations (Redis frozen, killed or cut off). Reads then skip L2 and L1 is trusted only briefly.
    /// </summary>
    public bool IsBackplaneConnected => _backplane?.IsHearing ?? true;

    /// <summary>Entries in L1 and their estimated size.</summary>
    public (int Count, long Bytes) L1Usage => (_l1.Count, _l1.SizeBytes);

    /// <summary>Subscribes to the backplane and learns the current sequence. Safe with Redis down (starts degraded).</summary>
    public Task StartAsync() => _backplane?.StartAsync() ?? Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        // Registered under two service types, so a container may dispose it twice.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _disposing.CancelAsync();
        if (_backplane is not null)
        {
            await _backplane.DisposeAsync();
        }

        CacheMetrics.Unregister(Statistics);
        _disposing.Dispose();
    }

    // ------------------------------------------------------------------ reads

    public ValueTask<T> GetOrSetAsync<T>(
        string key,
        Func<CacheFactoryContext, CancellationToken, Task<T>> factory,
        CacheEntryOptions? options = null,
        IReadOnlyList<string>? tags = null,
        CancellationToken cancellationToken = default) =>
        GetOrSetAsync(key, factory, static (f, context, ct) => f(context, ct), options, tags, cancellationToken);

    public ValueTask<T> GetOrSetAsync<TState, T>(
        string key,
        TState state,
        Func<TState, CacheFactoryContext, CancellationToken, Task<T>> factory,
        CacheEntryOptions? options = null,
        IReadOnlyList<string>? tags = null,
        CancellationToken cancellationToken = default)
    {
        // Hot path: one dictionary lookup and a few field reads; no allocation.
        if (TryGetFresh(key, out var entry, out var refreshDue))
        {
            if (refreshDue)
            {
                StartEagerRefresh(key, entry, state, factory);
            }

            return new ValueTask<T>((T)entry.Value!);
        }

        return new ValueTask<T>(MissAsync(key, state, factory, options ?? _options.DefaultEntryOptions, tags, cancellationToken));
    }

    public async ValueTask<MaybeValue<T>> TryGetAsync<T>(string key, CancellationToken cancellationToken = default)
    {
        if (TryGetFresh(key, out var entry, out _))
        {
            return MaybeValue<T>.Some((T)entry.Value!);
        }

        if (_l2 is null)
        {
            return MaybeValue<T>.None;
        }

        if (!L2Answering)
        {
            return MaybeValue<T>.None;
        }

        try
        {
            var readAt = CacheClock.LiveMs;
            var read = await _l2.ReadAsync(key);
            if (read.Entry is { } found && IsFresh(found))
            {
                Statistics.Record(CacheLookup.L2Hit, KindOf(key));
                var value = Deserialize<T>(found);
                var flightless = new Flight(key, found.Tags) { StartSeq = read.Seq, ReadAt = readAt };
                StoreL1FromL2(flightless, key, value, found, read.Seq, _options.DefaultEntryOptions);
                return MaybeValue<T>.Some(value);
            }

            Statistics.Record(CacheLookup.L2Miss, KindOf(key));
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            NoteL2Error(e);
        }

        return MaybeValue<T>.None;
    }

    // The kind label of a key's hit/miss counters; a static lambda or method group, so the hot path allocates nothing.
    private string KindOf(string key) => _options.KindOf?.Invoke(key) ?? CacheStatistics.OtherKind;

    private bool TryGetFresh(string key, out L1Entry entry, out bool refreshDue)
    {
        refreshDue = false;
        if (!_l1.TryGet(key, out entry))
        {
            Statistics.Record(CacheLookup.L1Miss, KindOf(key));
            return false;
        }

        var now = _clock.NowMs;
        if (entry.Expired || now >= entry.FreshUntil || !TagsValid(entry) || !Trusted(entry))
        {
            Statistics.Record(CacheLookup.L1Miss, KindOf(key));
            return false;
        }

        entry.LastAccess = now;
        if (now >= entry.EagerRefreshAt)
        {
            entry.EagerRefreshAt = long.MaxValue;
            refreshDue = true;
        }

        CacheStatistics.RecordL1Hit(entry.Counts ??= Statistics.For(KindOf(key)));
        return true;
    }

    private bool TagsValid(L1Entry entry)
    {
        if (entry.Tags.Length == 0 || entry.ValidatedTagEpoch == Volatile.Read(ref _tagEpoch))
        {
            return true;
        }

        var epoch = Volatile.Read(ref _tagEpoch);
        foreach (var tag in entry.Tags)
        {
            if (_tagVersions.TryGetValue(tag, out var version) && version > entry.StartSeq)
            {
                return false;
            }
        }

        entry.ValidatedTagEpoch = epoch;
        return true;
    }

    // Served until DegradedL1Ttl past the later of its read and the last moment this node knew it heard everything; a
    // node that hears moves that moment every heartbeat. Hearing is read before the floor (written in that order).
    private bool Trusted(L1Entry entry)
    {
        if (_backplane is null)
        {
            return true;
        }

        var heard = _backplane.LastHeardMs;
        return entry.ReadAt >= _backplane.TrustFloorMs && CacheClock.LiveMs - Math.Max(heard, entry.ReadAt) < _degradedTtlMs;
    }

    private bool IsFresh(L2Entry entry) =>
        !entry.Expired && entry.FreshUntilUnixMs > _clock.UnixMs && _backplane is not { L2Suspect: true } && entry.StartSeq >= (_backplane?.L2FloorSeq ?? 0);

    // ------------------------------------------------------------------ writes and invalidations

    public async ValueTask SetAsync<T>(string key, T value, CacheEntryOptions? options = null, IReadOnlyList<string>? tags = null, CancellationToken cancellationToken = default)
    {
        options ??= _options.DefaultEntryOptions;
        options.Validate();
        var flight = new Flight(key, tags is null ? [] : [.. tags]);
        var startSeq = CurrentLocalSeq();
        var (payload, etag) = Serialize(value);
        if (_l2 is not null && !options.SkipL2)
        {
            try
            {
                var unixNow = _clock.UnixMs;
                var fresh = (long)options.Duration.TotalMilliseconds;
                var failSafe = (long)(options.FailSafeMaxDuration ?? TimeSpan.Zero).TotalMilliseconds;
                (_, startSeq) = await _l2.WriteAsync(key, 0, "", L2Ttl(options), payload, unixNow + fresh, unixNow + fresh + failSafe, etag, flight.Tags, conditional: false);
            }
            catch (Exception e) when (IsRedisFailure(e))
            {
                NoteL2Error(e);
            }
        }

        flight.StartSeq = startSeq;
        StoreL1(flight, key, value, options, startSeq, payload.Length);
    }

    public ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default) => InvalidateAsync(InvalidationKind.Remove, key);

    public ValueTask ExpireAsync(string key, CancellationToken cancellationToken = default) => InvalidateAsync(InvalidationKind.Expire, key);

    public ValueTask RemoveByTagAsync(string tag, CancellationToken cancellationToken = default) => InvalidateAsync(InvalidationKind.Tag, tag);

    private async ValueTask InvalidateAsync(InvalidationKind kind, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (_l2 is null)
        {
            Apply(kind, name, Interlocked.Increment(ref _localSeq));
            return;
        }

        try
        {
            var (seq, _) = await _l2.InvalidateAsync(kind, name, _clock.UnixMs);
            Statistics.Increment(ref Statistics.BackplanePublished);
            Apply(kind, name, seq);
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            // This node at least forgets the value; the other nodes cannot be told, so the caller must retry.
            NoteL2Error(e);
            ApplyUnconditionally(kind, name);
            throw new CacheUnavailableException($"Could not record the invalidation of {kind} '{name}' in Redis: {e.Message}", e);
        }
    }

    /// <inheritdoc cref="IInvalidationTarget.Apply"/>
    void IInvalidationTarget.Apply(InvalidationKind kind, string name, long seq) => Apply(kind, name, seq);

    /// <summary>
    /// Called after an invalidation (this node's or another's, live or replayed) was applied to L1, on the thread
    /// that applied it: lets benchmarks time propagation precisely instead of polling. Must return quickly.
    /// </summary>
    internal Action<InvalidationKind, string, long>? Applied { get; set; }

    private void Apply(InvalidationKind kind, string name, long seq)
    {
        ApplyToL1(kind, name, seq);
        Applied?.Invoke(kind, name, seq);
    }

    private void ApplyToL1(InvalidationKind kind, string name, long seq)
    {
        switch (kind)
        {
            case InvalidationKind.Remove:
                // Flag a running factory first, then remove: a factory storing concurrently re-checks its flag after storing.
                if (_flights.TryGetValue(name, out var removed))
                {
                    removed.InvalidateAt(seq);
                }

                _l1.RemoveOlderThan(name, seq);
                break;
            case InvalidationKind.Expire:
                if (_flights.TryGetValue(name, out var expired))
                {
                    expired.InvalidateAt(seq);
                }

                _l1.ExpireOlderThan(name, seq);
                break;
            case InvalidationKind.Tag:
                _tagVersions.AddOrUpdate(name, static (_, seq) => seq, static (_, old, seq) => Math.Max(old, seq), seq);
                Interlocked.Increment(ref _tagEpoch);
                foreach (var flight in _flights.Values)
                {
                    if (flight.HasTag(name))
                    {
                        flight.InvalidateAt(seq);
                    }
                }

                if (_tagVersions.Count > _options.MaxTrackedTags)
                {
                    ClearLocal($"more than {_options.MaxTrackedTags} invalidated tags tracked");
                }

                break;
        }
    }

    private void ApplyUnconditionally(InvalidationKind kind, string name)
    {
        if (kind == InvalidationKind.Tag)
        {
            // No sequence to version the tag with: drop every L1 entry carrying it (a scan, only on this failure path).
            foreach (var flight in _flights.Values)
            {
                if (flight.HasTag(name))
                {
                    flight.Invalidate();
                }
            }

            _l1.RemoveWhere(entry => Array.IndexOf(entry.Tags, name) >= 0);
            return;
        }

        if (_flights.TryGetValue(name, out var running))
        {
            running.Invalidate();
        }

        _l1.RemoveOlderThan(name, long.MaxValue);
    }

    public void ClearLocal(string reason)
    {
        foreach (var flight in _flights.Values)
        {
            flight.Invalidate();
        }

        _l1.Clear();
        _tagVersions.Clear();
        Interlocked.Increment(ref _tagEpoch);
        _logger.LogWarning("Cache L1 cleared on node {Node}: {Reason}", NodeId, reason);
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>True when L1 alone would answer a read of <paramref name="key"/> (tests and diagnostics; no statistics touched).</summary>
    public bool IsFreshInL1(string key) =>
        _l1.TryGet(key, out var entry) && !entry.Expired && _clock.NowMs < entry.FreshUntil && TagsValid(entry) && Trusted(entry);

    /// <summary>Whether the Redis client has a live connection (tests: it fails commands at once when it has none).</summary>
    internal bool IsRedisConnected => _l2?.IsConnected ?? false;

    /// <summary>The Redis layer, for <see cref="CacheInspector"/>; null without Redis.</summary>
    internal RedisLayer? L2 => _l2;

    internal string DescribeHearing() => _backplane is null ? "no backplane" : $"now {CacheClock.LiveMs}, last heard {_backplane.LastHeardMs}, floor {_backplane.TrustFloorMs}, hearing {_backplane.IsHearing}";

    internal long LastAppliedSeq => _backplane?.LastApplied ?? Interlocked.Read(ref _localSeq);

    private long CurrentLocalSeq() => _backplane?.LastApplied ?? Interlocked.Read(ref _localSeq);

    private static TimeSpan L2Ttl(CacheEntryOptions options) => options.Duration + options.JitterMaxDuration + (options.FailSafeMaxDuration ?? TimeSpan.Zero);

    private (byte[] Payload, string ETag) Serialize<T>(T value) =>
        value is CachedPayload payload ? (payload.Utf8Json, payload.ETag) : (_serializer.Serialize(value), "");

    private T Deserialize<T>(L2Entry entry) =>
        typeof(T) == typeof(CachedPayload) ? (T)(object)new CachedPayload(entry.Payload, entry.ETag) : _serializer.Deserialize<T>(entry.Payload);

    private static bool IsRedisFailure(Exception e) => e is RedisException or TimeoutException or ObjectDisposedException;

    /// <summary>
    /// False for <see cref="L2PauseMs"/> after a Redis call failed: reads then go straight to their factory instead of each
    /// waiting out the call timeout on a Redis that is frozen or gone. Not tied to deafness: a node that misses a heartbeat
    /// on a loaded machine still reads L2, whose conditional write keeps guarding against stale write-back.
    /// </summary>
    private bool L2Answering => CacheClock.LiveMs >= Volatile.Read(ref _l2PausedUntilMs);

    private void NoteL2Error(Exception e)
    {
        Statistics.Increment(ref Statistics.L2Errors);
        Volatile.Write(ref _l2PausedUntilMs, CacheClock.LiveMs + L2PauseMs);
        var now = _clock.NowMs;
        var last = Interlocked.Read(ref _lastL2ErrorLogMs);
        if (now - last > 10_000 && Interlocked.CompareExchange(ref _lastL2ErrorLogMs, now, last) == last)
        {
            _logger.LogWarning("Cache L2 (Redis) unavailable, serving from L1 and factories: {Error}", e.Message);
        }
    }
}
