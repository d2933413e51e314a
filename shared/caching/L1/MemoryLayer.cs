using System.Collections.Concurrent;

namespace Platform.Caching.L1;

/// <summary>
/// The in-process level: a concurrent dictionary bounded in (estimated) bytes. Past the bound, one compaction
/// at a time drops the least recently used entries down to 90 % of it.
/// </summary>
internal sealed class MemoryLayer(long sizeLimitBytes)
{
    private readonly ConcurrentDictionary<string, L1Entry> _entries = new(StringComparer.Ordinal);
    private long _size;
    private int _compacting;

    public long SizeBytes => Interlocked.Read(ref _size);

    public int Count => _entries.Count;

    public long Evictions;

    public bool TryGet(string key, out L1Entry entry) => _entries.TryGetValue(key, out entry!);

    public void Set(string key, L1Entry entry)
    {
        while (true)
        {
            if (_entries.TryGetValue(key, out var old))
            {
                if (_entries.TryUpdate(key, entry, old))
                {
                    Interlocked.Add(ref _size, entry.Size - old.Size);
                    break;
                }
            }
            else if (_entries.TryAdd(key, entry))
            {
                Interlocked.Add(ref _size, entry.Size);
                break;
            }
        }

        if (Interlocked.Read(ref _size) > sizeLimitBytes)
        {
            Compact();
        }
    }

    /// <summary>Removes exactly this entry instance (not a newer one stored meanwhile).</summary>
    public bool Remove(string key, L1Entry entry)
    {
        if (_entries.TryRemove(new KeyValuePair<string, L1Entry>(key, entry)))
        {
            Interlocked.Add(ref _size, -entry.Size);
            return true;
        }

        return false;
    }

    /// <summary>Removes the key's entry if it was read before <paramref name="seq"/> (a later read already reflects the invalidation).</summary>
    public bool RemoveOlderThan(string key, long seq)
    {
        return _entries.TryGetValue(key, out var entry) && entry.StartSeq < seq && Remove(key, entry);
    }

    /// <summary>Marks the key's entry stale if it was read before <paramref name="seq"/>.</summary>
    public void ExpireOlderThan(string key, long seq)
    {
        if (_entries.TryGetValue(key, out var entry) && entry.StartSeq < seq)
        {
            entry.Expired = true;
        }
    }

    /// <summary>Removes every entry matching <paramref name="predicate"/> (a scan: failure paths only).</summary>
    public void RemoveWhere(Func<L1Entry, bool> predicate)
    {
        foreach (var (key, entry) in _entries)
        {
            if (predicate(entry))
            {
                Remove(key, entry);
            }
        }
    }

    public void Clear()
    {
        foreach (var (key, entry) in _entries)
        {
            Remove(key, entry);
        }
    }

    private void Compact()
    {
        if (Interlocked.Exchange(ref _compacting, 1) == 1)
        {
            return;
        }

        try
        {
            var target = sizeLimitBytes / 10 * 9;
            var snapshot = _entries.ToArray();
            Array.Sort(snapshot, static (a, b) => a.Value.LastAccess.CompareTo(b.Value.LastAccess));
            foreach (var (key, entry) in snapshot)
            {
                if (Interlocked.Read(ref _size) <= target)
                {
                    break;
                }

                if (Remove(key, entry))
                {
                    Interlocked.Increment(ref Evictions);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _compacting, 0);
        }
    }
}
