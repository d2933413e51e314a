namespace Platform.Caching.L1;

/// <summary>
/// Milliseconds for freshness checks. With the system clock it reads <see cref="Environment.TickCount64"/>
/// (a few ns: the L1 hit path reads it on every call); any other <see cref="TimeProvider"/> (tests) is honoured.
/// </summary>
internal sealed class CacheClock(TimeProvider time)
{
    private readonly bool _system = ReferenceEquals(time, TimeProvider.System);

    public TimeProvider Time { get; } = time;

    public long NowMs => _system ? Environment.TickCount64 : Time.GetTimestamp() * 1000 / Time.TimestampFrequency;

    /// <summary>
    /// The system's monotonic milliseconds, whatever <see cref="Time"/> is: backplane liveness (heartbeats, deafness,
    /// <see cref="CacheOptions.DegradedL1Ttl"/>) measures the network, which a test's manual clock does not drive.
    /// </summary>
    public static long LiveMs => Environment.TickCount64;

    /// <summary>Wall clock for L2 envelopes shared across nodes (freshness only; ordering never uses it).</summary>
    public long UnixMs => Time.GetUtcNow().ToUnixTimeMilliseconds();
}
