namespace Platform.Caching;

/// <summary>
/// One factory run for one key on this node; every concurrent caller awaits the same completion. Invalidations
/// of the key or one of its tags applied while it runs are recorded by sequence: the result is stored only if
/// none is newer than the sequence the run started from (unknown start: any invalidation counts).
/// </summary>
internal sealed class Flight(string key, string[] tags)
{
    private long _startSeq = -1;
    private long _invalidatedAt = -1;

    public string Key { get; } = key;

    public string[] Tags { get; } = tags;

    /// <summary><see cref="L1.CacheClock.LiveMs"/> when the run started reading (L2 or its factory): its value is at least that fresh.</summary>
    public long ReadAt { get; init; } = L1.CacheClock.LiveMs;

    public TaskCompletionSource<object?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The Redis sequence the run's data is as fresh as; -1 until known.</summary>
    public long StartSeq
    {
        get => Interlocked.Read(ref _startSeq);
        set => Interlocked.Exchange(ref _startSeq, value);
    }

    public bool Invalidated
    {
        get
        {
            var at = Interlocked.Read(ref _invalidatedAt);
            return at >= 0 && at > StartSeq;
        }
    }

    /// <summary>Records an invalidation at <paramref name="seq"/>.</summary>
    public void InvalidateAt(long seq)
    {
        var current = Interlocked.Read(ref _invalidatedAt);
        while (seq > current)
        {
            var seen = Interlocked.CompareExchange(ref _invalidatedAt, seq, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>An invalidation without a sequence (Redis unreachable, L1 cleared): the result is never stored.</summary>
    public void Invalidate() => Interlocked.Exchange(ref _invalidatedAt, long.MaxValue);

    public bool HasTag(string tag) => Array.IndexOf(Tags, tag) >= 0;

    /// <summary>Stops renewing the cluster lock when the flight ends (set while this node holds it).</summary>
    public CancellationTokenSource? LockRenewal { get; set; }
}
