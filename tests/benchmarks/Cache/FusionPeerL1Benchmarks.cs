using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Platform.Caching;
using Platform.Caching.Peers;
using StackExchange.Redis;
using ZiggyCreatures.Caching.Fusion;

namespace Platform.Benchmarks.Cache;

/// <summary>
/// An L1 hit of our <see cref="TwoLevelCache"/> against the same hit of FusionCache 2.9, in one BenchmarkDotNet run:
/// per category (a byte[] payload, a record, a byte[] entry with 2 tags) FusionCache's <c>GetOrSetAsync</c> is the
/// baseline, so the ratio column is ours ÷ FusionCache. <see cref="WithRedis"/> false: both memory-only; true: both with
/// L2 and backplane on Redis (FusionCache also with its distributed locker, as <see cref="FusionCacheNode"/> sets it up).
/// Part of <c>fusion-peer</c>; alone: <c>dotnet run -c Release --project tests/benchmarks -- --filter '*FusionPeerL1*'</c>.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(NoisyMachineConfig))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
public class FusionPeerL1Benchmarks // Not sealed: BenchmarkDotNet derives its generated runner from the benchmark class.
{
    private const string PayloadKey = "products:category:7:page:1";
    private const string TaggedKey = "products:category:7:page:2";
    private const string RecordKey = "product:42";
    private static readonly string[] Tags = ["category:7", "lists"];

    private static readonly Func<byte[], CacheFactoryContext, CancellationToken, Task<byte[]>> OurBytes = static (b, _, _) => Task.FromResult(b);
    private static readonly Func<ProductSummary, CacheFactoryContext, CancellationToken, Task<ProductSummary>> OurRecord = static (p, _, _) => Task.FromResult(p);
    private static readonly Func<FusionCacheFactoryExecutionContext<byte[]>, CancellationToken, Task<byte[]>> FusionBytes =
        static (_, _) => throw new InvalidOperationException("not an L1 hit");

    private static readonly Func<FusionCacheFactoryExecutionContext<ProductSummary>, CancellationToken, Task<ProductSummary>> FusionRecord =
        static (_, _) => throw new InvalidOperationException("not an L1 hit");

    private readonly byte[] _payload = Encoding.UTF8.GetBytes("{\"items\":[" + string.Join(',', Enumerable.Range(0, 20).Select(i => $"{{\"id\":{i},\"name\":\"Product {i}\",\"price\":{i}.99}}")) + "]}");
    private readonly ProductSummary _summary = new(42, "Product 42", 42.99m);
    private TwoLevelCache _ours = null!;
    private IFusionCache _fusion = null!;
    private ConnectionMultiplexer? _oursRedis;
    private ConnectionMultiplexer? _fusionRedis;
    private string _prefix = "";

