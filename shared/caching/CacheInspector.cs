namespace Platform.Caching;

/// <summary>
/// Read-only answers for ops about the shared L2 and the backplane (the ops console's cache page and status strip):
/// what Redis holds for a key, and how far this node is behind the invalidation sequence. Never changes anything, never
/// runs a factory, never touches L1.
/// </summary>
public sealed class CacheInspector(TwoLevelCache cache)
{
    /// <summary>
    /// What L2 holds for <paramref name="key"/>, as stored: present or not, age, start sequence, freshness, tags with their
    /// versions (a tag whose version is above the entry's start sequence invalidated it). Null when the cache runs without Redis.
    /// </summary>
    /// <exception cref="TimeoutException">Redis did not answer within <see cref="CacheOptions.RedisCallTimeout"/>.</exception>
    public async Task<CacheEntryReport?> InspectAsync(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (cache.L2 is not { } l2)
        {
            return null;
        }

        var r = await l2.InspectAsync(key);
        var seq = (long)r[1];
        var epoch = (string)r[2]!;
        var now = DateTimeOffset.FromUnixTimeMilliseconds((long)r[3]);
        var guard = (long)r[4];
        if ((long)r[0] == 0)
        {
            return new CacheEntryReport(key, false, seq, epoch, now, guard > 0 ? guard : null, null, null, null, null, null, false, null, null, []);
        }

        var startSeq = (long)r[6];
        var tagNames = ((string)r[11]!).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var tags = tagNames.Select((tag, i) => new CacheTagReport(tag, (long)r[14 + i], (long)r[14 + i] > startSeq)).ToList();
        var written = (long)r[12];
        var ttl = (long)r[5];
        return new CacheEntryReport(
            key,
            true,
            seq,
            epoch,
            now,
            guard > 0 ? guard : null,
            startSeq,
            written > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(written) : null,
            UnixMs((long)r[7]),
            UnixMs((long)r[8]),
            ttl >= 0 ? TimeSpan.FromMilliseconds(ttl) : null,
            (long)r[9] > 0,
            (string?)r[10] is { Length: > 0 } etag ? etag : null,
            (long)r[13],
            tags);
    }

    /// <summary>
    /// This node's position on the backplane: the invalidation sequence Redis is at, the last one this node applied, and
    /// whether it hears the backplane. Null when the cache runs without Redis.
    /// </summary>
    /// <exception cref="TimeoutException">Redis did not answer within <see cref="CacheOptions.RedisCallTimeout"/>.</exception>
    public async Task<BackplaneReport?> BackplaneAsync()
    {
        if (cache.L2 is not { } l2)
        {
            return null;
        }

        var applied = cache.LastAppliedSeq;
        var (seq, epoch) = await l2.SequenceAsync();
        return new BackplaneReport(seq, applied, Math.Max(0, seq - applied), cache.IsBackplaneConnected, epoch);
    }

    private static DateTimeOffset? UnixMs(long value) => value > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(value) : null;
}
