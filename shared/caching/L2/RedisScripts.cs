namespace Platform.Caching.L2;

/// <summary>
/// Every multi-step Redis operation of the cache, each one Lua script so it is atomic. Keys under the prefix P:
/// <c>P seq</c> the invalidation sequence (INCR), <c>P epoch</c> an id that changes when Redis lost its data,
/// <c>P d:{key}</c> an entry (hash), <c>P k:{key}</c> the sequence of the key's last invalidation (write-back guard),
/// <c>P t:{tag}</c> the sequence of the tag's last invalidation (its version), <c>P stream</c> the capped
/// invalidation stream, channel <c>P bp</c> the backplane. On Redis Cluster every key of one prefix must share a
/// hash slot (use a hash tag in the prefix, e.g. <c>{platform}:</c>).
/// </summary>
internal static class RedisScripts
{
    // Shared preamble: the epoch, created on first use from the caller's candidate.
    private const string Epoch = """
        local P = ARGV[1]
        local epoch = redis.call('GET', P .. 'epoch')
        if not epoch then
          epoch = ARGV[2]
          redis.call('SET', P .. 'epoch', epoch)
        end
        """;

    // A tag list is '\n'-joined; an entry is invalid when any of its tags was invalidated after the entry's start sequence.
    private const string TagsValid = """
        local function tags_valid(tags, s)
          if tags and tags ~= '' then
            for tag in string.gmatch(tags, '[^\n]+') do
              if tonumber(redis.call('GET', P .. 't:' .. tag) or '0') > s then
                return false
              end
            end
          end
          return true
        end
        """;

    /// <summary>
    /// KEYS[1] entry; ARGV 1 prefix, 2 epoch candidate.
    /// Returns {found, seq, epoch[, payload, startSeq, freshUntil, failSafeUntil, expiredSeq, etag, tags]}: the entry
    /// only when no tag invalidated it, and always the current sequence and epoch (a miss starts a factory from them).
    /// </summary>
    public const string Read = Epoch + "\n" + TagsValid + "\n" + """
        local seq = redis.call('GET', P .. 'seq') or '0'
        local h = redis.call('HMGET', KEYS[1], 'p', 's', 't', 'f', 'u', 'x', 'e')
        if not h[1] then return {0, seq, epoch} end
        if not tags_valid(h[3], tonumber(h[2])) then return {0, seq, epoch} end
        return {1, seq, epoch, h[1], h[2], h[4] or '0', h[5] or '0', h[6] or '0', h[7] or '', h[3] or ''}
        """;

    /// <summary>
    /// KEYS[1] entry; ARGV 1 prefix, 2 epoch candidate, 3 key, 4 start sequence, 5 expected epoch, 6 ttl ms,
    /// 7 payload, 8 fresh-until unix ms, 9 fail-safe-until unix ms, 10 etag, 11 tags, 12 conditional (1/0).
    /// Conditional: stores only if neither the key nor a tag was invalidated after the start sequence and Redis
    /// kept its data since (epoch) and its sequence did not go back below the start — the no-stale-write-back rule.
    /// Returns {1, seq} stored, {0, 0} refused (invalidated), {-1, 0} refused (epoch changed). Field <c>w</c> is Redis's
    /// own time of the write (unix ms), read only by <see cref="Inspect"/> (an entry's age for ops).
    /// </summary>
    public const string Write = Epoch + "\n" + TagsValid + "\n" + """
        local s = tonumber(ARGV[4])
        if ARGV[12] == '1' then
          if epoch ~= ARGV[5] then return {-1, 0} end
          -- A start after Redis's current sequence: Redis went back (a fail-over lost writes), so the guards below
          -- cannot order this value against the removes since; refused as invalidated.
          if s > tonumber(redis.call('GET', P .. 'seq') or '0') then return {0, 0} end
          if tonumber(redis.call('GET', P .. 'k:' .. ARGV[3]) or '0') > s then return {0, 0} end
          if not tags_valid(ARGV[11], s) then return {0, 0} end
        else
          s = tonumber(redis.call('GET', P .. 'seq') or '0')
        end
        local now = redis.call('TIME')
        redis.call('DEL', KEYS[1])
        redis.call('HSET', KEYS[1], 'p', ARGV[7], 's', s, 't', ARGV[11], 'f', ARGV[8], 'u', ARGV[9], 'e', ARGV[10],
          'w', now[1] * 1000 + math.floor(now[2] / 1000))
        redis.call('PEXPIRE', KEYS[1], ARGV[6])
        return {1, s}
        """;

