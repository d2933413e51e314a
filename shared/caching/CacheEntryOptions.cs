namespace Platform.Caching;

/// <summary>Per-entry behaviour. Defaults come from <see cref="CacheOptions.DefaultEntryOptions"/>.</summary>
public sealed record CacheEntryOptions
{
    /// <summary>How long a value is fresh (L2, and L1 unless <see cref="L1Duration"/> is set).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>L1 freshness, when it should be shorter than L2's (null: same as <see cref="Duration"/>).</summary>
    public TimeSpan? L1Duration { get; init; }

    /// <summary>Random extra duration up to this much, so entries set together do not expire together.</summary>
    public TimeSpan JitterMaxDuration { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// When set, a stale value is kept this long past its duration and served if the factory fails or times
    /// out (fail-safe). Null disables fail-safe for the entry.
    /// </summary>
    public TimeSpan? FailSafeMaxDuration { get; init; } = TimeSpan.FromHours(1);

    /// <summary>After a fail-safe activation the stale value is served as fresh this long, so a failing factory is not hammered.</summary>
    public TimeSpan FailSafeThrottleDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>With a stale value at hand, callers wait this long for the factory, then get the stale value while the factory completes in the background.</summary>
    public TimeSpan? FactorySoftTimeout { get; init; }

    /// <summary>Callers never wait longer than this for the factory: stale value if any, else <see cref="TimeoutException"/>.</summary>
    public TimeSpan? FactoryHardTimeout { get; init; }

    /// <summary>Fraction of <see cref="Duration"/> (0..1, exclusive) after which a hit starts a background refresh.</summary>
    public float? EagerRefreshThreshold { get; init; }

    /// <summary>Runs the factory once in the whole cluster (Redis lock); other nodes wait for the value in L2.</summary>
    public bool ClusterSingleFlight { get; init; }

    /// <summary>Skip L2 for this entry (node-local values).</summary>
    public bool SkipL2 { get; init; }

    internal void Validate()
    {
        if (Duration <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Duration), Duration, "must be positive");
        }

        if (EagerRefreshThreshold is { } t && (t <= 0 || t >= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(EagerRefreshThreshold), t, "must be between 0 and 1, exclusive");
        }
    }
}
