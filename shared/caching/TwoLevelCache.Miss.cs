using Platform.Caching.L1;
using Platform.Caching.L2;

namespace Platform.Caching;

// The miss path: single flight per key, L2, cluster lock, factory with timeouts and fail-safe, conditional store.
public sealed partial class TwoLevelCache
{
    // What a failed eager refresh completes with: it has no value for callers that joined it (the current one
    // was not fresh for them), so they read again rather than receive null.
    private static readonly object EagerRefreshFailed = new();

    private async Task<T> MissAsync<TState, T>(
        string key,
        TState state,
        Func<TState, CacheFactoryContext, CancellationToken, Task<T>> factory,
        CacheEntryOptions options,
        IReadOnlyList<string>? tags,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        options.Validate();
        string[] tagArray = tags is null || tags.Count == 0 ? [] : [.. tags];
        while (true)
        {
            if (_flights.TryGetValue(key, out var running))
            {
                var result = await running.Completion.Task.WaitAsync(cancellationToken);
                if (ReferenceEquals(result, EagerRefreshFailed))
                {
                    // Its only work left is unregistering itself; do it here so the next pass starts a normal flight.
                    _flights.TryRemove(new KeyValuePair<string, Flight>(key, running));
                    continue;
                }

                return (T)result!;
            }

            var flight = new Flight(key, tagArray);
            if (_flights.TryAdd(key, flight))
            {
                _ = RunFlightAsync(flight, state, factory, options, eager: false);
                return (T)(await flight.Completion.Task.WaitAsync(cancellationToken))!;
            }
        }
    }

    private void StartEagerRefresh<TState, T>(string key, L1Entry entry, TState state, Func<TState, CacheFactoryContext, CancellationToken, Task<T>> factory)
    {
        var flight = new Flight(key, entry.Tags);
        if (_flights.TryAdd(key, flight))
        {
            _ = RunFlightAsync(flight, state, factory, entry.Options, eager: true);
        }
    }

    /// <summary>Runs one flight to the end; completes its callers as early as the options allow and never throws.</summary>
    private async Task RunFlightAsync<TState, T>(
        Flight flight,
        TState state,
        Func<TState, CacheFactoryContext, CancellationToken, Task<T>> factory,
        CacheEntryOptions options,
        bool eager)
    {
        var key = flight.Key;
        var owned = true;
        string? lockToken = null;
        try
        {
            // A flight that just finished may have stored the value between our miss and our registration.
            if (!eager && IsFreshInL1(key) && _l1.TryGet(key, out var justStored))
            {
                flight.Completion.TrySetResult(justStored.Value);
                return;
            }

            var stale = FindStale(key);
            var startSeq = CurrentLocalSeq();
            var epoch = _backplane?.Epoch ?? "";
            var useL2 = _l2 is not null && !options.SkipL2 && L2Answering;
            if (useL2)
            {
                try
                {
                    var read = await _l2!.ReadAsync(key);
                    (startSeq, epoch) = (read.Seq, read.Epoch);
                    if (read.Entry is { } found && !eager)
                    {
                        if (IsFresh(found))
                        {
                            Statistics.Record(CacheLookup.L2Hit, KindOf(key));
                            var fromL2 = Deserialize<T>(found);
                            flight.StartSeq = read.Seq;
                            StoreL1FromL2(flight, key, fromL2, found, read.Seq, options);
                            flight.Completion.TrySetResult(fromL2);
                            return;
                        }

                        if (stale is null && found.FailSafeUntilUnixMs > _clock.UnixMs)
                        {
                            stale = new Stale(Deserialize<T>(found), found.StartSeq, found.FailSafeUntilUnixMs - _clock.UnixMs + _clock.NowMs, found.Tags);
                        }
                    }

                    Statistics.Record(CacheLookup.L2Miss, KindOf(key));
                }
                catch (Exception e) when (IsRedisFailure(e))
                {
                    NoteL2Error(e);
                    useL2 = false;
                }
            }

            if (useL2 && options.ClusterSingleFlight && !eager)
            {
                var claim = new ClusterClaim<T>(false, default, null, -1, null);
                try
                {
                    claim = await ClaimClusterFlightAsync<T>(flight, options);
                }
                catch (Exception e) when (IsRedisFailure(e))
                {
                    NoteL2Error(e);
                }

                if (claim.HasValue)
                {
                    flight.Completion.TrySetResult(claim.Value);
                    return;
                }

                lockToken = claim.LockToken;
                if (lockToken is not null)
                {
                    flight.LockRenewal = new CancellationTokenSource();
                    _ = RenewLockAsync(key, lockToken, flight.LockRenewal.Token);
                }

                if (claim.Seq >= 0)
                {
                    (startSeq, epoch) = (claim.Seq, claim.Epoch!);
                }
            }

            flight.StartSeq = startSeq;
            var context = new CacheFactoryContext(key, options, stale?.Value, stale is not null);
            Statistics.Increment(ref Statistics.FactoryRuns);
            var factoryTask = StartFactory(state, factory, context);

            var soft = stale is not null ? options.FactorySoftTimeout : null;
            var hard = options.FactoryHardTimeout;
            if (soft is { } softTimeout && !await CompletesWithinAsync(factoryTask, softTimeout))
            {
                Statistics.Increment(ref Statistics.StaleServed);
                flight.Completion.TrySetResult(stale!.Value);
                owned = false;
                _ = FinishInBackgroundAsync(flight, factoryTask, context, startSeq, epoch, useL2, lockToken);
                return;
            }

            if (hard is { } hardTimeout && !await CompletesWithinAsync(factoryTask, hardTimeout - (soft ?? TimeSpan.Zero)))
            {
                Statistics.Increment(ref Statistics.FactoryErrors);
                ServeFailSafeOrFail(flight, stale, options, new TimeoutException($"The cache factory for '{key}' did not complete within {hardTimeout}."));
                owned = false;
                _ = FinishInBackgroundAsync(flight, factoryTask, context, startSeq, epoch, useL2, lockToken);
                return;
            }

            T value;
            try
            {
                value = await factoryTask;
            }
            catch (Exception e)
            {
                Statistics.Increment(ref Statistics.FactoryErrors);
                if (eager)
                {
                    _logger.LogWarning(e, "Eager refresh of cache key {Key} failed; the current value stays", key);
                    flight.Completion.TrySetResult(EagerRefreshFailed);
                    return;
                }

                ServeFailSafeOrFail(flight, stale, options, e);
                return;
            }

            await StoreAsync(flight, key, value, context.Options, startSeq, epoch, useL2);
            flight.Completion.TrySetResult(value);
        }
        catch (Exception e)
        {
            // A bug or an unexpected failure: callers get it rather than a hang.
            flight.Completion.TrySetException(e);
        }
        finally
        {
            if (owned)
            {
                await EndFlightAsync(flight, lockToken);
            }
        }
    }