    /// <summary>
    /// ARGV 1 prefix, 2 epoch candidate, 3 op (r remove, x expire, t tag), 4 name, 5 node id, 6 stream max length,
    /// 7 key-guard ttl ms, 8 tag-version ttl ms, 9 now unix ms, 10 W3C traceparent of the caller or ''.
    /// One atomic step: next sequence, the L2 change, the stream entry (id = sequence) and the publish. The traceparent
    /// rides in the sender field as <c>node;traceparent</c>: a node of the previous release reads it as a node id that
    /// is not its own, which is all it does with that field, so mixed releases still apply every invalidation.
    /// Returns {seq, epoch}.
    /// </summary>
    public const string Invalidate = Epoch + "\n" + """
        local seq = redis.call('INCR', P .. 'seq')
        local op, name = ARGV[3], ARGV[4]
        if op == 'r' then
          redis.call('DEL', P .. 'd:' .. name)
          redis.call('SET', P .. 'k:' .. name, seq, 'PX', ARGV[7])
        elseif op == 'x' then
          if redis.call('EXISTS', P .. 'd:' .. name) == 1 then redis.call('HSET', P .. 'd:' .. name, 'x', seq) end
          redis.call('SET', P .. 'k:' .. name, seq, 'PX', ARGV[7])
        else
          redis.call('SET', P .. 't:' .. name, seq, 'PX', ARGV[8])
        end
        local sender = ARGV[5]
        if ARGV[10] ~= '' then
          sender = sender .. ';' .. ARGV[10]
          redis.call('XADD', P .. 'stream', 'MAXLEN', '~', ARGV[6], seq .. '-0', 'o', op, 'n', name, 'i', ARGV[5], 'ts', ARGV[9], 'tp', ARGV[10])
        else
          redis.call('XADD', P .. 'stream', 'MAXLEN', '~', ARGV[6], seq .. '-0', 'o', op, 'n', name, 'i', ARGV[5], 'ts', ARGV[9])
        end
        redis.call('PUBLISH', P .. 'bp', seq .. '|' .. op .. '|' .. sender .. '|' .. epoch .. '|' .. ARGV[9] .. '|' .. name)
        return {seq, epoch}
        """;

    /// <summary>
    /// ARGV 1 prefix, 2 epoch candidate, 3 from sequence, 4 max entries.
    /// Returns {epoch, current seq, entries} where entries are the stream's [id, [field, value, …]] from the sequence on.
    /// </summary>
    public const string Replay = Epoch + "\n" + """
        local seq = redis.call('GET', P .. 'seq') or '0'
        return {epoch, seq, redis.call('XRANGE', P .. 'stream', ARGV[3] .. '-0', '+', 'COUNT', ARGV[4])}
        """;

    /// <summary>
    /// ARGV 1 prefix, 2 epoch candidate, 3 node id, 4 the node's send time (its clock, ms). Publishes
    /// <c>seq|epoch|sent</c> on the node's own channel <c>P hb:{node}</c>: the node hears itself, and the sequence
    /// tells it which invalidations it must have applied by then. Returns 1.
    /// </summary>
    public const string Heartbeat = Epoch + "\n" + """
        local seq = redis.call('GET', P .. 'seq') or '0'
        redis.call('PUBLISH', P .. 'hb:' .. ARGV[3], seq .. '|' .. epoch .. '|' .. ARGV[4])
        return 1
        """;

    /// <summary>
    /// KEYS[1] entry; ARGV 1 prefix. Read-only (no epoch is created): what ops ask about one key.
    /// Returns {found, seq, epoch or '', now ms (Redis TIME), key-guard seq, pttl, startSeq, freshUntil, failSafeUntil,
    /// expiredSeq, etag, tags, written ms, payload bytes, tag versions…}: the entry's fields as stored, whether or not a
    /// tag invalidated it since (the caller compares each tag's version with the start sequence).
    /// </summary>
    public const string Inspect = """
        local P = ARGV[1]
        local t = redis.call('TIME')
        local now = t[1] * 1000 + math.floor(t[2] / 1000)
        local seq = redis.call('GET', P .. 'seq') or '0'
        local epoch = redis.call('GET', P .. 'epoch') or ''
        local guard = redis.call('GET', P .. 'k:' .. ARGV[2]) or '0'
        local h = redis.call('HMGET', KEYS[1], 's', 'f', 'u', 'x', 'e', 't', 'w')
        if not h[1] then return {0, seq, epoch, now, guard} end
        local result = {1, seq, epoch, now, guard, redis.call('PTTL', KEYS[1]), h[1], h[2] or '0', h[3] or '0', h[4] or '0',
          h[5] or '', h[6] or '', h[7] or '0', redis.call('HSTRLEN', KEYS[1], 'p')}
        if h[6] and h[6] ~= '' then
          for tag in string.gmatch(h[6], '[^\n]+') do
            table.insert(result, redis.call('GET', P .. 't:' .. tag) or '0')
          end
        end
        return result
        """;

    /// <summary>ARGV 1 prefix. Read-only: {current seq, epoch or ''}.</summary>
    public const string Sequence = """
        return {redis.call('GET', ARGV[1] .. 'seq') or '0', redis.call('GET', ARGV[1] .. 'epoch') or ''}
        """;

    /// <summary>ARGV 1 prefix, 2 epoch candidate. Returns {epoch, current seq}.</summary>
    public const string Hello = Epoch + "\n" + """
        return {epoch, redis.call('GET', P .. 'seq') or '0'}
        """;
}
