using System.ComponentModel.DataAnnotations;

namespace Platform.Caching;

/// <summary>Settings of one cache instance (one node). Bound to the <c>Cache</c> section.</summary>
public sealed class CacheOptions : IValidatableObject
{
    public const string Section = "Cache";

    private const string RangeMessage = "must be between {1} and {2}";

    /// <summary>The most a request may wait on Redis (issue 14): the ceiling of <see cref="RedisCallTimeout"/>.</summary>
    public static readonly TimeSpan MaxRedisCallTimeout = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Prefix of every Redis key and channel. Services of one cluster share it; tests isolate with it. On Redis
    /// Cluster use a hash tag (e.g. <c>{platform}:</c>) so the scripts' keys share a slot.
    /// </summary>
    // Messages are format strings ({0} the member, {1}/{2} the bounds): braces meant literally are doubled.
    [Required(ErrorMessage = "is required"), RegularExpression("^[A-Za-z0-9:_.{}-]{1,64}$", ErrorMessage = "must be 1-64 letters, digits or : _ . - {{ }}")]
    public string KeyPrefix { get; set; } = "platform:";

    /// <summary>
    /// Names the kind of entry a key holds (e.g. <c>product</c>): the <c>kind</c> label of the hit and miss counters, so a hit
    /// ratio can be watched per kind. Each value is a metric series, so return a handful; past
    /// <see cref="CacheStatistics.MaxKinds"/> distinct values the rest count as <see cref="CacheStatistics.OtherKind"/>.
    /// Null: every key is <see cref="CacheStatistics.OtherKind"/>. Set in code (<c>AddPlatformCache(o =&gt; o.KindOf = …)</c>), not configuration.
    /// </summary>
    public Func<string, string>? KindOf { get; set; }

    /// <summary>L1 size bound in bytes (estimated from serialized size). 128 MiB suits a 2-core node running a few services.</summary>
    [Range(1024, long.MaxValue, ErrorMessage = RangeMessage)]
    public long L1SizeLimitBytes { get; set; } = 128L * 1024 * 1024;

    /// <summary>Use Redis as L2 and backplane. Off: a node-local cache (tests, tools).</summary>
    public bool UseRedis { get; set; } = true;

    /// <summary>
    /// How often a node publishes a heartbeat to itself through Redis, proving it still hears every invalidation.
    /// 100 ms: a few per <see cref="HeartbeatTimeout"/>, so one late heartbeat does not make the node deaf.
    /// </summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// A node that confirmed no heartbeat for this long is deaf: it may be missing invalidations (Redis frozen, killed
    /// or cut off from it). It then skips L2, runs factories, and reports Degraded. 250 ms (issue 14): noticed well
    /// inside the 1 s freshness bound, without relying on connection events or client timeouts.
    /// </summary>
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How long an L1 entry is served past the later of its read and the last moment this node knew it had heard every
    /// invalidation. Only a deaf node reaches it: one that hears moves that moment every heartbeat. 750 ms keeps every
    /// read within the 1 s freshness bound (an invalidation the node missed was recorded, or its write acknowledged,
    /// after that moment), with room for clocks and scheduling. Larger values trade freshness during a Redis outage
    /// for fewer database reads.
    /// </summary>
    public TimeSpan DegradedL1Ttl { get; set; } = TimeSpan.FromMilliseconds(750);