    /// <summary>False: both caches memory-only. True: both with Redis L2 and backplane.</summary>
    [ParamsAllValues]
    public bool WithRedis { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _prefix = BenchRedis.NewPrefix("fusion-l1");
        var hour = new CacheEntryOptions { Duration = TimeSpan.FromHours(1) };
        _oursRedis = WithRedis ? await BenchRedis.ConnectAsync() : null;
        _ours = new TwoLevelCache(new CacheOptions { KeyPrefix = _prefix + "o:", UseRedis = WithRedis }, _oursRedis);
        await _ours.StartAsync();
        await _ours.GetOrSetAsync(PayloadKey, _payload, OurBytes, hour);
        await _ours.GetOrSetAsync(TaggedKey, _payload, OurBytes, hour, Tags);
        await _ours.GetOrSetAsync(RecordKey, _summary, OurRecord, hour);
        await _ours.RemoveByTagAsync("category:8");

        if (WithRedis)
        {
            _fusionRedis = await BenchRedis.ConnectAsync();
            _fusion = FusionCacheNode.Create(_fusionRedis, _prefix + "f:", TimeSpan.FromHours(1));
        }
        else
        {
            _fusion = new FusionCache(new FusionCacheOptions
            {
                DefaultEntryOptions = new FusionCacheEntryOptions { Duration = TimeSpan.FromHours(1), IsFailSafeEnabled = true, FailSafeMaxDuration = TimeSpan.FromHours(1) },
            });
        }

        await _fusion.SetAsync(PayloadKey, _payload);
        await _fusion.SetAsync(TaggedKey, _payload, tags: Tags);
        await _fusion.SetAsync(RecordKey, _summary);
        await _fusion.RemoveByTagAsync("category:8");
        // FusionCache's first hits after a set may still await its tag bookkeeping in L2: warm them up the way a
        // service's first requests would.
        for (var i = 0; i < 3; i++)
        {
            await _fusion.GetOrSetAsync<byte[]>(PayloadKey, FusionBytes);
            await _fusion.GetOrSetAsync<byte[]>(TaggedKey, FusionBytes, tags: Tags);
            await _fusion.GetOrSetAsync<ProductSummary>(RecordKey, FusionRecord);
        }

        if (FusionPayloadHit() != _payload || FusionTaggedHit() != _payload || FusionRecordHit() != _summary
            || OurPayloadHit() != _payload || OurTaggedHit() != _payload || OurRecordHit() != _summary)
        {
            throw new InvalidOperationException("set-up did not leave the entries in L1");
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        // Keys first: disposing FusionCache disposes the connection its Redis parts were given.
        if (_oursRedis is not null)
        {
            await BenchRedis.DeleteAsync(_oursRedis, _prefix);
        }

        await _ours.DisposeAsync();
        _fusion.Dispose();
        _oursRedis?.Dispose();
        _fusionRedis?.Dispose();
    }

    [Benchmark(Baseline = true, Description = "FusionCache GetOrSetAsync<byte[]>")]
    [BenchmarkCategory("byte[] payload")]
    public byte[] FusionPayloadHit() => FusionHit(_fusion.GetOrSetAsync<byte[]>(PayloadKey, FusionBytes));

    [Benchmark(Description = "ours GetOrSetAsync<byte[]>")]
    [BenchmarkCategory("byte[] payload")]
    public byte[] OurPayloadHit() => Hit(_ours.GetOrSetAsync(PayloadKey, _payload, OurBytes));

    [Benchmark(Baseline = true, Description = "FusionCache GetOrSetAsync<T> (record)")]
    [BenchmarkCategory("record")]
    public ProductSummary FusionRecordHit() => FusionHit(_fusion.GetOrSetAsync<ProductSummary>(RecordKey, FusionRecord));

    [Benchmark(Description = "ours GetOrSetAsync<T> (record)")]
    [BenchmarkCategory("record")]
    public ProductSummary OurRecordHit() => Hit(_ours.GetOrSetAsync(RecordKey, _summary, OurRecord));

    [Benchmark(Baseline = true, Description = "FusionCache GetOrSetAsync<byte[]>, 2 tags")]
    [BenchmarkCategory("byte[], 2 tags")]
    public byte[] FusionTaggedHit() => FusionHit(_fusion.GetOrSetAsync<byte[]>(TaggedKey, FusionBytes, tags: Tags));

    [Benchmark(Description = "ours GetOrSetAsync<byte[]>, 2 tags")]
    [BenchmarkCategory("byte[], 2 tags")]
    public byte[] OurTaggedHit() => Hit(_ours.GetOrSetAsync(TaggedKey, _payload, OurBytes, tags: Tags));

    // Ours completes an L1 hit synchronously; one that does not would be measuring the miss path.
    private static T Hit<T>(ValueTask<T> hit) =>
        hit.IsCompletedSuccessfully ? hit.Result : throw new InvalidOperationException("not a synchronous L1 hit");

    // FusionCache's hit with Redis configured may complete asynchronously (it can await its tag bookkeeping): whatever
    // it costs is its cost, so it is awaited rather than refused. The factory throws, so a miss still fails the run.
    private static T FusionHit<T>(ValueTask<T> hit) =>
        hit.IsCompletedSuccessfully ? hit.Result : hit.AsTask().GetAwaiter().GetResult();
}