    private async Task FinishInBackgroundAsync<T>(Flight flight, Task<T> factoryTask, CacheFactoryContext context, long startSeq, string epoch, bool useL2, string? lockToken)
    {
        try
        {
            var value = await factoryTask;
            await StoreAsync(flight, flight.Key, value, context.Options, startSeq, epoch, useL2);
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "Cache factory for {Key} failed after its callers were answered", flight.Key);
        }
        finally
        {
            await EndFlightAsync(flight, lockToken);
        }
    }

    private async Task EndFlightAsync(Flight flight, string? lockToken)
    {
        _flights.TryRemove(new KeyValuePair<string, Flight>(flight.Key, flight));
        if (flight.LockRenewal is { } renewal)
        {
            await renewal.CancelAsync();
            renewal.Dispose();
        }

        if (lockToken is not null && _l2 is not null)
        {
            try
            {
                await _l2.UnlockAsync(flight.Key, lockToken);
            }
            catch (Exception e) when (IsRedisFailure(e))
            {
                // The lock expires by itself.
                NoteL2Error(e);
            }
        }
    }

    private Task<T> StartFactory<TState, T>(TState state, Func<TState, CacheFactoryContext, CancellationToken, Task<T>> factory, CacheFactoryContext context)
    {
        try
        {
            return factory(state, context, _disposing.Token);
        }
        catch (Exception e)
        {
            return Task.FromException<T>(e);
        }
    }

    private async Task<bool> CompletesWithinAsync(Task task, TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero)
        {
            return task.IsCompleted;
        }

        using var cancel = new CancellationTokenSource();
        var delay = Task.Delay(timeout, _clock.Time, cancel.Token);
        var winner = await Task.WhenAny(task, delay);
        await cancel.CancelAsync();
        return winner == task;
    }

    private void ServeFailSafeOrFail(Flight flight, Stale? stale, CacheEntryOptions options, Exception error)
    {
        if (stale is null || options.FailSafeMaxDuration is null)
        {
            flight.Completion.TrySetException(error);
            return;
        }

        // Serve the stale value, and keep serving it for the throttle duration so a failing source is not hammered.
        Statistics.Increment(ref Statistics.StaleServed);
        _logger.LogWarning("Cache fail-safe for {Key}: serving a stale value ({Error})", flight.Key, error.Message);
        var now = _clock.NowMs;
        if (!flight.Invalidated)
        {
            var entry = new L1Entry
            {
                Value = stale.Value,
                StartSeq = stale.StartSeq,
                FreshUntil = Math.Min(now + (long)options.FailSafeThrottleDuration.TotalMilliseconds, stale.FailSafeUntil),
                FailSafeUntil = stale.FailSafeUntil,
                EagerRefreshAt = long.MaxValue,
                // A deliberate stale answer while the source fails: counted from now, like any value read now.
                ReadAt = CacheClock.LiveMs,
                Tags = stale.Tags,
                Size = 256,
                Options = options,
                ValidatedTagEpoch = -1,
                LastAccess = now,
            };
            _l1.Set(flight.Key, entry);
            if (flight.Invalidated)
            {
                _l1.Remove(flight.Key, entry);
            }
        }

        flight.Completion.TrySetResult(stale.Value);
    }

    private Stale? FindStale(string key)
    {
        if (_l1.TryGet(key, out var entry) && entry.FailSafeUntil > _clock.NowMs && TagsValid(entry))
        {
            return new Stale(entry.Value, entry.StartSeq, entry.FailSafeUntil, entry.Tags);
        }

        return null;
    }

    private async Task StoreAsync<T>(Flight flight, string key, T value, CacheEntryOptions options, long startSeq, string epoch, bool useL2)
    {
        var (payload, etag) = Serialize(value);
        if (useL2 && !options.SkipL2 && _l2 is not null)
        {
            try
            {
                var unixNow = _clock.UnixMs;
                var fresh = (long)Jittered(options.Duration, options).TotalMilliseconds;
                var failSafe = (long)(options.FailSafeMaxDuration ?? TimeSpan.Zero).TotalMilliseconds;
                var (outcome, _) = await _l2.WriteAsync(key, startSeq, epoch, L2Ttl(options), payload, unixNow + fresh, unixNow + fresh + failSafe, etag, flight.Tags, conditional: true);
                if (outcome != L2WriteOutcome.Stored)
                {
                    // Redis saw an invalidation of the key or a tag after this factory started (or lost its data): the value may predate it.
                    Statistics.Increment(ref Statistics.WriteBacksRefused);
                    return;
                }
            }
            catch (Exception e) when (IsRedisFailure(e))
            {
                NoteL2Error(e);
            }
        }

        if (flight.Invalidated)
        {
            Statistics.Increment(ref Statistics.WriteBacksRefused);
            return;
        }

        StoreL1(flight, key, value, options, startSeq, payload.Length);
    }

    private void StoreL1<T>(Flight flight, string key, T value, CacheEntryOptions options, long startSeq, long payloadBytes)
    {
        var now = _clock.NowMs;
        var duration = (long)Jittered(options.Duration, options).TotalMilliseconds;
        var l1Duration = options.L1Duration is { } l1 ? Math.Min((long)l1.TotalMilliseconds, duration) : duration;
        var entry = new L1Entry
        {
            Value = value,
            StartSeq = startSeq,
            FreshUntil = now + l1Duration,
            FailSafeUntil = options.FailSafeMaxDuration is { } failSafe ? now + duration + (long)failSafe.TotalMilliseconds : 0,
            EagerRefreshAt = options.EagerRefreshThreshold is { } threshold ? now + (long)(l1Duration * threshold) : long.MaxValue,
            ReadAt = flight.ReadAt,
            Tags = flight.Tags,
            Size = payloadBytes + key.Length * 2 + 160,
            Options = options,
            ValidatedTagEpoch = -1,
            LastAccess = now,
        };
        SetGuarded(flight, key, entry);
    }

    // The entry was valid in Redis as of readSeq (a newer invalidation of the key or a tag would have removed
    // or refused it), so readSeq is how fresh the L1 copy is.
    private void StoreL1FromL2<T>(Flight flight, string key, T value, L2Entry found, long readSeq, CacheEntryOptions options)
    {
        var now = _clock.NowMs;
        var unixNow = _clock.UnixMs;
        var remaining = found.FreshUntilUnixMs - unixNow;
        var l1Duration = options.L1Duration is { } l1 ? Math.Min((long)l1.TotalMilliseconds, remaining) : remaining;
        var entry = new L1Entry
        {
            Value = value,
            StartSeq = readSeq,
            FreshUntil = now + l1Duration,
            FailSafeUntil = found.FailSafeUntilUnixMs > unixNow ? now + (found.FailSafeUntilUnixMs - unixNow) : 0,
            EagerRefreshAt = options.EagerRefreshThreshold is { } threshold ? now + (long)(l1Duration * threshold) : long.MaxValue,
            ReadAt = flight.ReadAt,
            Tags = found.Tags,
            Size = found.Payload.Length + key.Length * 2 + 160,
            Options = options,
            ValidatedTagEpoch = -1,
            LastAccess = now,
        };
        SetGuarded(flight, key, entry);
    }

    // Store, then re-check: an invalidation applied concurrently either sees the entry (and removes it) or has
    // already flagged the flight (and we remove it here). Either way no stale entry survives.
    private void SetGuarded(Flight flight, string key, L1Entry entry)
    {
        if (flight.Invalidated || (_backplane is not null && entry.ReadAt < _backplane.TrustFloorMs))
        {
            return;
        }

        _l1.Set(key, entry);
        if (flight.Invalidated || !TagsValid(entry))
        {
            _l1.Remove(key, entry);
        }

        Interlocked.Exchange(ref Statistics.L1Evictions, _l1.Evictions);
    }

    private static TimeSpan Jittered(TimeSpan duration, CacheEntryOptions options) =>
        options.JitterMaxDuration > TimeSpan.Zero
            ? duration + TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * options.JitterMaxDuration.TotalMilliseconds)
            : duration;

    /// <summary>
    /// Keeps this node's cluster lock while its factory runs: renewed every third of the lock duration, for at most
    /// <see cref="CacheOptions.ClusterLockMaxHold"/>. Without it a factory slower than the lock duration would lose
    /// exclusivity and a second node would run the same factory. A renewal Redis cannot answer is tried again next
    /// time; a lock found taken by another token (it expired meanwhile) ends the renewal.
    /// </summary>
    private async Task RenewLockAsync(string key, string token, CancellationToken stop)
    {
        var every = _options.ClusterLockDuration / 3;
        var until = _clock.NowMs + (long)_options.ClusterLockMaxHold.TotalMilliseconds;
        try
        {
            while (true)
            {
                await Task.Delay(every, _clock.Time, stop);
                if (_clock.NowMs + (long)every.TotalMilliseconds > until)
                {
                    _logger.LogWarning("Cluster single flight for {Key}: the factory still runs after {MaxHold}; the lock is no longer renewed", key, _options.ClusterLockMaxHold);
                    return;
                }

                try
                {
                    if (!await _l2!.RenewLockAsync(key, token, _options.ClusterLockDuration))
                    {
                        _logger.LogWarning("Cluster single flight for {Key}: the lock expired before it was renewed; another node may run the factory too", key);
                        return;
                    }
                }
                catch (Exception e) when (IsRedisFailure(e))
                {
                    NoteL2Error(e);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The flight ended: the lock is being released.
        }
    }

    /// <summary>
    /// Cluster single flight: take the Redis lock, or wait for the holder's value to appear in L2. A crashed
    /// holder's lock expires (<see cref="CacheOptions.ClusterLockDuration"/>) and a waiter takes over; a live holder
    /// renews it while its factory runs (<see cref="RenewLockAsync"/>).
    /// </summary>
    private async Task<ClusterClaim<T>> ClaimClusterFlightAsync<T>(Flight flight, CacheEntryOptions options)
    {
        var token = NodeId + ":" + Guid.NewGuid().ToString("N");
        var giveUpAt = _clock.NowMs + (long)(options.FactoryHardTimeout ?? _options.ClusterLockMaxHold + _options.ClusterLockDuration).TotalMilliseconds;
        var pause = TimeSpan.FromMilliseconds(2);
        while (true)
        {
            if (await _l2!.TryLockAsync(flight.Key, token, _options.ClusterLockDuration))
            {
                // The previous holder may have stored the value just before releasing.
                var afterLock = await _l2.ReadAsync(flight.Key);
                if (afterLock.Entry is { } stored && IsFresh(stored))
                {
                    await _l2.UnlockAsync(flight.Key, token);
                    var value = Deserialize<T>(stored);
                    flight.StartSeq = afterLock.Seq;
                    StoreL1FromL2(flight, flight.Key, value, stored, afterLock.Seq, options);
                    return ClusterClaim<T>.Found(value);
                }

                return new ClusterClaim<T>(false, default, token, afterLock.Seq, afterLock.Epoch);
            }

            await Task.Delay(pause, _clock.Time);
            pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 25));
            var read = await _l2.ReadAsync(flight.Key);
            if (read.Entry is { } found && IsFresh(found))
            {
                Statistics.Record(CacheLookup.L2Hit, KindOf(flight.Key));
                var value = Deserialize<T>(found);
                flight.StartSeq = read.Seq;
                StoreL1FromL2(flight, flight.Key, value, found, read.Seq, options);
                return ClusterClaim<T>.Found(value);
            }

            if (_clock.NowMs > giveUpAt)
            {
                _logger.LogWarning("Cluster single flight for {Key}: gave up waiting for the lock holder; running the factory here", flight.Key);
                return new ClusterClaim<T>(false, default, null, read.Seq, read.Epoch);
            }
        }
    }

    private sealed record Stale(object? Value, long StartSeq, long FailSafeUntil, string[] Tags);

    private readonly record struct ClusterClaim<T>(bool HasValue, T? Value, string? LockToken, long Seq, string? Epoch)
    {
        public static ClusterClaim<T> Found(T value) => new(true, value, null, -1, null);
    }
}