    /// <summary>
    /// Longest a request waits for one Redis call (L2 read or write, invalidation, cluster lock) before it goes on
    /// without Redis: a read runs its factory, an invalidation throws <see cref="CacheUnavailableException"/>. At most
    /// 250 ms, so a frozen Redis (sockets open, no answer) never holds a request longer; 200 ms leaves a loaded
    /// machine's slow but healthy Redis call (p99 well under 10 ms here) room before it counts as a failure.
    /// </summary>
    public TimeSpan RedisCallTimeout { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Invalidations kept in the Redis stream for nodes to replay after a disconnect. ~100k covers minutes of heavy churn.</summary>
    [Range(100, 10_000_000, ErrorMessage = RangeMessage)]
    public int StreamMaxLength { get; set; } = 100_000;

    /// <summary>How often a node compares its last applied sequence with Redis's, catching a lost last message.</summary>
    public TimeSpan GapCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A node whose own heartbeats stop arriving this long while Redis takes them (its subscription lost, its connection
    /// fine) subscribes again. Seen once in ~150 kill-and-restart trials of StackExchange.Redis 3.4: a client that never
    /// resubscribed, which left the node deaf, and reading PostgreSQL for every request, until it restarted.
    /// </summary>
    public TimeSpan ResubscribeAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a key invalidation blocks write-back of factories that started before it. Longer than any factory runs.</summary>
    public TimeSpan InvalidationMemory { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a tag's version counter lives after its last bump; must outlive every entry (duration + fail-safe).</summary>
    public TimeSpan TagVersionRetention { get; set; } = TimeSpan.FromDays(2);

    /// <summary>
    /// Expiry of the cluster single-flight lock: a crashed holder blocks others at most this long. A live holder
    /// renews it every third of this while its factory runs, up to <see cref="ClusterLockMaxHold"/>.
    /// </summary>
    public TimeSpan ClusterLockDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Longest a holder keeps the cluster lock by renewing it: a factory still running after this (hung, or far slower
    /// than expected) lets another node try. Waiters wait this long (plus one lock duration) unless the entry has a
    /// <see cref="CacheEntryOptions.FactoryHardTimeout"/>.
    /// </summary>
    public TimeSpan ClusterLockMaxHold { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Tags this node remembers invalidations of; past it, it clears L1 rather than grow without bound.</summary>
    [Range(1000, 10_000_000, ErrorMessage = RangeMessage)]
    public int MaxTrackedTags { get; set; } = 200_000;

    /// <summary>Defaults for entries that pass no options.</summary>
    public CacheEntryOptions DefaultEntryOptions { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (HeartbeatInterval <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be positive", [nameof(HeartbeatInterval)]);
        }

        if (HeartbeatTimeout <= HeartbeatInterval)
        {
            yield return new ValidationResult($"must be longer than {nameof(HeartbeatInterval)}", [nameof(HeartbeatTimeout)]);
        }

        if (DegradedL1Ttl <= HeartbeatTimeout)
        {
            yield return new ValidationResult($"must be longer than {nameof(HeartbeatTimeout)} (else a node that hears would distrust its own L1)", [nameof(DegradedL1Ttl)]);
        }

        if (RedisCallTimeout <= TimeSpan.Zero || RedisCallTimeout > MaxRedisCallTimeout)
        {
            yield return new ValidationResult($"must be positive and at most {MaxRedisCallTimeout.TotalMilliseconds:0} ms (no request waits on Redis longer)", [nameof(RedisCallTimeout)]);
        }

        if (GapCheckInterval <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be positive", [nameof(GapCheckInterval)]);
        }

        if (ResubscribeAfter <= HeartbeatTimeout)
        {
            yield return new ValidationResult($"must be longer than {nameof(HeartbeatTimeout)}", [nameof(ResubscribeAfter)]);
        }

        if (ClusterLockDuration <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be positive", [nameof(ClusterLockDuration)]);
        }

        if (ClusterLockMaxHold < ClusterLockDuration)
        {
            yield return new ValidationResult($"must be at least {nameof(ClusterLockDuration)}", [nameof(ClusterLockMaxHold)]);
        }

        var longest = DefaultEntryOptions.Duration + (DefaultEntryOptions.FailSafeMaxDuration ?? TimeSpan.Zero);
        if (TagVersionRetention < longest)
        {
            yield return new ValidationResult($"must be at least the default entry lifetime ({longest})", [nameof(TagVersionRetention)]);
        }

        if (InvalidationMemory <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be positive", [nameof(InvalidationMemory)]);
        }
    }
}
