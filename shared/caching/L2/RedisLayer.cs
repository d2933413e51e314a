using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;

namespace Platform.Caching.L2;

/// <summary>An L2 entry as stored in Redis.</summary>
internal sealed record L2Entry(byte[] Payload, long StartSeq, long FreshUntilUnixMs, long FailSafeUntilUnixMs, bool Expired, string ETag, string[] Tags);

/// <summary>Result of a read: the entry (if valid) and the sequence/epoch a factory run would start from.</summary>
internal readonly record struct L2Read(L2Entry? Entry, long Seq, string Epoch);

internal enum L2WriteOutcome
{
    Stored,
    Invalidated,
    EpochChanged,
}

/// <summary>
/// Typed calls to <see cref="RedisScripts"/>; one round trip each. Every call a request can wait on gives up after
/// <see cref="CacheOptions.RedisCallTimeout"/> with a <see cref="TimeoutException"/>: a frozen Redis keeps its sockets
/// open, so the client's own timeout (1 s or more, checked on its heartbeat) would hold the request that long.
/// </summary>
internal sealed class RedisLayer(IConnectionMultiplexer redis, CacheOptions options, string nodeId)
{
    private readonly string _prefix = options.KeyPrefix;
    private readonly TimeSpan _callTimeout = options.RedisCallTimeout;

    // Every call proposes a new epoch; the first script to run on an empty Redis makes it the epoch. Never a value
    // fixed per node: after Redis lost its data, the node that made the old epoch could propose the same one again,
    // no node would see the loss, and the restarted sequence (≤ what nodes applied) would be ignored as old news.
    private static RedisValue EpochCandidate => Guid.NewGuid().ToString("N");

    public IConnectionMultiplexer Connection => redis;

    public RedisChannel Channel => RedisChannel.Literal(_prefix + "bp");

    /// <summary>This node's own heartbeat channel (<see cref="RedisScripts.Heartbeat"/>).</summary>
    public RedisChannel HeartbeatChannel => RedisChannel.Literal(_prefix + "hb:" + nodeId);

    public bool IsConnected => redis.IsConnected;

    private IDatabase Db => redis.GetDatabase();

    // Every script on the primary only. The client's default (PreferMaster) falls back to a replica while there is no
    // primary (a Sentinel fail-over): the read script would serve the replica's entries, which the failing evictions
    // cannot reach, and heartbeats published there would tell a node it hears while no invalidation can be made
    // (found by the cluster consistency checker: reads 2.3 s stale during a fail-over).
    private Task<RedisResult> Eval(string script, RedisKey[] keys, RedisValue[] values) =>
        Db.ScriptEvaluateAsync(script, keys, values, CommandFlags.DemandMaster);

    public RedisKey DataKey(string key) => _prefix + "d:" + key;

    public RedisKey LockKey(string key) => _prefix + "lock:" + key;

