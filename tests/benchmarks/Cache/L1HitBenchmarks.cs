using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Caching.Memory;
using Platform.Benchmarks.Reporting;
using Platform.Caching;
using StackExchange.Redis;

namespace Platform.Benchmarks.Cache;

/// <summary>
/// Cost of an L1 hit of <see cref="TwoLevelCache.GetOrSetAsync{TState, T}"/> against
/// <see cref="MemoryCache.TryGetValue"/> measured in the same run (the baseline). Target: at most 2× the
/// baseline and 0 bytes allocated on the payload path. <see cref="WithRedis"/> true runs the same hits on a
/// node connected to Redis (L2 and backplane up): the hit path must not differ.
/// Run: <c>dotnet run -c Release --project tests/benchmarks -- --filter '*L1Hit*'</c>.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(NoisyMachineConfig))]
[FigureTargets(MaxRatio = 2, MaxAllocatedBytes = 0)]
public class L1HitBenchmarks // Not sealed: BenchmarkDotNet derives its generated runner from the benchmark class.
{
    private const string Key = "products:category:7:page:1";
    private const string TaggedKey = "products:category:7:page:2";
    private const string GenericKey = "product:42";

    // Cached once: a lambda converted at each call site would be cached by the compiler too, but one explicit
    // field keeps warm-up and measurement on the same delegate, as the allocation test does.
    private static readonly Func<CachedPayload, CacheFactoryContext, CancellationToken, Task<CachedPayload>> PayloadFactory = static (p, _, _) => Task.FromResult(p);
    private static readonly Func<ProductSummary, CacheFactoryContext, CancellationToken, Task<ProductSummary>> SummaryFactory = static (p, _, _) => Task.FromResult(p);
    private static readonly string[] Tags = ["category:7", "lists"];

    private readonly CachedPayload _payload = new(Encoding.UTF8.GetBytes("{\"items\":[" + string.Join(',', Enumerable.Range(0, 20).Select(i => $"{{\"id\":{i},\"name\":\"Product {i}\",\"price\":{i}.99}}")) + "]}"), "\"v42\"");
    private readonly ProductSummary _summary = new(42, "Product 42", 42.99m);
    private MemoryCache _memory = null!;
    private TwoLevelCache _cache = null!;
    private ConnectionMultiplexer? _redis;
    private string _prefix = "";

    /// <summary>False: a node-local cache (UseRedis = false). True: L2 and backplane connected to Redis.</summary>
    [ParamsAllValues]
    public bool WithRedis { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _memory = new MemoryCache(new MemoryCacheOptions());
        _memory.Set(Key, _payload);

        _prefix = BenchRedis.NewPrefix("l1hit");
        _redis = WithRedis ? await BenchRedis.ConnectAsync() : null;
        _cache = new TwoLevelCache(new CacheOptions { KeyPrefix = _prefix, UseRedis = WithRedis }, _redis);
        await _cache.StartAsync();
        var hour = new CacheEntryOptions { Duration = TimeSpan.FromHours(1) };
        await _cache.GetOrSetAsync(Key, _payload, PayloadFactory, hour);
        await _cache.GetOrSetAsync(TaggedKey, _payload, PayloadFactory, hour, Tags);
        await _cache.GetOrSetAsync(GenericKey, _summary, SummaryFactory, hour);
        // A tag invalidation elsewhere moves the node's tag epoch: the first hit after it re-validates, later ones do not.
        await _cache.RemoveByTagAsync("category:8");
        if (!ReferenceEquals(HitOrThrow(_cache.GetOrSetAsync(TaggedKey, _payload, PayloadFactory, tags: Tags)), _payload) || !_cache.IsBackplaneConnected)
        {
            throw new InvalidOperationException("set-up did not leave the entries in L1");
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _cache.DisposeAsync();
        _memory.Dispose();
        if (_redis is not null)
        {
            await BenchRedis.DeleteAsync(_redis, _prefix);
            await _redis.CloseAsync();
            _redis.Dispose();
        }
    }

    [Benchmark(Baseline = true, Description = "MemoryCache.TryGetValue")]
    public object? MemoryCacheHit() => _memory.TryGetValue(Key, out var value) ? value : null;

    [Benchmark(Description = "GetOrSetAsync payload (CachedPayload)")]
    public CachedPayload PayloadHit() => HitOrThrow(_cache.GetOrSetAsync(Key, _payload, PayloadFactory));

    [Benchmark(Description = "GetOrSetAsync<T> (record)")]
    public ProductSummary GenericHit() => HitOrThrow(_cache.GetOrSetAsync(GenericKey, _summary, SummaryFactory));

    [Benchmark(Description = "GetOrSetAsync payload, 2 tags")]
    public CachedPayload TaggedHit() => HitOrThrow(_cache.GetOrSetAsync(TaggedKey, _payload, PayloadFactory, tags: Tags));

    // An L1 hit completes synchronously; anything else would measure the miss path, so it fails the run.
    private static T HitOrThrow<T>(ValueTask<T> hit) =>
        hit.IsCompletedSuccessfully ? hit.Result : throw new InvalidOperationException("not an L1 hit");
}

/// <summary>A typical non-payload cached value.</summary>
public sealed record ProductSummary(int Id, string Name, decimal Price);