    public async Task<L2Read> ReadAsync(string key)
    {
        var result = (RedisResult[])(await Bounded(Eval(RedisScripts.Read, [DataKey(key)], [_prefix, EpochCandidate])))!;
        var seq = (long)result[1];
        var epoch = (string)result[2]!;
        if ((long)result[0] == 0)
        {
            return new L2Read(null, seq, epoch);
        }

        var entry = new L2Entry(
            (byte[])result[3]!,
            (long)result[4],
            (long)result[5],
            (long)result[6],
            (long)result[7] > 0,
            (string)result[8]!,
            ((string)result[9]!).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        return new L2Read(entry, seq, epoch);
    }

    public async Task<(L2WriteOutcome Outcome, long Seq)> WriteAsync(
        string key, long startSeq, string epoch, TimeSpan ttl, byte[] payload, long freshUntilUnixMs, long failSafeUntilUnixMs,
        string etag, string[] tags, bool conditional)
    {
        var result = (RedisResult[])(await Bounded(Eval(RedisScripts.Write, [DataKey(key)],
        [
            _prefix, EpochCandidate, key, startSeq, epoch, (long)Math.Max(1, ttl.TotalMilliseconds), payload,
            freshUntilUnixMs, failSafeUntilUnixMs, etag, string.Join('\n', tags), conditional ? "1" : "0",
        ])))!;
        var outcome = (long)result[0] switch
        {
            1 => L2WriteOutcome.Stored,
            0 => L2WriteOutcome.Invalidated,
            _ => L2WriteOutcome.EpochChanged,
        };
        return (outcome, (long)result[1]);
    }

    public async Task<(long Seq, string Epoch)> InvalidateAsync(InvalidationKind kind, string name, long nowUnixMs)
    {
        var op = kind switch
        {
            InvalidationKind.Remove => "r",
            InvalidationKind.Expire => "x",
            _ => "t",
        };
        var result = (RedisResult[])(await Bounded(Eval(RedisScripts.Invalidate, [],
        [
            _prefix, EpochCandidate, op, name, nodeId, options.StreamMaxLength,
            (long)options.InvalidationMemory.TotalMilliseconds, (long)options.TagVersionRetention.TotalMilliseconds, nowUnixMs,
            TraceParent(),
        ])))!;
        return ((long)result[0], (string)result[1]!);
    }

    // The caller's span (the write's "cache evict") becomes the parent of each other node's apply: one trace per write.
    private static string TraceParent() => Activity.Current is { IdFormat: ActivityIdFormat.W3C, Id: { } id } ? id : "";

    public async Task<(string Epoch, long Seq)> HelloAsync()
    {
        var result = (RedisResult[])(await Eval(RedisScripts.Hello, [], [_prefix, EpochCandidate]))!;
        return ((string)result[0]!, (long)result[1]);
    }

    /// <summary>Publishes this node's heartbeat (<see cref="RedisScripts.Heartbeat"/>), sent at <paramref name="sentMs"/> on its clock.</summary>
    public Task HeartbeatAsync(long sentMs) => Bounded(Eval(RedisScripts.Heartbeat, [], [_prefix, EpochCandidate, nodeId, sentMs]));

    /// <summary>Stream entries from <paramref name="fromSeq"/> on (at most <paramref name="max"/>), with the current epoch and sequence.</summary>
    public async Task<(string Epoch, long Seq, List<InvalidationMessage> Entries)> ReplayAsync(long fromSeq, int max)
    {
        var result = (RedisResult[])(await Eval(RedisScripts.Replay, [], [_prefix, EpochCandidate, fromSeq, max]))!;
        var epoch = (string)result[0]!;
        var entries = new List<InvalidationMessage>();
        foreach (var raw in (RedisResult[])result[2]!)
        {
            var item = (RedisResult[])raw!;
            var id = (string)item[0]!;
            var fields = (RedisValue[])item[1]!;
            string op = "", name = "", node = "";
            string? traceParent = null;
            long ts = 0;
            for (var i = 0; i + 1 < fields.Length; i += 2)
            {
                switch ((string)fields[i]!)
                {
                    case "o": op = fields[i + 1]!; break;
                    case "n": name = fields[i + 1]!; break;
                    case "i": node = fields[i + 1]!; break;
                    case "ts": ts = (long)fields[i + 1]; break;
                    case "tp": traceParent = fields[i + 1]; break;
                }
            }

            var seq = long.Parse(id.AsSpan(0, id.IndexOf('-', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
            entries.Add(new InvalidationMessage(seq, InvalidationMessage.KindOf(op), node, epoch, ts, name) { TraceParent = traceParent });
        }

        return (epoch, (long)result[1], entries);
    }

    /// <summary>What L2 holds for <paramref name="key"/> (<see cref="RedisScripts.Inspect"/>); read-only.</summary>
    public async Task<RedisResult[]> InspectAsync(string key) =>
        (RedisResult[])(await Bounded(Eval(RedisScripts.Inspect, [DataKey(key)], [_prefix, key])))!;

    /// <summary>The current invalidation sequence and epoch ('' before the first cache call made one); read-only.</summary>
    public async Task<(long Seq, string Epoch)> SequenceAsync()
    {
        var result = (RedisResult[])(await Bounded(Eval(RedisScripts.Sequence, [], [_prefix])))!;
        return ((long)result[0], (string)result[1]!);
    }

    // The cluster single-flight lock is the client's own (SET NX PX; release and extend only by the token's holder).
    public Task<bool> TryLockAsync(string key, string token, TimeSpan duration) => Bounded(Db.LockTakeAsync(LockKey(key), token, duration));

    public Task UnlockAsync(string key, string token) => Bounded(Db.LockReleaseAsync(LockKey(key), token));

    /// <summary>Extends the lock to <paramref name="duration"/> from now if <paramref name="token"/> still holds it.</summary>
    public Task<bool> RenewLockAsync(string key, string token, TimeSpan duration) => Bounded(Db.LockExtendAsync(LockKey(key), token, duration));

    public async Task<bool> IsLockedAsync(string key) => await Bounded(Db.KeyExistsAsync(LockKey(key)));

    private Task<T> Bounded<T>(Task<T> call) => call.IsCompleted ? call : BoundedAsync(call, _callTimeout);

    private static async Task<T> BoundedAsync<T>(Task<T> call, TimeSpan timeout)
    {
        try
        {
            return await call.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            // The command stays queued in the client until its own timeout; observe its end so it is not reported unobserved.
            _ = call.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw new TimeoutException($"Redis did not answer within {timeout.TotalMilliseconds:0} ms (Cache:RedisCallTimeout)");
        }
    }
}
